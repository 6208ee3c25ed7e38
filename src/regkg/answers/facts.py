"""Facts for chatbots: atomic, cited statements of the graph as short French and English sentences.

Facts are generated generically: for every resource that carries an ``rk:citation`` and for each
of its informative statements (links to labelled resources and data values; types, labels,
citations, structure and ordering plumbing are left out), one sentence
``<subject label> — <predicate label> : <object>.`` in French and ``…: …`` in English, using the
ontology's labels. Dates, durations and booleans are written out; an unknown date is said to be
unknown; time points given as objects show their date (or that it is unknown).

Every fact is cited with one of its subject's citations: the one whose verbatim quote best
contains the object (its names, its date as the text writes it…), else the first in
``rk:sequence`` order (then logical provision order). Quotes are the graph's ``oa:exact`` strings,
unchanged, hence exact spans of the source texts.

The facts of a store are computed once (a store is a read-only snapshot) and then filtered by
medicine and by query words in Python: user text never enters SPARQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..namespaces import ID, PREFIXES, SKOLEM_BASE
from ..store import Store
from .search import AnswerError, resolve
from .text import (
    contains_phrase,
    content_words,
    date_variants,
    duration_parts,
    fold,
    format_boolean,
    format_date,
    format_duration,
    key,
    stem,
)

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
XSD = PREFIXES["xsd"]
RK = PREFIXES["rk"]
ELI = PREFIXES["eli"]
OA = PREFIXES["oa"]
TIME = PREFIXES["time"]
ORG = PREFIXES["org"]
DCAT = PREFIXES["dcat"]
DCTERMS = PREFIXES["dcterms"]

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
SKOS_ALT = SKOS + "altLabel"
CITATION = RK + "citation"
DATE_STATUS = RK + "dateStatus"
DATE_UNKNOWN = RK + "DateUnknown"
DATE_DERIVED = RK + "DateDerived"
IN_DATE = TIME + "inXSDDate"
NOT_BEFORE = RK + "notBefore"
RELATIVE_TO = RK + "relativeTo"
OFFSET = RK + "offset"
CONCERNS = RK + "concernsProduct"
MEDICINE = RK + "MedicinalProduct"
SUBSTANCE = RK + "ActiveSubstance"
TIME_POINT = RK + "TimePoint"
CONDITION = RK + "EligibilityCondition"
INDICATION = RK + "TherapeuticIndication"

# Statements that make no sentence: types, names (except useful alternative names), citations,
# comments and definitions (editorial, not from the sources), document structure and ordering.
SKIPPED = frozenset(
    {
        RDF_TYPE, RDFS_LABEL, RDFS + "comment", RDFS + "seeAlso", SKOS + "prefLabel", SKOS + "definition",
        SKOS + "scopeNote", SKOS + "inScheme", CITATION, ELI + "has_part", ELI + "is_part_of", RK + "sequence",
        RK + "sourceFile", RK + "provisionNumber", PREFIXES["owl"] + "sameAs",
    }
)  # fmt: skip
# (predicate, implied-by): a statement is left out when the implying one says the same
IMPLIED = {ELI + "cites": ELI + "based_on", RK + "emitter": ELI + "passed_by"}
# Links not followed when gathering what a medicine is connected to.
NOT_FOLLOWED = frozenset({RDF_TYPE, CITATION, ELI + "has_part", ELI + "is_part_of"})

# Labels for reused properties the ontology declares without labels.
FALLBACK_LABELS: dict[str, tuple[str, str]] = {
    ELI + "title": ("titre", "title"),
    ELI + "number": ("numéro", "number"),
    ELI + "date_document": ("date du texte", "date of the text"),
    ELI + "date_publication": ("date de publication", "publication date"),
    ELI + "passed_by": ("adopté par", "passed by"),
    ELI + "cites": ("cite", "cites"),
    ELI + "based_on": ("pris sur le fondement de", "based on"),
    ELI + "changes": ("modifie", "changes"),
    ELI + "id_local": ("identifiant", "identifier"),
    TIME + "hasBeginning": ("début", "start"),
    TIME + "hasEnd": ("fin", "end"),
    TIME + "inXSDDate": ("date", "date"),
    TIME + "hasXSDDuration": ("durée", "duration"),
    ORG + "subOrganizationOf": ("fait partie de", "part of"),
    ORG + "unitOf": ("unité de", "unit of"),
    ORG + "memberOf": ("membre de", "member of"),
    SKOS + "broader": ("terme plus large", "broader term"),
    SKOS + "altLabel": ("autre nom", "also known as"),
    DCAT + "keyword": ("mot-clé", "keyword"),
    DCTERMS + "spatial": ("champ territorial", "territorial scope"),
}

# Order of statements within a subject (others follow, by IRI).
_RK_ORDER = (
    "framework", "concernsProduct", "productName", "strength", "pharmaceuticalForm", "hasActiveSubstance", "inn",
    "exploitedBy", "decidedBy", "establishedBy", "reportedIn", "follows", "legalBasis", "responsibleParty",
    "grantedTo", "permittedActivity", "derogatesFrom", "hasIndication", "hasCondition", "board", "imagingModality",
    "modalityCombination", "priorTreatment", "acceptedOutcome", "minimumPriorLines", "beforeDate", "initiatedUnder",
    "hasObligation", "hasPermission", "recipient", "deliverable", "deadline", "deadlineFrom", "frequency",
    "maximumDelay", "meansOfTransmission", "publicationChannel", "validity",
)  # fmt: skip
PREDICATE_ORDER = [RK + p for p in _RK_ORDER] + [
    TIME + "hasBeginning", TIME + "hasEnd", TIME + "hasXSDDuration", RK + "renewable", RK + "startInclusive",
    RK + "endInclusive", IN_DATE, DATE_STATUS, RELATIVE_TO, OFFSET, NOT_BEFORE,
]  # fmt: skip
_PREDICATE_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}
# Order of subjects by type: the medicine and its measures first, documents and people last.
TYPE_ORDER = [RK + t for t in (
    "MedicinalProduct", "ActiveSubstance", "Company", "AccessMeasure", "ValidityPeriod", "TimePoint",
    "TherapeuticIndication", "EligibilityCondition", "Permission", "Obligation", "LegalDocument", "Signature",
    "Person", "Meeting",
)]  # fmt: skip

_UNKNOWN_MARKS = ("inconnu", "non indiqu", "non precis", "unknown", "not stated")


class UnknownMedicine(AnswerError):
    """No medicine of the graph has that name, INN, brand or IRI."""

    status = 404


class AmbiguousMedicine(AnswerError):
    """Several medicines match the name equally well."""

    status = 400


class FactsUnavailable(AnswerError):
    """The store is too large for the in-memory facts base (REGKG_FACTS_MAX_TRIPLES)."""

    status = 503


def facts_allowed(store: Store, max_triples: int) -> bool:
    """Whether the facts base may be built for this store (``max_triples`` 0: no limit)."""
    return max_triples <= 0 or len(store) <= max_triples


def check_facts_allowed(store: Store, max_triples: int) -> None:
    """Raise :class:`FactsUnavailable` when the facts base would be too large to build."""
    if not facts_allowed(store, max_triples):
        raise FactsUnavailable(
            f"facts are not served for this store: {len(store):,} triples, over the limit of {max_triples:,} "
            "(REGKG_FACTS_MAX_TRIPLES; the facts base takes about 3 GB of memory per million triples); "
            "use the saved queries (/api/queries) or SPARQL (/sparql), which answer with the same citations"
        )


@dataclass(frozen=True)
class Citation:
    """Where a fact is said: the source document, the provision and the verbatim words."""

    document: str
    provision: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        return {"document": self.document, "provision": self.provision, "quote": self.quote}


@dataclass(frozen=True)
class Fact:
    """One cited statement, as a sentence in French and in English."""

    text_fr: str
    text_en: str
    subject: str
    predicate: str
    object: str  # an IRI, or a literal's lexical form
    object_is_iri: bool
    object_datatype: str | None
    object_language: str | None
    object_label_fr: str
    object_label_en: str
    subject_label_fr: str
    subject_label_en: str
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        """The Facts JSON shape (plus the subject's and object's labels)."""
        return {
            "text_fr": self.text_fr,
            "text_en": self.text_en,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "subject_label": {"fr": self.subject_label_fr, "en": self.subject_label_en},
            "object_label": {"fr": self.object_label_fr, "en": self.object_label_en},
            "citation": self.citation.to_dict(),
        }

    def to_jsonld(self) -> dict[str, Any]:
        """The fact as an ``rdf:Statement`` node (see :data:`FACTS_CONTEXT`)."""
        obj: dict[str, str]
        if self.object_is_iri:
            obj = {"@id": self.object}
        elif self.object_language:
            obj = {"@value": self.object, "@language": self.object_language}
        else:
            obj = {"@value": self.object, "@type": self.object_datatype or XSD + "string"}
        return {
            "@type": "rdf:Statement",
            "text_fr": self.text_fr,
            "text_en": self.text_en,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": obj,
            "subject_label": {"fr": self.subject_label_fr, "en": self.subject_label_en},
            "object_label": {"fr": self.object_label_fr, "en": self.object_label_en},
            "citation": {
                "@type": "rk:Citation",
                "document": self.citation.document,
                "provision": self.citation.provision,
                "selector": {"@type": "oa:TextQuoteSelector", "quote": self.citation.quote},
            },
        }


@dataclass(frozen=True)
class Medicine:
    """A medicine a request named, as resolved in the graph."""

    iri: str
    label_fr: str
    label_en: str

    def to_dict(self) -> dict[str, str]:
        return {"iri": self.iri, "label_fr": self.label_fr, "label_en": self.label_en}


# ---------------------------------------------------------------- the graph, read once


@dataclass(frozen=True)
class _Cited:
    citation: Citation
    order: tuple[int, int, int, str]
    quote_key: str
    quote_stems: frozenset[str]


Term = ox.NamedNode | ox.Literal


@dataclass
class _Graph:
    out: dict[str, dict[str, list[Term]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    incoming: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    citations: dict[str, list[_Cited]] = field(default_factory=dict)

    def values(self, s: str, p: str) -> list[Term]:
        return self.out.get(s, {}).get(p, [])

    def value(self, s: str, p: str) -> str | None:
        found = self.values(s, p)
        return found[0].value if found else None

    def label(self, iri: str, lang: str) -> str:
        found = self.labels.get(iri, {})
        other = "en" if lang == "fr" else "fr"
        text = found.get(lang) or found.get(other) or found.get("")
        if text:
            return text
        for p in (RK + "productName", SKOS_ALT):
            named = self.value(iri, p)
            if named:
                return named
        return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def has_label(self, iri: str) -> bool:
        return iri in self.labels

    def predicate_label(self, iri: str, lang: str) -> str:
        found = self.labels.get(iri, {})
        if found.get(lang):
            return found[lang]
        if iri in FALLBACK_LABELS:
            fr, en = FALLBACK_LABELS[iri]
            return fr if lang == "fr" else en
        return found.get("en") or found.get("") or iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def is_type(self, iri: str, cls: str) -> bool:
        return cls in self.types.get(iri, ())


def _load(store: Store) -> _Graph:
    g = _Graph()
    for row in store.query("SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?s)) }"):
        s, p, o = row["s"].value, row["p"].value, row["o"]
        if isinstance(o, ox.BlankNode):
            continue
        if p == RDFS_LABEL and isinstance(o, ox.Literal):
            g.labels.setdefault(s, {}).setdefault(o.language or "", o.value)
            continue
        if p == RDF_TYPE:
            g.types[s].add(o.value)
        g.out[s][p].append(o)
        if isinstance(o, ox.NamedNode):
            g.incoming[o.value][p].add(s)
    for s, predicates in g.out.items():
        cited = []
        for c in predicates.get(CITATION, []):
            document, provision = g.value(c.value, OA + "hasSource"), g.value(c.value, RK + "provision")
            selector = g.value(c.value, OA + "hasSelector")
            quote = g.value(selector, OA + "exact") if selector else None
            if not (document and provision and quote):
                continue  # SHACL refuses incomplete citations; never return one
            seq = g.value(c.value, RK + "sequence")
            provision_seq = g.value(provision, RK + "sequence")
            quote_key = key(quote)
            cited.append(
                _Cited(
                    Citation(document, provision, quote),
                    (int(seq) if seq else 1_000_000, int(provision_seq) if provision_seq else 1_000_000,
                     -len(quote), quote),
                    quote_key,
                    frozenset(stem(w) for w in quote_key.split()),
                )
            )  # fmt: skip
        if cited:
            cited.sort(key=lambda c: c.order)
            g.citations[s] = cited
    # subclass closure of the types (so that a ReportingObligation is an Obligation)
    parents: dict[str, set[str]] = defaultdict(set)
    for s, predicates in g.out.items():
        for o in predicates.get(RDFS + "subClassOf", []):
            if isinstance(o, ox.NamedNode):
                parents[s].add(o.value)
    for types in g.types.values():
        todo = list(types)
        while todo:
            for sup in parents.get(todo.pop(), ()):
                if sup not in types:
                    types.add(sup)
                    todo.append(sup)
    return g


# ---------------------------------------------------------------- sentences


def _unknown_marked(text: str) -> bool:
    folded = fold(text)
    return any(mark in folded for mark in _UNKNOWN_MARKS)


def _time_point(g: _Graph, iri: str, lang: str) -> str:
    """A time point as an object: its date (derived dates say so), or its label and that the date
    is unknown, with the earliest date it can have."""
    date = g.value(iri, IN_DATE)
    status = g.value(iri, DATE_STATUS)
    if date:
        text = format_date(date, lang)
        if status == DATE_DERIVED:
            text += " (date déduite)" if lang == "fr" else " (derived date)"
        return text
    text = g.label(iri, lang)
    if status == DATE_UNKNOWN and not _unknown_marked(text):
        text += " (date inconnue)" if lang == "fr" else " (date unknown)"
    not_before = g.value(iri, NOT_BEFORE)
    if not_before:
        earliest = format_date(not_before, lang)
        text += f", pas avant le {earliest}" if lang == "fr" else f", not before {earliest}"
    return text


def _literal(term: ox.Literal, lang: str) -> str:
    datatype = term.datatype.value if term.datatype else ""
    if datatype == XSD + "date" or datatype == XSD + "dateTime":
        return format_date(term.value, lang)
    if datatype in (XSD + "duration", XSD + "yearMonthDuration", XSD + "dayTimeDuration"):
        return format_duration(term.value, lang)
    if datatype == XSD + "boolean":
        return format_boolean(term.value, lang)
    return term.value


def _sentence(subject: str, predicate: str, obj: str, lang: str) -> str:
    end = "" if obj.endswith((".", "!", "?", "…")) else "."
    colon = " :" if lang == "fr" else ":"
    return f"{subject} — {predicate}{colon} {obj}{end}"


def _needles(g: _Graph, term: Term) -> list[str]:
    """What a quote may say of the object: its names, or its value as a text writes it."""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        out = list(g.labels.get(iri, {}).values())
        for p in (SKOS_ALT, RK + "productName", RK + "inn", RK + "provisionNumber", ELI + "number", RK + "nor"):
            out.extend(v.value for v in g.values(iri, p))
        date = g.value(iri, IN_DATE)
        if date:
            out.extend(date_variants(date))
        return out
    datatype = term.datatype.value if term.datatype else ""
    if datatype == XSD + "date":
        return date_variants(term.value)
    if datatype.endswith("uration"):
        out = [format_duration(term.value, lang, words_for_numbers=w) for lang in ("fr", "en") for w in (False, True)]
        parts = duration_parts(term.value)
        if len(parts) == 1 and parts[0][1] == "Y":  # the store writes P12M as P1Y: texts may say months
            out.append(f"{int(parts[0][0]) * 12} mois")
        return out
    if datatype == XSD + "boolean":
        return []
    return [term.value]


def _needle_score(cited: _Cited, needle: str) -> float:
    """How well a quote says a needle: the number of the needle's content words it contains,
    doubled when it contains the whole needle as a phrase; 0 below half of the words."""
    tokens = [stem(w) for w in content_words(needle)]
    if not tokens:
        return 0.0
    found = sum(t in cited.quote_stems for t in tokens)
    if found * 2 < len(tokens):
        return 0.0
    return found * (2.0 if contains_phrase(cited.quote_key, key(needle)) else 1.0)


def _choose_citation(g: _Graph, subject: str, predicate: str, term: Term) -> Citation:
    """The subject's citation whose quote best says this statement (the object's names or value
    first, then the predicate's label), else its first citation (rk:sequence, provision order)."""
    cited = g.citations[subject]
    if len(cited) == 1:
        return cited[0].citation
    object_needles = _needles(g, term)
    predicate_needles = [g.predicate_label(predicate, "fr"), g.predicate_label(predicate, "en")]
    best, best_score = cited[0], 0.0
    for candidate in cited:  # in default order: the first of equals wins
        obj = max((_needle_score(candidate, n) for n in object_needles), default=0.0)
        pred = max((_needle_score(candidate, n) for n in predicate_needles), default=0.0)
        score = 2 * obj + pred
        if score > best_score:
            best, best_score = candidate, score
    return best.citation


