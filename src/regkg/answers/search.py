"""Search: case- and accent-insensitive look-up of the graph's resources by their names and by
the verbatim words their citations quote.

The index is built once per store (a store is a read-only snapshot) from the labels, alternative
names (brands, INNs, abbreviations), identifiers (NOR, numbers, provision numbers), titles and
quotes of every resource minted under ``https://w3id.org/regkg/id/``. A quote hit returns the
resource that cites it. Matching is done in Python: user text never enters SPARQL.

Ranking: how the text matched (exact name > prefix > whole words > substring), then which field
matched (names and labels > alternative labels > quotes), then how much of the field the query
covers; ties are broken by IRI, so results are stable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..namespaces import ID, PREFIXES, SKOLEM_BASE
from ..store import Store
from .text import Keyed, key, keyed, snippet

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RK = PREFIXES["rk"]
ELI = PREFIXES["eli"]

# predicate -> (name reported in Hit.matched, field tier: 3 names/labels, 2 alternative labels, 1 quotes)
FIELDS: dict[str, tuple[str, int]] = {
    RDFS + "label": ("label", 3),
    RK + "productName": ("productName", 3),
    RK + "inn": ("inn", 3),
    RK + "nor": ("nor", 3),
    ELI + "number": ("number", 3),
    RK + "provisionNumber": ("provisionNumber", 3),
    ELI + "title": ("title", 3),
    SKOS + "altLabel": ("altLabel", 2),
}
QUOTE_TIER = 1
EXACT, PREFIX, WORDS, SUBSTRING = 4, 3, 2, 1
LEVEL_NAMES = {EXACT: "exact", PREFIX: "prefix", WORDS: "words", SUBSTRING: "substring"}

_VALUES = " ".join(f"<{p}>" for p in FIELDS)
_NAMES_QUERY = f"""SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ {_VALUES} }} ?s ?p ?o .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{SKOLEM_BASE}")) }}"""
_QUOTES_QUERY = f"""SELECT DISTINCT ?s ?quote WHERE {{
  ?s rk:citation/oa:hasSelector/oa:exact ?quote .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{SKOLEM_BASE}")) }}"""
_LABELS_QUERY = f"""SELECT DISTINCT ?s ?label WHERE {{ ?s rdfs:label ?label .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}"""
_TYPES_QUERY = f"""SELECT DISTINCT ?s ?type WHERE {{ ?s a ?type . FILTER(isIRI(?type) && isIRI(?s)
  && STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{SKOLEM_BASE}")) }}"""
_SUBCLASS_QUERY = "SELECT DISTINCT ?c ?super WHERE { ?c rdfs:subClassOf ?super . FILTER(isIRI(?super)) }"


class AnswerError(ValueError):
    """A request the answer layer cannot serve; ``status`` is the HTTP status to answer with."""

    status = 400


class EmptyQuery(AnswerError):
    """The search text is empty or has no letter or digit."""

    status = 400


@dataclass(frozen=True)
class Hit:
    """One resource found, with the field that matched best."""

    iri: str
    label_fr: str | None
    label_en: str | None
    types: tuple[str, ...]
    matched: str  # label, altLabel, productName, inn, nor, number, provisionNumber, title or quote
    match: str  # exact, prefix, words or substring
    score: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "label_fr": self.label_fr,
            "label_en": self.label_en,
            "types": list(self.types),
            "matched": self.matched,
            "match": self.match,
            "score": self.score,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class _Entry:
    iri: str
    field: str
    tier: int
    text: Keyed
    padded: str  # " key " for word-boundary tests
    tokens: frozenset[str]


@dataclass
class SearchIndex:
    """Every searchable text of one store, with labels, types and the class hierarchy."""

    entries: list[_Entry] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    superclasses: dict[str, frozenset[str]] = field(default_factory=dict)

    def label(self, iri: str, lang: str) -> str | None:
        found = self.labels.get(iri, {})
        return found.get(lang) or found.get("fr" if lang == "en" else "en") or found.get("")

    def type_closure(self, iri: str) -> set[str]:
        """The resource's types and all their superclasses."""
        out: set[str] = set()
        for t in self.types.get(iri, ()):
            out.add(t)
            out.update(self.superclasses.get(t, ()))
        return out


def _entry(iri: str, field_name: str, tier: int, text: str) -> _Entry | None:
    item = keyed(text)
    if not item.key:
        return None
    return _Entry(iri, field_name, tier, item, f" {item.key} ", frozenset(item.key.split()))


def build_index(store: Store) -> SearchIndex:
    """Read the store once and index every searchable text."""
    index = SearchIndex()
    seen: set[tuple[str, str, str]] = set()
    for row in store.query(_NAMES_QUERY):
        iri, predicate, value = row["s"].value, row["p"].value, row["o"].value
        field_name, tier = FIELDS[predicate]
        if (iri, field_name, value) in seen:
            continue
        seen.add((iri, field_name, value))
        entry = _entry(iri, field_name, tier, value)
        if entry:
            index.entries.append(entry)
    for row in store.query(_QUOTES_QUERY):
        iri, value = row["s"].value, row["quote"].value
        if (iri, "quote", value) not in seen:
            seen.add((iri, "quote", value))
            entry = _entry(iri, "quote", QUOTE_TIER, value)
            if entry:
                index.entries.append(entry)
    index.entries.sort(key=lambda e: (e.iri, -e.tier, e.field, e.text.text))
    for row in store.query(_LABELS_QUERY):
        literal = row["label"]
        index.labels.setdefault(row["s"].value, {}).setdefault(literal.language or "", literal.value)
    types: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_TYPES_QUERY):
        types[row["s"].value].add(row["type"].value)
    index.types = {iri: tuple(sorted(ts)) for iri, ts in types.items()}
    direct: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_SUBCLASS_QUERY):
        direct[row["c"].value].add(row["super"].value)
    for cls in direct:
        closure: set[str] = set()
        todo = list(direct[cls])
        while todo:
            sup = todo.pop()
            if sup not in closure:
                closure.add(sup)
                todo.extend(direct.get(sup, ()))
        index.superclasses[cls] = frozenset(closure)
    return index


