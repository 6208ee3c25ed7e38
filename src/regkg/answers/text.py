"""Text helpers for matching and for sentences: accent and case folding, match keys, readable
dates, durations and booleans in French and English."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Characters that NFKD does not decompose but that readers treat as letter pairs.
_EXTRA = {"œ": "oe", "æ": "ae", "ø": "o", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i"}

STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "est",
        "et",
        "il",
        "ils",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "ne",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "y",
        "à",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "with",
    ]
)

MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}  # fmt: skip

# unit letter -> (singular, plural) per language
_UNITS = {
    "fr": {"Y": ("an", "ans"), "M": ("mois", "mois"), "W": ("semaine", "semaines"), "D": ("jour", "jours"),
           "H": ("heure", "heures"), "TM": ("minute", "minutes"), "S": ("seconde", "secondes")},
    "en": {"Y": ("year", "years"), "M": ("month", "months"), "W": ("week", "weeks"), "D": ("day", "days"),
           "H": ("hour", "hours"), "TM": ("minute", "minutes"), "S": ("second", "seconds")},
}  # fmt: skip
_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<TM>\d+)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
NUMBER_WORDS = {
    "fr": {1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept", 8: "huit", 9: "neuf",
           10: "dix", 11: "onze", 12: "douze"},
    "en": {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
           10: "ten", 11: "eleven", 12: "twelve"},
}  # fmt: skip


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(_EXTRA.get(c, c) for c in bare)


def fold(text: str) -> str:
    """Lower-case and strip accents: ``"Méningiome"`` and ``"MENINGIOME"`` both give ``"meningiome"``."""
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True)
class Keyed:
    """A text reduced to its match key (folded, every run of non-alphanumerics one space) with, for
    each character of the key, its position in the original text (to cut snippets)."""

    text: str
    key: str
    positions: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of key[start:end]."""
        if not self.positions:
            return 0, 0
        first = self.positions[min(start, len(self.positions) - 1)]
        last = self.positions[min(max(end - 1, 0), len(self.positions) - 1)]
        return first, last + 1


def keyed(text: str) -> Keyed:
    """The match key of a text: ``"L. 5121-12-1"`` gives ``"l 5121 12 1"``, ``"Comète"`` gives ``"comete"``."""
    out: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        for c in _fold_char(char):
            if c.isalnum():
                out.append(c)
                positions.append(index)
            elif out and out[-1] != " ":
                out.append(" ")
                positions.append(index)
    if out and out[-1] == " ":
        out.pop()
        positions.pop()
    return Keyed(text, "".join(out), tuple(positions))


def key(text: str) -> str:
    """The match key alone (see :func:`keyed`)."""
    return keyed(text).key


def words(text: str) -> list[str]:
    """The words of the match key."""
    return key(text).split()


def content_words(text: str) -> list[str]:
    """Words without French and English stop words (all words if nothing else is left)."""
    all_words = words(text)
    kept = [w for w in all_words if w not in STOPWORDS]
    return kept or all_words


def stem(word: str) -> str:
    """A crude plural folding for matching: ``annexes`` -> ``annexe``, ``travaux`` -> ``travau``."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def contains_phrase(haystack_key: str, needle_key: str) -> bool:
    """Whether the needle's key occurs in the haystack's key at word boundaries."""
    return bool(needle_key) and f" {needle_key} " in f" {haystack_key} "


def format_date(lexical: str, lang: str) -> str:
    """``2025-10-24`` as ``24 octobre 2025`` / ``24 October 2025``; other values unchanged."""
    match = _DATE.match(lexical)
    if not match or lang not in MONTHS:
        return lexical
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return lexical
    if lang == "fr":
        return f"{'1er' if day == 1 else day} {MONTHS['fr'][month - 1]} {year}"
    return f"{day} {MONTHS['en'][month - 1]} {year}"


def date_variants(lexical: str) -> list[str]:
    """The ways a text may write a date: ``24 octobre 2025``, ``24/10/2025``, ``2025-10-24``."""
    match = _DATE.match(lexical)
    if not match:
        return [lexical]
    year, month, day = match.groups()
    return [format_date(lexical, "fr"), format_date(lexical, "en"), f"{day}/{month}/{year}", lexical]


def duration_parts(lexical: str) -> list[tuple[int | float, str]]:
    """``P1Y6M`` as ``[(1, "Y"), (6, "M")]``; empty when the value is not an xsd:duration."""
    match = _DURATION.match(lexical.strip())
    if not match:
        return []
    parts: list[tuple[int | float, str]] = []
    for unit in ("Y", "M", "W", "D", "H", "TM", "S"):
        raw = match.group(unit)
        if raw is not None:
            value = float(raw) if "." in raw else int(raw)
            parts.append((value, unit))
    return parts


def format_duration(lexical: str, lang: str, *, words_for_numbers: bool = False) -> str:
    """``P6M`` as ``6 mois`` / ``6 months``, ``P1Y`` as ``1 an`` / ``1 year``; other values unchanged."""
    parts = duration_parts(lexical)
    if not parts or lang not in _UNITS:
        return lexical
    rendered = []
    for value, unit in parts:
        singular, plural = _UNITS[lang][unit]
        number = NUMBER_WORDS[lang].get(int(value), str(value)) if words_for_numbers else str(value)
        rendered.append(f"{number} {singular if value == 1 else plural}")
    joiner = " et " if lang == "fr" else " and "
    return rendered[0] if len(rendered) == 1 else ", ".join(rendered[:-1]) + joiner + rendered[-1]


def format_boolean(lexical: str, lang: str) -> str:
    """``true`` as ``oui`` / ``yes``, ``false`` as ``non`` / ``no``."""
    truth = lexical.strip().lower() in ("true", "1")
    if lang == "fr":
        return "oui" if truth else "non"
    return "yes" if truth else "no"


def snippet(item: Keyed, start: int, end: int, width: int = 80) -> str:
    """The original text around key[start:end], at most ``width`` characters each side, cut at
    spaces, with an ellipsis where the text was cut."""
    text = item.text
    begin, finish = item.span(start, end)
    lo, hi = max(0, begin - width), min(len(text), finish + width)
    if lo > 0:
        space = text.find(" ", lo, begin)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", finish, hi)
        hi = space if space != -1 else hi
    return ("…" if lo > 0 else "") + " ".join(text[lo:hi].split()) + ("…" if hi < len(text) else "")