@dataclass(frozen=True)
class _Stored:
    fact: Fact
    order: int
    haystack: str  # match key of both texts, the quote and the object's lexical form
    tokens: frozenset[str]
    subject_tokens: frozenset[str]


def _short_name(g: _Graph, iri: str, lang: str) -> str | None:
    """The shortest alternative name (abbreviation…) that the label in that language uses, else
    the shortest alternative name."""
    alternatives = [v.value for v in g.values(iri, SKOS_ALT)]
    if not alternatives:
        return None
    label_key = key(g.label(iri, lang))
    inside = [a for a in alternatives if contains_phrase(label_key, key(a))]
    return min(inside or alternatives, key=lambda a: (len(a), a))


def _subject_name(g: _Graph, s: str, lang: str) -> str:
    """The subject as sentences name it: its label; a condition of an indication also names the
    indication (several indications have conditions with the same label)."""
    name = g.label(s, lang)
    if g.is_type(s, CONDITION):
        for owner in sorted(g.incoming.get(s, {}).get(RK + "hasCondition", set())):
            short = _short_name(g, owner, lang) if g.is_type(owner, INDICATION) else None
            if short and not contains_phrase(key(name), key(short)):
                return f"{name} (indication : {short})" if lang == "fr" else f"{name} (indication: {short})"
    return name


