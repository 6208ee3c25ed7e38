"""Light lexical analysis of SPARQL text: what kind of request it is and which remote
endpoints (SERVICE) it calls, without evaluating it. Strings, IRIs and comments are skipped so
that a keyword inside them does not count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_COMMENT = r"\#[^\n\r]*"
_STRING = (
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
)
_IRI = r'<[^<>"{}|^`\\\x00-\x20]*>'
_VAR = r"[?$][A-Za-z0-9_\u00B7-\uFFFF]+"
_PNAME = r"[A-Za-z][\w.-]*:[\w.%-]*|:[\w.%-]*"
_WORD = r"[A-Za-z_][A-Za-z0-9_-]*"

_TOKEN = re.compile(
    rf"""(?P<comment>{_COMMENT})
      | (?P<string>{_STRING})
      | (?P<iri>{_IRI})
      | (?P<var>{_VAR})
      | (?P<pname>{_PNAME})
      | (?P<word>{_WORD})
      | (?P<other>\S)""",
    re.VERBOSE | re.DOTALL,
)


def _keyword(word: str) -> str:
    """Where the token is the word ``word`` (ASCII case-insensitive): not a prefixed name, and
    the word ends there."""
    letters = "".join(f"[{c}{c.lower()}]" for c in word)
    return rf"(?![A-Za-z][\w.-]*:){letters}(?![A-Za-z0-9_-])"


# The prologue (BASE and PREFIX declarations, comments) matched in one go, token for token as
# _TOKEN lexes it: each token is an atomic group (the alternative _TOKEN would take, never another
# on backtracking); between tokens, whitespace and comments.
_SKIP = rf"(?>(?:\s+|{_COMMENT})*)"
_ANY = rf"(?>{_STRING}|{_IRI}|{_VAR}|{_PNAME}|{_WORD}|\S)"
_PROLOGUE = re.compile(
    rf"(?:{_SKIP}(?:{_keyword('BASE')}{_SKIP}{_ANY}|{_keyword('PREFIX')}{_SKIP}{_ANY}{_SKIP}{_ANY}))*{_SKIP}",
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_FORMS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass(frozen=True)
class Token:
    kind: str  # string | iri | var | pname | word | other
    text: str
    start: int = 0  # offsets in the lexed text
    end: int = 0

    @property
    def word(self) -> str:
        """The keyword, upper-cased, for a word token; "" for any other."""
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> list[Token]:
    """Significant tokens (comments dropped), with their offsets."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind != "comment":
            out.append(Token(kind, m.group(), m.start(), m.end()))
    return out


@lru_cache(maxsize=8)
def prologue_end(text: str) -> int:
    """Where the prologue (BASE and PREFIX declarations, comments) ends; cached, as the service
    asks for each request's query twice (:func:`form`, :func:`anchored_lookup`)."""
    prologue = _PROLOGUE.match(text)
    return prologue.end() if prologue else 0


def form(text: str) -> str | None:
    """The first keyword after the prologue: SELECT, ASK, CONSTRUCT, DESCRIBE, or an update
    keyword (INSERT, DELETE, LOAD, CLEAR, DROP…); None when there is none."""
    following = _TOKEN.match(text, prologue_end(text))
    if following is None or following.lastgroup != "word":
        return None
    word = following.group().upper()
    return word if word in QUERY_FORMS or word in UPDATE_FORMS else None