def search_index(store: Store) -> SearchIndex:
    """The store's index, built on first use and kept as long as the store object lives."""
    return store.derived.get("search", lambda: build_index(store))


def expand_type(name: str) -> str:
    """A type given as an IRI, a prefixed name (``rk:MedicinalProduct``) or a bare regkg class
    name (``MedicinalProduct``), as an IRI."""
    name = name.strip()
    if name.startswith(("http://", "https://")):
        return name
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return RK + name


def _match(entry: _Entry, query_key: str, padded_query: str, query_words: list[str]) -> tuple[int, int] | None:
    """How the entry matches: (level, position in the entry's key), or None."""
    text = entry.text.key
    if text == query_key:
        return EXACT, 0
    if text.startswith(query_key) and entry.field != "quote":  # a quote is a passage, not a name
        return PREFIX, 0
    at = entry.padded.find(padded_query)
    if at != -1:
        return WORDS, at
    if len(query_words) > 1 and all(w in entry.tokens for w in query_words):
        return WORDS, entry.padded.find(f" {query_words[0]} ")
    at = text.find(query_key)
    if at != -1:
        return SUBSTRING, at
    if len(query_words) > 1 and all(w in text for w in query_words):
        return SUBSTRING, text.find(query_words[0])
    return None


def search(store: Store, q: str, limit: int = 20, types: list[str] | None = None) -> list[Hit]:
    """Resources whose names, alternative names, identifiers or cited quotes match ``q``, best
    first; ``types`` (IRIs or prefixed names) keeps resources of those classes or their subclasses.

    Raises :class:`EmptyQuery` (status 400) when ``q`` has no letter or digit."""
    query_key = key(q or "")
    if not query_key:
        raise EmptyQuery("empty search: the query needs at least one letter or digit")
    index = search_index(store)
    if limit <= 0:
        return []
    wanted = {expand_type(t) for t in types or [] if t.strip()}
    padded_query = f" {query_key} "
    query_words = query_key.split()
    best: dict[str, tuple[float, _Entry, int, int]] = {}
    for entry in index.entries:
        found = _match(entry, query_key, padded_query, query_words)
        if found is None:
            continue
        level, position = found
        coverage = min(1.0, len(query_key) / max(len(entry.text.key), 1))
        score = round(level * 100 + entry.tier * 10 + 9 * coverage, 3)
        current = best.get(entry.iri)
        if current is None or score > current[0]:
            best[entry.iri] = (score, entry, level, max(position, 0))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    hits: list[Hit] = []
    for iri, (score, entry, level, position) in ranked:
        if wanted and not wanted & index.type_closure(iri):
            continue
        length = len(query_key) if level != WORDS or f" {query_key} " in entry.padded else len(query_words[0])
        if entry.field == "quote":
            text = snippet(entry.text, position, position + length)
        else:
            text = entry.text.text if len(entry.text.text) <= 240 else snippet(entry.text, position, position + length)
        hits.append(
            Hit(
                iri=iri,
                label_fr=index.label(iri, "fr"),
                label_en=index.label(iri, "en"),
                types=index.types.get(iri, ()),
                matched=entry.field,
                match=LEVEL_NAMES[level],
                score=score,
                snippet=text,
            )
        )
        if len(hits) >= limit:
            break
    return hits


def resolve(store: Store, name: str, types: list[str]) -> list[Hit]:
    """The best-matching resources of the given types for a name (exact, prefix or whole-word
    matches on names and alternative names only, not quotes): all those sharing the best level and
    field tier, so that an ambiguous name returns several."""
    hits = [h for h in search(store, name, limit=1000, types=types) if h.matched != "quote" and h.match != "substring"]
    if not hits:
        return []
    top = int(hits[0].score) // 10
    return [h for h in hits if int(h.score) // 10 == top]


# ---------------------------------------------------------------- JSON and JSON-LD documents

SEARCH_CONTEXT: dict[str, Any] = {
    "rdfs": RDFS,
    "xsd": PREFIXES["xsd"],
    "rk": RK,
    "hits": "@graph",
    "iri": "@id",
    "types": {"@id": "@type", "@container": "@set"},
    "label_fr": {"@id": "rdfs:label", "@language": "fr"},
    "label_en": {"@id": "rdfs:label", "@language": "en"},
    # ranking metadata of this answer, not statements of the graph: left out of the RDF reading
    "query": None,
    "count": None,
    "matched": None,
    "match": None,
    "score": None,
    "snippet": None,
}


def hits_document(q: str, hits: list[Hit]) -> dict[str, Any]:
    """The JSON answer: ``{"query", "count", "hits": [...]}``."""
    return {"query": q, "count": len(hits), "hits": [h.to_dict() for h in hits]}


def hits_jsonld(q: str, hits: list[Hit]) -> dict[str, Any]:
    """The same answer as JSON-LD: each hit is a node (``@id``, ``@type``, ``rdfs:label``) in
    ``@graph``; ranking fields are kept for JSON readers but mapped to nothing."""
    return {"@context": SEARCH_CONTEXT, **hits_document(q, hits)}