def _statement_facts(g: _Graph, s: str) -> list[tuple[str, Term, str, str, str, str]]:
    """(predicate, object, text_fr, text_en, object_label_fr, object_label_en) for each statement
    of ``s`` that makes a sentence."""
    out: list[tuple[str, Term, str, str, str, str]] = []
    s_fr, s_en = _subject_name(g, s, "fr"), _subject_name(g, s, "en")
    label_keys = [key(v) for v in g.labels.get(s, {}).values()]
    predicates = sorted(g.out.get(s, {}), key=lambda p: (_PREDICATE_RANK.get(p, len(_PREDICATE_RANK)), p))
    for p in predicates:
        if p in SKIPPED:
            continue
        p_fr, p_en = g.predicate_label(p, "fr"), g.predicate_label(p, "en")
        implied_by = IMPLIED.get(p)
        implied = {o.value for o in g.values(s, implied_by)} if implied_by else set()
        for term in sorted(g.values(s, p), key=lambda t: t.value):
            if term.value in implied:
                continue
            if isinstance(term, ox.NamedNode):
                o = term.value
                if p == DATE_STATUS and o == DATE_UNKNOWN:
                    out.append((p, term,
                                f"La date de « {s_fr} » est inconnue : le texte ne l'indique pas.",
                                f"The date of “{s_en}” is unknown: the text does not state it.",
                                g.label(o, "fr"), g.label(o, "en")))  # fmt: skip
                    continue
                if p == RELATIVE_TO and g.values(s, OFFSET):
                    continue  # said with the offset
                if g.is_type(o, TIME_POINT):
                    o_fr, o_en = _time_point(g, o, "fr"), _time_point(g, o, "en")
                elif g.has_label(o):
                    o_fr, o_en = g.label(o, "fr"), g.label(o, "en")
                else:
                    continue  # an unlabelled resource makes no readable sentence
                out.append((p, term, _sentence(s_fr, p_fr, o_fr, "fr"), _sentence(s_en, p_en, o_en, "en"),
                            g.label(o, "fr") if g.has_label(o) else o_fr,
                            g.label(o, "en") if g.has_label(o) else o_en))  # fmt: skip
                continue
            assert isinstance(term, ox.Literal)
            o_fr, o_en = _literal(term, "fr"), _literal(term, "en")
            if p == SKOS_ALT:
                alt = key(term.value)
                if not alt or any(contains_phrase(k, alt) or contains_phrase(alt, k) for k in label_keys):
                    continue  # the label says it already, or it is the label with a title or a prefix
            if p == NOT_BEFORE:
                out.append((p, term, f"{s_fr} — pas avant le {o_fr}.", f"{s_en} — not before {o_en}.", o_fr, o_en))
            elif p == RK + "beforeDate":
                out.append((p, term, f"{s_fr} — avant le {o_fr} (ce jour exclu).",
                            f"{s_en} — before {o_en} (that day excluded).", o_fr, o_en))  # fmt: skip
            elif p == OFFSET and g.values(s, RELATIVE_TO):
                ref = g.value(s, RELATIVE_TO) or ""
                out.append((p, term, f"{s_fr} — {o_fr} après « {g.label(ref, 'fr')} ».",
                            f"{s_en} — {o_en} after “{g.label(ref, 'en')}”.", o_fr, o_en))  # fmt: skip
            else:
                out.append((p, term, _sentence(s_fr, p_fr, o_fr, "fr"), _sentence(s_en, p_en, o_en, "en"), o_fr, o_en))
    return out