def form_by_tokens(text: str) -> str | None:
    """:func:`form`, token by token (slower; the reference it is tested against)."""
    toks = tokens(text)
    i = 0
    while i < len(toks):
        word = toks[i].text.upper() if toks[i].kind == "word" else ""
        if word == "BASE":
            i += 2
        elif word == "PREFIX":
            i += 3
        elif word in QUERY_FORMS or word in UPDATE_FORMS:
            return word
        else:
            return None
    return None


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request (at least its first operation)."""
    return form(text) in UPDATE_FORMS


def prefixes(toks: list[Token]) -> dict[str, str]:
    out = {}
    for i, tok in enumerate(toks[:-2]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and toks[i + 2].kind == "iri":
            out[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
    return out


def service_targets(text: str) -> list[str | None]:
    """IRIs of the endpoints named by SERVICE clauses; None for a variable or unresolvable name
    (which cannot be checked against an allowlist)."""
    if "service" not in text.lower():  # no SERVICE keyword at all (the usual case): no lexing
        return []
    toks = tokens(text)
    known = prefixes(toks)
    targets: list[str | None] = []
    for i, tok in enumerate(toks):
        if tok.kind != "word" or tok.text.upper() != "SERVICE":
            continue
        j = i + 1
        if j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() == "SILENT":
            j += 1
        nxt = toks[j] if j < len(toks) else None
        if nxt is not None and nxt.kind == "iri":
            targets.append(nxt.text[1:-1])
        elif nxt is not None and nxt.kind == "pname" and nxt.text.split(":", 1)[0] in known:
            prefix, local = nxt.text.split(":", 1)
            targets.append(known[prefix] + local)
        else:
            targets.append(None)
    return targets


_TERM = rf"(?:{_IRI}|{_PNAME})"
_ANCHORED = re.compile(
    rf"""SELECT\s+(?:\*|(?:{_VAR}\s*)+)\s*(?:WHERE\s*)?
      \{{\s*{_TERM}\s+(?:{_VAR}|{_TERM})\s+(?:{_VAR}|{_TERM})\s*\.?\s*\}}
      \s*(?P<mods>(?:(?:LIMIT|OFFSET)\s+[0-9]+\s*)*)""",
    re.VERBOSE | re.IGNORECASE,
)
_MODIFIER_NUMBER = re.compile(r"(LIMIT|OFFSET)\s+([0-9]+)", re.IGNORECASE)


def anchored_lookup(text: str, max_offset: int) -> bool:
    """Whether the query is a SELECT of one triple pattern whose subject is an IRI, such as
    ``SELECT ?p ?o WHERE { <iri> ?p ?o }``, with at most LIMIT and OFFSET (OFFSET up to
    ``max_offset``): no DISTINCT, ORDER BY, FILTER, path, graph, comment or sub-query. The engine
    streams such a query from its subject index, so returning n rows costs n index steps: it
    cannot run away, and needs no worker process and no time limit. One regular expression
    after the prologue: a few microseconds whatever the query."""
    match = _ANCHORED.fullmatch(text, prologue_end(text))
    if match is None:
        return False
    modifiers = [(m.group(1).upper(), int(m.group(2))) for m in _MODIFIER_NUMBER.finditer(match.group("mods"))]
    names = [name for name, _ in modifiers]
    return len(names) == len(set(names)) and all(n <= max_offset for name, n in modifiers if name == "OFFSET")


def _projection(toks: list[Token]) -> list[str] | None:
    """The variables a SELECT query projects, in order (``?x``, ``(expr AS ?x)``); None for
    ``SELECT *`` or another query form."""
    start = next((i for i, t in enumerate(toks) if t.word == "SELECT"), None)
    if start is None:
        return None
    names: list[str] = []
    parens = 0
    for i in range(start + 1, len(toks)):
        tok = toks[i]
        if parens == 0 and (tok.text == "{" or tok.word in ("WHERE", "FROM")):
            break
        if tok.text == "(":
            parens += 1
        elif tok.text == ")":
            parens -= 1
        elif tok.text == "*" and parens == 0:
            return None
        elif tok.kind == "var" and (parens == 0 or toks[i - 1].word == "AS"):
            names.append(tok.text[1:])
    return names


def _sort_keys(clause: list[Token]) -> set[str]:
    """The variables an ORDER BY clause sorts on as they are: ``?x``, ``ASC(?x)``, ``DESC(?x)``
    (not inside another expression, such as ``STR(?x)``, which may tie distinct terms)."""
    keys: set[str] = set()
    parens = 0
    for i, tok in enumerate(clause):
        if tok.text == "(":
            parens += 1
        elif tok.text == ")":
            parens -= 1
        elif tok.kind == "var" and (
            parens == 0
            or (parens == 1 and i >= 2 and clause[i - 1].text == "(" and clause[i - 2].word in ("ASC", "DESC")
                and i + 1 < len(clause) and clause[i + 1].text == ")")
        ):  # fmt: skip
            keys.add(tok.text[1:])
    return keys


def total_order(text: str) -> str:
    """The SELECT query with its outermost ORDER BY made total: every projected variable not
    already a sort key is appended as one (an ORDER BY of them all is added when there is none),
    so that rows tied on the query's own keys come in one order every time. The engine's order of
    ties may change from one evaluation to the next (hash-based grouping), which would make pages
    of a long answer overlap or miss rows. The text is returned unchanged for ``SELECT *``, another
    form, or when every projected variable is already a key."""
    toks = tokens(text)
    projected = _projection(toks)
    if not projected:
        return text
    depth = 0
    order_at: int | None = None  # index of the outermost ORDER keyword
    tail_at: int | None = None  # index of the first outermost LIMIT, OFFSET or VALUES
    for i, tok in enumerate(toks):
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
        elif depth == 0 and tok.word == "ORDER" and i + 1 < len(toks) and toks[i + 1].word == "BY":
            order_at = i
        elif depth == 0 and tok.word in ("LIMIT", "OFFSET", "VALUES") and tail_at is None:
            tail_at = i
    end = tail_at if tail_at is not None else len(toks)
    keys = _sort_keys(toks[order_at + 2 : end]) if order_at is not None else set()
    missing = [name for name in projected if name not in keys]
    if not missing:
        return text
    added = " ".join("?" + name for name in missing)
    if order_at is None:
        added = "ORDER BY " + added
    at = toks[end - 1].end  # after the last token of the clauses before LIMIT/OFFSET/VALUES (comments after)
    return f"{text[:at]} {added}{text[at:]}"