def _type_rank(g: _Graph, s: str) -> int:
    for rank, cls in enumerate(TYPE_ORDER):
        if g.is_type(s, cls):
            return rank
    return len(TYPE_ORDER)


@dataclass
class FactBase:
    """All facts of one store, in a stable order, and what each medicine is connected to."""

    graph: _Graph
    facts: list[_Stored]
    medicines: list[Medicine]
    _connected: dict[str, frozenset[str]] = field(default_factory=dict)

    def connected(self, medicine: str) -> frozenset[str]:
        """The medicine, the resources concerning it (measures, permissions, documents) and every
        cited resource reachable from them (indications, conditions, obligations, periods, time
        points, signatures…), without passing through another medicine."""
        if medicine not in self._connected:
            g = self.graph
            products = {m.iri for m in self.medicines}
            start = {medicine} | g.incoming.get(medicine, {}).get(CONCERNS, set())
            seen = set(start)
            todo = list(start)
            while todo:
                node = todo.pop()
                for p, objects in g.out.get(node, {}).items():
                    if p in NOT_FOLLOWED:
                        continue
                    for o in objects:
                        target = o.value
                        if (isinstance(o, ox.NamedNode) and target not in seen and target not in products
                                and target in g.citations):  # fmt: skip
                            seen.add(target)
                            todo.append(target)
            self._connected[medicine] = frozenset(seen)
        return self._connected[medicine]


def build_facts(store: Store) -> FactBase:
    """Read the store once and generate every cited fact."""
    g = _load(store)
    subjects = [s for s in g.citations if s.startswith(str(ID)) and not s.startswith(SKOLEM_BASE)]
    subjects.sort(key=lambda s: (_type_rank(g, s), s))
    stored: list[_Stored] = []
    for s in subjects:
        subject_tokens = frozenset(w for v in g.labels.get(s, {}).values() for w in key(v).split())
        for p, term, text_fr, text_en, label_fr, label_en in _statement_facts(g, s):
            citation = _choose_citation(g, s, p, term)
            is_iri = isinstance(term, ox.NamedNode)
            datatype = language = None
            if isinstance(term, ox.Literal):
                language = term.language
                datatype = None if language else term.datatype.value
            fact = Fact(
                text_fr=text_fr, text_en=text_en, subject=s, predicate=p, object=term.value, object_is_iri=is_iri,
                object_datatype=datatype, object_language=language, object_label_fr=label_fr,
                object_label_en=label_en, subject_label_fr=g.label(s, "fr"), subject_label_en=g.label(s, "en"),
                citation=citation,
            )  # fmt: skip
            # the value as written in data (ISO dates) is searchable too
            value = (g.value(term.value, IN_DATE) or "") if is_iri else term.value
            haystack = key(" | ".join((text_fr, text_en, citation.quote, value)))
            stored.append(_Stored(fact, len(stored), haystack, frozenset(haystack.split()), subject_tokens))
    medicines = sorted(
        (Medicine(s, g.label(s, "fr"), g.label(s, "en")) for s in g.types if g.is_type(s, MEDICINE)),
        key=lambda m: m.iri,
    )
    return FactBase(g, stored, medicines)


def fact_base(store: Store) -> FactBase:
    """The store's facts, generated on first use and kept as long as the store object lives."""
    return store.derived.get("facts", lambda: build_facts(store))


# ---------------------------------------------------------------- the query functions


def _known(base: FactBase) -> str:
    names = []
    for m in base.medicines:
        name = base.graph.value(m.iri, RK + "productName") or m.label_fr
        names.append(f"{name} <{m.iri}>")
    return ", ".join(names) or "none"


def resolve_medicine(store: Store, name: str) -> Medicine:
    """The medicine a name designates: its IRI, brand or product name, an alternative name or
    abbreviation, or its active substance's INN (case- and accent-insensitive; exact, prefix or
    whole-word matches). Raises :class:`UnknownMedicine` (404) or :class:`AmbiguousMedicine` (400)."""
    base = fact_base(store)
    g = base.graph
    by_iri = {m.iri: m for m in base.medicines}
    text = (name or "").strip()
    if text in by_iri:
        return by_iri[text]
    if text.startswith(("http://", "https://")) or not key(text):
        raise UnknownMedicine(f"unknown medicine {name!r}; known medicines: {_known(base)}")
    found: dict[str, None] = {}
    for hit in resolve(store, text, [MEDICINE, SUBSTANCE]):
        if hit.iri in by_iri:
            found[hit.iri] = None
        else:  # an active substance: the medicines that contain it
            for product in sorted(g.incoming.get(hit.iri, {}).get(RK + "hasActiveSubstance", set())):
                if product in by_iri:
                    found[product] = None
    if not found:
        raise UnknownMedicine(f"unknown medicine {name!r}; known medicines: {_known(base)}")
    if len(found) > 1:
        names = ", ".join(f"{by_iri[i].label_fr} <{i}>" for i in found)
        raise AmbiguousMedicine(f"{name!r} names several medicines: {names}; be more specific")
    return by_iri[next(iter(found))]


def _query_words(q: str) -> list[str]:
    return [stem(w) for w in content_words(q)]


def _score(item: _Stored, query_words: list[str], phrase: str) -> float | None:
    score = 0.0
    for w in query_words:
        if w not in item.haystack:
            return None
        if any(t.startswith(w) for t in item.subject_tokens):
            score += 3
        elif any(t.startswith(w) for t in item.tokens):
            score += 2
        else:
            score += 1
    if len(query_words) > 1 and contains_phrase(item.haystack, phrase):
        score += 3
    return score


def facts(store: Store, q: str | None = None, medicine: str | None = None, limit: int = 50) -> list[Fact]:
    """Cited facts, as sentences in French and English.

    ``medicine`` (name, brand, INN, abbreviation or IRI) keeps the facts about resources connected
    to that medicine; ``q`` keeps the facts whose texts or quote contain all its words (case- and
    accent-insensitive; French and English stop words are ignored), best matches first. Without
    ``q``, facts come in a stable order: medicines, measures, periods and dates, indications and
    conditions, permissions, obligations, then documents and signatures."""
    base = fact_base(store)
    items = base.facts
    if medicine is not None and medicine.strip():
        keep = base.connected(resolve_medicine(store, medicine).iri)
        items = [i for i in items if i.fact.subject in keep]
    if q is not None and key(q):
        words = _query_words(q)
        phrase = key(q)
        scored = [(score, i) for i in items if (score := _score(i, words, phrase)) is not None]
        scored.sort(key=lambda pair: (-pair[0], pair[1].order))
        items = [i for _, i in scored]
    return [i.fact for i in items[: max(limit, 0)]]


# ---------------------------------------------------------------- JSON and JSON-LD documents

FACTS_CONTEXT: dict[str, Any] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "rk": RK,
    "oa": OA,
    "facts": "@graph",
    "text_fr": {"@id": "rdfs:label", "@language": "fr"},
    "text_en": {"@id": "rdfs:label", "@language": "en"},
    "subject": {"@id": "rdf:subject", "@type": "@id"},
    "predicate": {"@id": "rdf:predicate", "@type": "@id"},
    "object": {"@id": "rdf:object"},
    "citation": {"@id": "rk:citation"},
    "document": {"@id": "oa:hasSource", "@type": "@id"},
    "provision": {"@id": "rk:provision", "@type": "@id"},
    "selector": {"@id": "oa:hasSelector"},
    "quote": {"@id": "oa:exact"},
    # conveniences of this answer, not statements of the graph: left out of the RDF reading
    "subject_label": None,
    "object_label": None,
    "query": None,
    "medicine": None,
    "count": None,
}


def facts_document(
    found: list[Fact], *, q: str | None = None, medicine: str | None = None, resolved: Medicine | None = None
) -> dict[str, Any]:
    """The JSON answer: ``{"query", "medicine", "count", "facts": [...]}``."""
    return {
        "query": {"q": q, "medicine": medicine},
        "medicine": resolved.to_dict() if resolved else None,
        "count": len(found),
        "facts": [f.to_dict() for f in found],
    }


def facts_jsonld(
    found: list[Fact], *, q: str | None = None, medicine: str | None = None, resolved: Medicine | None = None
) -> dict[str, Any]:
    """The same answer as JSON-LD: each fact an ``rdf:Statement`` (``rdf:subject``,
    ``rdf:predicate``, ``rdf:object``, ``rdfs:label`` in French and English) whose ``rk:citation``
    has ``oa:hasSource``, ``rk:provision`` and an ``oa:TextQuoteSelector`` with ``oa:exact``."""
    return {
        "@context": FACTS_CONTEXT,
        "query": {"q": q, "medicine": medicine},
        "medicine": resolved.to_dict() if resolved else None,
        "count": len(found),
        "facts": [f.to_jsonld() for f in found],
    }
