"""Applicability: which access measures apply to a medicine on a date, for what is known of a patient.

:func:`applicability` reads everything from the graph: the medicine's access measures
(``rk:AccessMeasure`` with ``rk:concernsProduct``), their validity periods (OWL-Time boundaries,
``rk:dateStatus``, ``rk:relativeTo`` + ``rk:offset``, ``rk:notBefore``, inclusivity), their
indications and eligibility conditions, and the citations of each. The code knows the
*ontology* (condition classes and their properties), never a medicine: a new text modelled in
the graph is answered without a code change.

Semantics, in short:

- A date is inside a period when it is on or after its start and on or before its end, each
  boundary included or not by ``rk:startInclusive`` / ``rk:endInclusive`` (default: included).
  An unknown boundary is placed only through what is certain: ``rk:notBefore`` (stated, or
  derived along ``rk:relativeTo`` + ``rk:offset``) and a date computed from a dated reference.
  Otherwise the answer is *indeterminate* and the missing fact names the event whose date is
  unknown. No date is ever guessed.
- ``rk:beforeDate`` is strict ("avant le 25 octobre 2023" excludes that day).
- Conditions: treatment start (``rk:beforeDate``, and within the period of ``rk:initiatedUnder``),
  imaging (``rk:imagingModality`` combined by ``rk:AllOf`` / ``rk:AnyOf``), prior treatment
  (``rk:priorTreatment`` or a narrower treatment by ``skos:broader``, with one of the
  ``rk:acceptedOutcome``; at least ``rk:minimumPriorLines``), board proposal (``rk:board``);
  any other condition is decided only by an explicit answer in :attr:`Facts.other`. An explicit
  answer keyed by a condition decides that condition whatever its class.
- A measure is *not applicable* when its period excludes the date, a condition is unmet, or it
  does not cover the indication; else *indeterminate* when the period cannot be decided or a
  condition (or the indication) is unknown; else *applicable*.
- Permissions (``rk:hasPermission``) are reported with whether they are in force on the date;
  they say what actors may do (supply, buy, dispense), not which patients are covered, so they
  never change a status.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from datetime import date as Date  # for dataclass fields named 'date'
from typing import Any, Literal

import pyoxigraph as ox

from ..namespaces import ID
from ..store import Store
from .dates import DateFormatError, add_duration, describe_duration, parse_date

__all__ = [
    "ApplicabilityError",
    "Facts",
    "applicability",
    "facts_from_pairs",
]

Status = Literal["applicable", "not_applicable", "indeterminate"]
ConditionStatus = Literal["met", "unmet", "unknown"]
Placement = Literal["inside", "before_start", "after_end", "undecidable"]

_RK = "https://w3id.org/regkg/ontology#"
_ID = str(ID)
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_TIME = "http://www.w3.org/2006/time#"
_OA = "http://www.w3.org/ns/oa#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NAME_PROPERTIES = (_RDFS_LABEL, _SKOS + "altLabel", _SKOS + "prefLabel", _RK + "productName")

# Outcome words meaning "this treatment was not given" (a prior-treatment fact that fails the condition).
_NOT_GIVEN = "not-given"
_NOT_GIVEN_WORDS = {"none", "not given", "not-given", "never", "never given", "no", "non", "aucun", "jamais"}
_TRUE_WORDS = {"true", "yes", "y", "1", "met", "positive", "pos", "oui", "vrai", "+"}
_FALSE_WORDS = {"false", "no", "n", "0", "unmet", "not met", "negative", "neg", "non", "faux", "-"}
_UNKNOWN_WORDS = {"", "unknown", "?", "null", "none", "inconnu"}


class ApplicabilityError(ValueError):
    """Bad input: malformed date (400), unknown medicine or indication (404), unknown fact (400).

    ``status`` is the HTTP status to answer with; the message names the bad input and what
    would be accepted.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Facts:
    """What is known of the patient and the treatment; everything is optional.

    - ``treatment_start``: the day the treatment was initiated (``YYYY-MM-DD`` or a date).
    - ``indication``: an indication IRI, or text matching its label or an alternative label
      (case- and accent-insensitive), e.g. ``"méningiome"``, ``"PPGL"``.
    - ``imaging``: modality (IRI, local name such as ``"fdg-pet"``, label or alternative label
      such as ``"FDG"``) → whether the examination satisfies the condition (``True``) or not.
    - ``prior_treatments``: ``(treatment, outcome)`` pairs; a treatment by IRI, local name or
      label (narrower treatments count for broader ones, by ``skos:broader``), an outcome such as
      ``"failure"``, ``"contraindication"``, ``"impossible"``, ``"progression"``, or ``"none"``
      when the treatment was not given.
    - ``board_proposal``: whether the board named by the condition proposed the treatment.
    - ``other``: explicit answers to conditions, keyed by condition IRI, path under the id base,
      last path segment (``"adults"``) or label; values ``True``/``False`` or words such as
      ``"yes"``/``"no"``/``"unknown"``.
    """

    treatment_start: date | str | None = None
    indication: str | None = None
    imaging: dict[str, bool | str] = field(default_factory=dict)
    prior_treatments: list[tuple[str, str]] = field(default_factory=list)
    board_proposal: bool | str | None = None
    other: dict[str, str | bool | None] = field(default_factory=dict)


def facts_from_pairs(
    pairs: Iterable[str],
    *,
    treatment_start: str | None = None,
    indication: str | None = None,
) -> Facts:
    """Facts from ``KEY=VALUE`` strings (the CLI's ``--fact``):

    ``board=yes``, ``imaging:fdg-pet=true``, ``prior:surgery=failure``,
    ``treatment_start=2023-10-24``, ``indication=PPGL``; any other key is an explicit answer to
    a condition (``adults=yes``). Raises :class:`ApplicabilityError` on a pair without ``=``.
    """
    facts = Facts(treatment_start=treatment_start, indication=indication)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ApplicabilityError(
                f"malformed fact {pair!r}: expected KEY=VALUE, e.g. board=yes, imaging:<modality>=true, "
                "prior:<treatment>=<outcome>, treatment_start=YYYY-MM-DD, <condition>=yes"
            )
        lowered = key.casefold()
        if lowered in ("board", "board_proposal", "board-proposal"):
            facts.board_proposal = value
        elif lowered.startswith("imaging:"):
            facts.imaging[key.split(":", 1)[1].strip()] = value
        elif lowered.startswith("prior:"):
            facts.prior_treatments.append((key.split(":", 1)[1].strip(), value))
        elif lowered in ("treatment_start", "treatment-start-date", "start"):
            facts.treatment_start = value
        elif lowered == "indication":
            facts.indication = value
        else:
            facts.other[key] = value
    return facts


# ============================================================================ graph access


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name (® and ™ dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


_IRI_OK = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def _ref(iri: str) -> str:
    """An IRI from the graph as a SPARQL term (refuses anything that is not a plain IRI)."""
    if not _IRI_OK.match(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def _relative(iri: str) -> str:
    return iri[len(_ID) :] if iri.startswith(_ID) else iri


Term = ox.NamedNode | ox.Literal | ox.BlankNode


class _Graph:
    """Cached reads of the store: a node's properties, its classes, broader concepts."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.store = store
        self._props: dict[str, dict[str, list[Term]]] = {}
        self._types: dict[str, frozenset[str]] = {}
        self._broader: dict[str, frozenset[str]] = {}

    def _select(self, query: str, var: str) -> list[str]:
        return sorted({row[var].value for row in self._store.query(query) if isinstance(row[var], ox.NamedNode)})

    def props(self, node: str) -> dict[str, list[Term]]:
        if node not in self._props:
            table: dict[str, list[Term]] = {}
            for row in self._store.query(f"SELECT ?p ?o WHERE {{ {_ref(node)} ?p ?o }}"):
                table.setdefault(row["p"].value, []).append(row["o"])
            for values in table.values():
                values.sort(key=lambda t: (type(t).__name__, t.value, getattr(t, "language", None) or ""))
            self._props[node] = table
        return self._props[node]

    def iris(self, node: str, prop: str) -> list[str]:
        return [t.value for t in self.props(node).get(prop, []) if isinstance(t, ox.NamedNode)]

    def iri(self, node: str, prop: str) -> str | None:
        values = self.iris(node, prop)
        return values[0] if values else None

    def literals(self, node: str, prop: str) -> list[ox.Literal]:
        return [t for t in self.props(node).get(prop, []) if isinstance(t, ox.Literal)]

    def text(self, node: str, prop: str) -> str | None:
        values = self.literals(node, prop)
        return values[0].value if values else None

    def date(self, node: str, prop: str) -> date | None:
        for lit in self.literals(node, prop):
            if lit.datatype.value == _XSD + "date":
                try:
                    return date.fromisoformat(lit.value)
                except ValueError:
                    return None
        return None

    def boolean(self, node: str, prop: str) -> bool | None:
        for lit in self.literals(node, prop):
            if lit.value in ("true", "1"):
                return True
            if lit.value in ("false", "0"):
                return False
        return None

    def integer(self, node: str, prop: str) -> int | None:
        for lit in self.literals(node, prop):
            try:
                return int(lit.value)
            except ValueError:
                continue
        return None

    def label(self, node: str, lang: str = "en") -> str:
        labels = self.literals(node, _RDFS_LABEL)
        for wanted in (lang, "en", "fr", None):
            for lit in labels:
                if (lit.language or None) == wanted:
                    return lit.value
        return labels[0].value if labels else _local(node)

    def names(self, node: str) -> list[str]:
        return [lit.value for prop in _NAME_PROPERTIES for lit in self.literals(node, prop)]

    def alt_labels(self, node: str) -> list[str]:
        return [lit.value for lit in self.literals(node, _SKOS + "altLabel")]

    def types(self, node: str) -> frozenset[str]:
        """The node's classes and their superclasses (rdfs:subClassOf*)."""
        if node not in self._types:
            query = f"SELECT DISTINCT ?t WHERE {{ {_ref(node)} a/rdfs:subClassOf* ?t }}"
            self._types[node] = frozenset(self._select(query, "t"))
        return self._types[node]

    def broader(self, node: str) -> frozenset[str]:
        """The concept and every concept above it (skos:broader*)."""
        if node not in self._broader:
            query = f"SELECT DISTINCT ?b WHERE {{ {_ref(node)} skos:broader* ?b }}"
            self._broader[node] = frozenset(self._select(query, "b")) | {node}
        return self._broader[node]

    def measures_of(self, medicine: str) -> list[str]:
        query = (
            f"SELECT DISTINCT ?m WHERE {{ ?m rk:concernsProduct {_ref(medicine)} ; "
            f"a/rdfs:subClassOf* rk:AccessMeasure }}"
        )
        return self._select(query, "m")

    def citations(self, node: str) -> list[dict[str, str | None]]:
        """The node's citations: document, provision and verbatim quote, in their stated order."""
        found = []
        for cit in self.iris(node, _RK + "citation"):
            selector = self.iri(cit, _OA + "hasSelector")
            seq = self.integer(cit, _RK + "sequence")
            entry = {
                "document": self.iri(cit, _OA + "hasSource"),
                "provision": self.iri(cit, _RK + "provision"),
                "quote": self.text(selector, _OA + "exact") if selector else None,
            }
            found.append((seq if seq is not None else 1_000_000, entry["provision"] or "", entry["quote"] or "", entry))
        found.sort(key=lambda item: item[:3])
        return [item[3] for item in found]

    def ref(self, node: str | None) -> dict[str, str] | None:
        return {"iri": node, "label": self.label(node)} if node else None


def _keys(g: _Graph, node: str) -> set[str]:
    """The folded names a node answers to: IRI, path under the id base, last segment, labels."""
    keys = {_fold(node), _fold(_relative(node)), _fold(_local(node))}
    keys.update(_fold(name) for name in g.names(node))
    keys.discard("")
    return keys


@dataclass(frozen=True)
class _NameIndex:
    """The instances of a class (``?x a/rdfs:subClassOf* cls``, sorted IRIs) and the folded names
    each answers to: its IRI, path under the id base and last segment, and its labels, alternative
    and preferred labels and product name (as :func:`_keys`); for medicines also those of their
    active substances, and the substances' INN."""

    members: tuple[str, ...]
    keys: dict[str, frozenset[str]]


def _name_index(g: _Graph, cls: str, substances: bool = False) -> _NameIndex:
    """The name index of a class, read in one query (a whole-class read, ~0.25 s at 1M triples);
    an embedded store's is kept with its handle (a built store never changes)."""
    store = g.store
    if isinstance(store, Store):
        return store.derived.get(("names", cls, substances), lambda: _read_name_index(store, cls, substances))
    return _read_name_index(store, cls, substances)


def _read_name_index(store: Any, cls: str, substances: bool) -> _NameIndex:
    names = "rdfs:label|skos:altLabel|skos:prefLabel|rk:productName"
    through = (
        f"UNION {{ ?x rk:hasActiveSubstance ?substance . FILTER(isIRI(?substance)) ?substance {names}|rk:inn ?name }}"
        if substances
        else ""
    )
    query = f"""SELECT ?x ?name WHERE {{
        ?x a/rdfs:subClassOf* {_ref(cls)} .
        OPTIONAL {{ {{ ?x {names} ?name }} {through} FILTER(isLiteral(?name)) }} }}"""
    found: dict[str, set[str]] = {}
    for row in store.query(query):
        node = row["x"]
        if not isinstance(node, ox.NamedNode):
            continue
        iri = node.value
        if iri not in found:
            found[iri] = {_fold(iri), _fold(_relative(iri)), _fold(_local(iri))}
        if row["name"] is not None:
            found[iri].add(_fold(row["name"].value))
    return _NameIndex(tuple(sorted(found)), {iri: frozenset(k - {""}) for iri, k in found.items()})


# ============================================================================ facts


@dataclass
class _Missing:
    key: str  # how to answer: treatment_start, imaging:<modality>, prior:<treatment>, board_proposal, ...
    text: str


@dataclass
class _Resolved:
    treatment_start: date | None
    imaging: dict[str, bool]
    prior: list[tuple[str, str]]
    board: bool | None
    other: list[tuple[str, str, bool]]  # (folded key, key as given, answer)


def _as_bool(value: bool | str | None, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    if word in _UNKNOWN_WORDS:
        return None
    raise ApplicabilityError(f"{what}: {value!r} is not a yes/no answer; use true, false or unknown")


def _resolve_concept(g: _Graph, text: str, cls: str, what: str) -> str:
    index = _name_index(g, cls)
    candidates = list(index.members)
    if text in candidates:
        return text
    key = _fold(text)
    hits = [c for c in candidates if key and key in index.keys[c]]
    if len(hits) == 1:
        return hits[0]
    known = "; ".join(f"{_local(c)} ({g.label(c)})" for c in candidates)
    if hits:
        raise ApplicabilityError(f"{what} {text!r} is ambiguous: it names {', '.join(hits)}; known: {known}")
    raise ApplicabilityError(f"unknown {what} {text!r}; known {what}s: {known or 'none'}")


def _resolve_facts(g: _Graph, facts: Facts) -> _Resolved:
    start = None
    if facts.treatment_start is not None and facts.treatment_start != "":
        try:
            start = parse_date(facts.treatment_start, "treatment_start")
        except DateFormatError as exc:
            raise ApplicabilityError(str(exc)) from exc
    imaging: dict[str, bool] = {}
    for key, value in facts.imaging.items():
        modality = _resolve_concept(g, key, _RK + "ImagingModality", "imaging modality")
        answer = _as_bool(value, f"imaging result for {key!r}")
        if answer is not None:
            imaging[modality] = answer
    prior: list[tuple[str, str]] = []
    for pair in facts.prior_treatments:
        if len(pair) != 2:
            raise ApplicabilityError(f"prior treatment {pair!r}: expected a (treatment, outcome) pair")
        treatment_text, outcome_text = pair
        treatment = _resolve_concept(g, treatment_text, _RK + "Treatment", "treatment")
        if _fold(outcome_text) in _NOT_GIVEN_WORDS:
            outcome = _NOT_GIVEN
        else:
            outcome = _resolve_concept(g, outcome_text, _RK + "TreatmentOutcome", "treatment outcome")
        prior.append((treatment, outcome))
    board = _as_bool(facts.board_proposal, "board_proposal")
    other = []
    for key, given in facts.other.items():
        answer = _as_bool(given, f"answer for condition {key!r}")
        if answer is not None:
            other.append((_fold(key), key, answer))
    return _Resolved(start, imaging, prior, board, other)


# ============================================================================ time


@dataclass
class _TimePoint:
    iri: str | None
    label: str
    date: Date | None
    status: str  # stated | derived | computed | unknown
    not_before: Date | None = None
    not_before_derived: bool = False
    relative_to: str | None = None
    offset: str | None = None
    event: str | None = None  # the undated time point whose date is missing
    event_label: str | None = None
    citations: list[dict[str, str | None]] = field(default_factory=list)


_STATUS_NAMES = {"DateStated": "stated", "DateDerived": "derived", "DateUnknown": "unknown"}


def _time_point(g: _Graph, iri: str, seen: frozenset[str] = frozenset()) -> _TimePoint:
    day = g.date(iri, _TIME + "inXSDDate")
    status_iri = g.iri(iri, _RK + "dateStatus")
    status = _STATUS_NAMES.get(_local(status_iri), "unknown") if status_iri else ("stated" if day else "unknown")
    point = _TimePoint(
        iri=iri,
        label=g.label(iri),
        date=day,
        status=status,
        not_before=g.date(iri, _RK + "notBefore"),
        relative_to=g.iri(iri, _RK + "relativeTo"),
        offset=g.text(iri, _RK + "offset"),
        citations=g.citations(iri),
    )
    if day is not None:
        return point
    point.event, point.event_label = iri, point.label
    if point.relative_to and point.offset and point.relative_to not in seen:
        ref = _time_point(g, point.relative_to, seen | {iri})
        if ref.date is not None:
            computed = add_duration(ref.date, point.offset)
            if computed is not None:  # exact arithmetic on a dated reference: not a guess
                point.date, point.status, point.event, point.event_label = computed, "computed", None, None
                return point
        else:
            point.event, point.event_label = ref.event, ref.event_label
            bound = add_duration(ref.not_before, point.offset) if ref.not_before else None
            if bound is not None and (point.not_before is None or bound > point.not_before):
                point.not_before, point.not_before_derived = bound, True
    return point


@dataclass
class _Period:
    iri: str
    label: str
    start: _TimePoint
    end: _TimePoint
    start_inclusive: bool
    end_inclusive: bool
    duration: str | None
    renewable: bool | None
    citations: list[dict[str, str | None]]


def _open_point(g: _Graph, period: str, which: str) -> _TimePoint:
    """A boundary the graph does not give at all: unknown, named after the period."""
    label = f"{which} of {g.label(period)} (not stated)"
    return _TimePoint(iri=None, label=label, date=None, status="unknown", event=period, event_label=label)


def _period(g: _Graph, iri: str) -> _Period:
    start_iri = g.iri(iri, _TIME + "hasBeginning")
    end_iri = g.iri(iri, _TIME + "hasEnd")
    start_incl = g.boolean(iri, _RK + "startInclusive")
    end_incl = g.boolean(iri, _RK + "endInclusive")
    return _Period(
        iri=iri,
        label=g.label(iri),
        start=_time_point(g, start_iri) if start_iri else _open_point(g, iri, "start"),
        end=_time_point(g, end_iri) if end_iri else _open_point(g, iri, "end"),
        start_inclusive=True if start_incl is None else start_incl,
        end_inclusive=True if end_incl is None else end_incl,
        duration=g.text(iri, _TIME + "hasXSDDuration"),
        renewable=g.boolean(iri, _RK + "renewable"),
        citations=g.citations(iri),
    )


@dataclass
class _Placing:
    placement: Placement
    reasons: list[str]
    missing: list[_Missing]


def _event_missing(point: _TimePoint, which: str) -> _Missing:
    relation = ""
    if point.event and point.event == point.relative_to and point.offset:
        relation = f" (the period {which}s {describe_duration(point.offset)} after it)"
    elif point.event and point.event != point.iri:
        relation = f" (it fixes the {which} of the period: {point.label})"
    return _Missing(f"event:{point.event}", f"the date of “{point.event_label}”{relation}")


def _place(on: date, period: _Period, what: str) -> _Placing:
    """Where ``on`` falls against the period, using only certain facts about its boundaries."""
    start, end = period.start, period.end
    reasons: list[str] = []
    missing: list[_Missing] = []
    undecidable = False
    # ---- start
    if start.date is not None:
        before = on < start.date or (on == start.date and not period.start_inclusive)
        if before:
            excluded = " (that day excluded)" if not period.start_inclusive else ""
            reasons.append(f"{_cap(what)} {on} is before the start of the period on {start.date}{excluded}.")
            return _Placing("before_start", reasons, [])
    else:
        nb = start.not_before
        if nb is not None and (on < nb or (on == nb and not period.start_inclusive)):
            derived = " (derived)" if start.not_before_derived else ""
            reasons.append(
                f"{_cap(what)} {on} is before {nb}, the earliest possible start of the period{derived}, "
                f"whose exact date is unknown: {start.label}."
            )
            return _Placing("before_start", reasons, [])
        undecidable = True
        bound = f", not before {nb}" if nb else ""
        reasons.append(
            f"The period starts on an unknown date ({start.label}{bound}), so {what} {on} cannot be placed "
            f"against its start without the date of “{start.event_label}”."
        )
        missing.append(_event_missing(start, "start"))
    # ---- end
    if end.date is not None:
        after = on > end.date or (on == end.date and not period.end_inclusive)
        if after:
            excluded = " (that day excluded)" if not period.end_inclusive else ""
            last = "the end of the period on" if not period.end_inclusive else "the last day of the period,"
            reasons = [f"{_cap(what)} {on} is after {last} {end.date}{excluded}."]
            return _Placing("after_end", reasons, [])
    else:
        nb = end.not_before
        if nb is not None and on < nb:
            derived = " (derived)" if end.not_before_derived else ""
            reasons.append(
                f"The period ends on an unknown date ({end.label}) but not before {nb}{derived}, "
                f"so {what} {on} is before its end."
            )
        else:
            undecidable = True
            bound = f", not before {nb}" if nb else ""
            reasons.append(
                f"The period ends on an unknown date ({end.label}{bound}), so {what} {on} may be after its end."
            )
            missing.append(_event_missing(end, "end"))
    if undecidable:
        return _Placing("undecidable", reasons, _dedupe(missing))
    first = f"from {start.date}" if start.date else "from its (unknown) start"
    last = f"to {end.date}" if end.date else "to its (unknown) end"
    reasons.insert(0, f"{_cap(what)} {on} is within the period, {first} {last}.")
    return _Placing("inside", reasons, [])


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decap(text: str) -> str:
    return text[:1].lower() + text[1:]


def _dedupe(items: Iterable[_Missing]) -> list[_Missing]:
    seen: dict[str, _Missing] = {}
    for item in items:
        seen.setdefault(item.key, item)
    return list(seen.values())


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _point_json(g: _Graph, point: _TimePoint) -> dict[str, Any]:
    return {
        "iri": point.iri,
        "label": point.label,
        "date": _iso(point.date),
        "date_status": point.status,
        "not_before": _iso(point.not_before),
        "not_before_derived": point.not_before_derived,
        "relative_to": g.ref(point.relative_to),
        "offset": point.offset,
        "unknown_event": g.ref(point.event) if point.event and point.iri else None,
    }


def _period_json(g: _Graph, period: _Period, placing: _Placing) -> dict[str, Any]:
    start, end = period.start, period.end
    return {
        "iri": period.iri,
        "label": period.label,
        "start": _iso(start.date),
        "end": _iso(end.date),
        "start_known": start.date is not None,
        "end_known": end.date is not None,
        "start_inclusive": period.start_inclusive,
        "end_inclusive": period.end_inclusive,
        "start_not_before": _iso(start.not_before),
        "end_not_before": _iso(end.not_before),
        "duration": period.duration,
        "renewable": period.renewable,
        "start_point": _point_json(g, start),
        "end_point": _point_json(g, end),
        "placement": placing.placement,
        "citations": _unique_citations(period.citations + start.citations + end.citations),
    }


# ============================================================================ conditions


@dataclass
class _Outcome:
    status: ConditionStatus
    reason: str
    missing: list[_Missing] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class _Evaluator:
    """Evaluates conditions for one request; caches periods of measures named by conditions."""

    def __init__(self, g: _Graph, facts: _Resolved) -> None:
        self.g = g
        self.facts = facts
        self._periods: dict[str, _Period | None] = {}

    def period_of(self, measure: str) -> _Period | None:
        if measure not in self._periods:
            iri = self.g.iri(measure, _RK + "validity")
            self._periods[measure] = _period(self.g, iri) if iri else None
        return self._periods[measure]

    # ---------------------------------------------------------------- dispatch
    def condition(self, cond: str) -> _Outcome:
        g = self.g
        types = g.types(cond)
        label = g.label(cond)
        explicit = self._explicit(cond)
        if explicit is not None:
            key, answer = explicit
            status: ConditionStatus = "met" if answer else "unmet"
            return _Outcome(status, f"“{label}” is {status}: answered directly ({key}).")
        if _RK + "TreatmentStartCondition" in types:
            return self._treatment_start(cond, label)
        if _RK + "ImagingCondition" in types:
            return self._imaging(cond, label)
        if _RK + "PriorTreatmentCondition" in types:
            return self._prior_treatment(cond, label)
        if _RK + "BoardProposalCondition" in types:
            return self._board(cond, label)
        return _Outcome(
            "unknown",
            f"“{label}” is unknown: only an explicit answer can decide it.",
            [_Missing(f"other:{_relative(cond)}", label)],
        )

    def _explicit(self, cond: str) -> tuple[str, bool] | None:
        keys = _keys(self.g, cond)
        answers = {(given, answer) for folded, given, answer in self.facts.other if folded in keys}
        if not answers:
            return None
        if len({answer for _, answer in answers}) > 1:
            names = ", ".join(sorted(given for given, _ in answers))
            raise ApplicabilityError(f"conflicting answers for condition {cond} ({names})")
        given, answer = sorted(answers)[0]
        return given, answer

    # ---------------------------------------------------------------- treatment start
    def _treatment_start(self, cond: str, label: str) -> _Outcome:
        g = self.g
        before = g.date(cond, _RK + "beforeDate")
        under = g.iri(cond, _RK + "initiatedUnder")
        details = {"before_date": _iso(before), "initiated_under": g.ref(under)}
        started = self.facts.treatment_start
        if before is None:
            return _Outcome("unknown", f"“{label}” has no date in the graph and cannot be decided.", [], details)
        if started is None:
            under_text = f", under {g.label(under)}" if under else ""
            need = f"treatment_start: the date the treatment was initiated (it must be before {before}{under_text})"
            return _Outcome(
                "unknown",
                f"“{label}” is unknown: the date the treatment was initiated is not given.",
                [_Missing("treatment_start", need)],
                details,
            )
        if started >= before:
            return _Outcome(
                "unmet",
                f"The treatment was initiated on {started}, which is not before {before} (that day is excluded).",
                [],
                details,
            )
        if under:
            period = self.period_of(under)
            if period is None:
                return _Outcome(
                    "unknown",
                    f"“{label}”: {g.label(under)} has no validity period in the graph to check the start against.",
                    [_Missing(f"other:{_relative(cond)}", label)],
                    details,
                )
            placing = _place(started, period, "the treatment start")
            if placing.placement in ("before_start", "after_end"):
                return _Outcome(
                    "unmet",
                    f"The treatment was initiated on {started}, outside the period of {g.label(under)}: "
                    + _decap(placing.reasons[-1]),
                    [],
                    details,
                )
            if placing.placement == "undecidable":
                return _Outcome(
                    "unknown",
                    f"The treatment was initiated on {started}, before {before}, but whether that is within "
                    f"the period of {g.label(under)} depends on an unknown date.",
                    placing.missing,
                    details,
                )
            return _Outcome(
                "met",
                f"The treatment was initiated on {started}, before {before} and within the period of {g.label(under)}.",
                [],
                details,
            )
        return _Outcome("met", f"The treatment was initiated on {started}, before {before}.", [], details)

    # ---------------------------------------------------------------- imaging
    def _imaging(self, cond: str, label: str) -> _Outcome:
        g = self.g
        modalities = g.iris(cond, _RK + "imagingModality")
        combination = g.iri(cond, _RK + "modalityCombination")
        mode = _local(combination) if combination else "AllOf"
        results = {m: self.facts.imaging.get(m) for m in modalities}
        details = {
            "combination": combination or _RK + "AllOf",
            "modalities": [{"iri": m, "label": g.label(m), "result": results[m]} for m in modalities],
        }
        unknown = [m for m in modalities if results[m] is None]
        positive = [g.label(m) for m in modalities if results[m] is True]
        negative = [g.label(m) for m in modalities if results[m] is False]
        missing = [
            _Missing(
                f"imaging:{_local(m)}",
                f"imaging:{_local(m)}: whether {g.label(m)} satisfies “{label}” (true/false)",
            )
            for m in unknown
        ]
        if mode == "AnyOf":
            if positive:
                return _Outcome("met", f"“{label}” is met: {', '.join(positive)} satisfies it (any of).", [], details)
            if not unknown:
                return _Outcome(
                    "unmet", f"“{label}” is unmet: none of {', '.join(negative)} satisfies it.", [], details
                )
            return _Outcome(
                "unknown", f"“{label}” is unknown: at least one of the examinations must satisfy it.", missing, details
            )
        if mode != "AllOf":
            return _Outcome("unknown", f"“{label}” combines its examinations in an unknown way ({combination}).")
        if negative:
            return _Outcome(
                "unmet", f"“{label}” is unmet: {', '.join(negative)} does not satisfy it (all required).", [], details
            )
        if not unknown:
            return _Outcome("met", f"“{label}” is met: {', '.join(positive)} satisfies it.", [], details)
        return _Outcome("unknown", f"“{label}” is unknown: every examination named must satisfy it.", missing, details)

    # ---------------------------------------------------------------- prior treatment
    def _prior_treatment(self, cond: str, label: str) -> _Outcome:
        g = self.g
        treatments = g.iris(cond, _RK + "priorTreatment")
        accepted = g.iris(cond, _RK + "acceptedOutcome")
        minimum = g.integer(cond, _RK + "minimumPriorLines") or 1
        accepted_text = " or ".join(g.label(o).casefold() for o in accepted) or "any outcome"
        details = {
            "prior_treatments": [g.ref(t) for t in treatments],
            "accepted_outcomes": [g.ref(o) for o in accepted],
            "minimum_prior_lines": g.integer(cond, _RK + "minimumPriorLines"),
        }
        relevant = [(t, o) for t, o in self.facts.prior if g.broader(t) & set(treatments)]
        satisfying = [(t, o) for t, o in relevant if o in accepted]
        named = " or ".join(g.label(t) for t in treatments)
        if len(satisfying) >= minimum:
            said = "; ".join(f"{g.label(t)}: {g.label(o).casefold()}" for t, o in satisfying)
            return _Outcome("met", f"“{label}” is met ({said}).", [], details)
        missing = [
            _Missing(
                f"prior:{_local(t)}",
                f"prior:{_local(t)}: the outcome of prior treatment by {g.label(t)} (accepted: {accepted_text})",
            )
            for t in treatments
        ]
        if not relevant:
            return _Outcome(
                "unknown", f"“{label}” is unknown: nothing is said about prior treatment by {named}.", missing, details
            )
        if satisfying:  # some, but fewer lines than required
            return _Outcome(
                "unknown",
                f"“{label}” is unknown: {len(satisfying)} qualifying line(s) stated, {minimum} required.",
                missing,
                details,
            )
        said = "; ".join(
            f"{g.label(t)}: {'not given' if o == _NOT_GIVEN else g.label(o).casefold()}" for t, o in relevant
        )
        return _Outcome(
            "unmet", f"“{label}” is unmet: the outcome required is {accepted_text}, stated: {said}.", [], details
        )

    # ---------------------------------------------------------------- board
    def _board(self, cond: str, label: str) -> _Outcome:
        g = self.g
        board = g.iri(cond, _RK + "board")
        board_label = g.label(board) if board else "the board"
        details = {"board": g.ref(board)}
        if self.facts.board is True:
            return _Outcome("met", f"The treatment was proposed by the {board_label}.", [], details)
        if self.facts.board is False:
            return _Outcome("unmet", f"The treatment was not proposed by the {board_label}.", [], details)
        return _Outcome(
            "unknown",
            f"“{label}” is unknown: whether the {board_label} proposed the treatment is not given.",
            [_Missing("board_proposal", f"board_proposal: whether the {board_label} proposed the treatment")],
            details,
        )


# ============================================================================ measures


def _condition_json(g: _Graph, cond: str, outcome: _Outcome, scope: str, indication: str | None) -> dict[str, Any]:
    rk_types = sorted(
        t[len(_RK) :] for t in g.iris(cond, _RDF_TYPE) if t.startswith(_RK) and t != _RK + "EligibilityCondition"
    )
    citations = g.citations(cond)
    return {
        "iri": cond,
        "label": g.label(cond),
        "label_fr": g.label(cond, "fr"),
        "type": rk_types[0] if rk_types else "EligibilityCondition",
        "scope": scope,
        "indication": indication,
        "status": outcome.status,
        "reason": outcome.reason,
        **outcome.details,
        "missing_facts": [m.text for m in outcome.missing],
        "citation": citations[0] if citations else None,
        "citations": citations,
    }


def _indication_json(g: _Graph, ind: str) -> dict[str, Any]:
    citations = g.citations(ind)
    return {
        "iri": ind,
        "label": g.label(ind),
        "label_fr": g.label(ind, "fr"),
        "alt_labels": g.alt_labels(ind),
        "sequence": g.integer(ind, _RK + "sequence"),
        "citation": citations[0] if citations else None,
    }


def _sorted_indications(g: _Graph, indications: Iterable[str]) -> list[str]:
    return sorted(indications, key=lambda i: (g.integer(i, _RK + "sequence") or 1_000_000, i))


def _indication_choice_text(g: _Graph, indications: Sequence[str]) -> str:
    options = []
    for ind in indications:
        alts = g.alt_labels(ind)
        options.append(f"{g.label(ind)}" + (f" ({', '.join(alts)})" if alts else ""))
    return "indication: which indication the patient is treated for, one of: " + "; ".join(options)


def _unique_citations(citations: Iterable[dict[str, str | None] | None]) -> list[dict[str, str | None]]:
    seen: dict[tuple[str | None, str | None, str | None], dict[str, str | None]] = {}
    for c in citations:
        if c:
            seen.setdefault((c["document"], c["provision"], c["quote"]), c)
    return list(seen.values())


def _evaluate_measure(g: _Graph, ev: _Evaluator, measure: str, on: date, chosen: str | None) -> dict[str, Any]:
    framework = g.iri(measure, _RK + "framework")
    established = g.iris(measure, _RK + "establishedBy")
    reported = g.iris(measure, _RK + "reportedIn")
    period = ev.period_of(measure)
    if period is not None:
        placing = _place(on, period, "the date")
    else:
        label = f"the validity period of {g.label(measure)}"
        placing = _Placing(
            "undecidable", [f"The graph gives no validity period for {g.label(measure)}."], [_Missing("period", label)]
        )
    reasons: list[str] = []
    missing: list[_Missing] = list(placing.missing)
    conditions: list[dict[str, Any]] = []
    outcomes: list[_Outcome] = []

    for cond in g.iris(measure, _RK + "hasCondition"):
        outcome = ev.condition(cond)
        outcomes.append(outcome)
        conditions.append(_condition_json(g, cond, outcome, "measure", None))

    indications = _sorted_indications(g, g.iris(measure, _RK + "hasIndication"))
    indication_used: str | None = None
    implicit = False
    not_covered = False
    candidates: list[dict[str, Any]] = []
    if indications:
        if chosen is not None:
            if chosen in indications:
                indication_used = chosen
            else:
                not_covered = True
                reasons.append(
                    f"The measure does not cover the indication “{g.label(chosen)}”; it covers: "
                    + "; ".join(g.label(i) for i in indications)
                    + "."
                )
        elif len(indications) == 1:
            indication_used, implicit = indications[0], True
    if indication_used is not None:
        if implicit:
            reasons.append(
                f"The measure covers one indication, so it is the one evaluated: {g.label(indication_used)}."
            )
        for cond in g.iris(indication_used, _RK + "hasCondition"):
            outcome = ev.condition(cond)
            outcomes.append(outcome)
            conditions.append(_condition_json(g, cond, outcome, "indication", indication_used))
    elif indications and not not_covered:
        # No indication given and several possible: each is evaluated as a candidate.
        for ind in indications:
            ind_outcomes = [(c, ev.condition(c)) for c in g.iris(ind, _RK + "hasCondition")]
            statuses = {o.status for _, o in ind_outcomes}
            status: Status = (
                "not_applicable" if "unmet" in statuses else "indeterminate" if "unknown" in statuses else "applicable"
            )
            candidates.append(
                {
                    **_indication_json(g, ind),
                    "status": status,
                    "unmet": [g.label(c) for c, o in ind_outcomes if o.status == "unmet"],
                    "unknown": [g.label(c) for c, o in ind_outcomes if o.status == "unknown"],
                }
            )

    statuses = {o.status for o in outcomes}
    open_candidates = [c for c in candidates if c["status"] != "not_applicable"]
    met_candidates = [c for c in candidates if c["status"] == "applicable"]
    excluded = (
        placing.placement in ("before_start", "after_end")
        or "unmet" in statuses
        or not_covered
        or (bool(candidates) and not open_candidates)
    )
    undecided = placing.placement == "undecidable" or "unknown" in statuses or (bool(candidates) and not met_candidates)
    status_value: Status = "not_applicable" if excluded else "indeterminate" if undecided else "applicable"

    # Reasons: the decisive ones first; unknowns only when they are what leaves the answer open.
    reasons.extend(o.reason for o in outcomes if o.status == "unmet")
    if candidates:
        if not open_candidates:
            reasons.append("No indication of the measure can apply: each has an unmet condition.")
        elif met_candidates:
            reasons.append(f"Every condition of the indication “{met_candidates[0]['label']}” is met.")
        elif status_value == "indeterminate":
            reasons.append(
                f"The measure has {len(indications)} indications and none was given; "
                f"{len(open_candidates)} remain possible."
            )
    if status_value == "indeterminate":
        reasons.extend(o.reason for o in outcomes if o.status == "unknown")
    if status_value == "applicable" and outcomes:
        reasons.append(f"All {len(outcomes)} conditions that apply are met.")
    # The period's sentences come first, except an undecidable period when something else excludes.
    if not (status_value == "not_applicable" and placing.placement == "undecidable"):
        reasons[:0] = placing.reasons

    if status_value == "indeterminate":
        if candidates and not met_candidates:
            missing.append(_Missing("indication", _indication_choice_text(g, [c["iri"] for c in open_candidates])))
        for outcome in outcomes:
            if outcome.status == "unknown":
                missing.extend(outcome.missing)
        missing = _dedupe(missing)
    else:
        missing = []

    permissions = [_permission_json(g, p, on) for p in g.iris(measure, _RK + "hasPermission")]
    measure_citations = g.citations(measure)
    period_json = _period_json(g, period, placing) if period else None
    all_citations = _unique_citations(
        [
            *measure_citations,
            *(period_json["citations"] if period_json else []),
            *(g.citations(indication_used) if indication_used else []),
            *(c for cond in conditions for c in cond["citations"]),
        ]
    )
    return {
        "measure": measure,
        "measure_label": g.label(measure),
        "framework": framework,
        "label": g.label(framework) if framework else g.label(measure),
        "decision": (established or reported)[0] if (established or reported) else None,
        "established_by": established,
        "reported_in": reported,
        "decided_by": [g.ref(a) for a in g.iris(measure, _RK + "decidedBy")],
        "status": status_value,
        "period": period_json,
        "indication": {**_indication_json(g, indication_used), "implicit": implicit} if indication_used else None,
        "indications": candidates or [_indication_json(g, i) for i in indications],
        "conditions": conditions,
        "missing_facts": [m.text for m in missing],
        "missing": [{"key": m.key, "text": m.text} for m in missing],
        "reasons": reasons,
        "permissions": permissions,
        "citation": measure_citations[0] if measure_citations else None,
        "citations": all_citations,
    }


def _permission_json(g: _Graph, permission: str, on: date) -> dict[str, Any]:
    validity = g.iri(permission, _RK + "validity")
    period = _period(g, validity) if validity else None
    placing = _place(on, period, "the date") if period else None
    in_force = None if placing is None or placing.placement == "undecidable" else placing.placement == "inside"
    return {
        "iri": permission,
        "label": g.label(permission),
        "granted_to": [g.ref(a) for a in g.iris(permission, _RK + "grantedTo")],
        "activities": [g.ref(a) for a in g.iris(permission, _RK + "permittedActivity")],
        "derogates_from": g.iris(permission, _RK + "derogatesFrom"),
        "indications": g.iris(permission, _RK + "hasIndication"),
        "period": _period_json(g, period, placing) if period and placing else None,
        "in_force": in_force,
        "reasons": placing.reasons if placing else ["The graph gives no validity period for this permission."],
        "citations": g.citations(permission),
    }


# ============================================================================ entry point


def _describe_medicine(g: _Graph, medicine: str) -> str:
    name = g.text(medicine, _RK + "productName")
    return f"{name} ({g.label(medicine)})" if name else g.label(medicine)


def _resolve_medicine(g: _Graph, text: str) -> str:
    if not text or not text.strip():
        raise ApplicabilityError("medicine is required: give its name, INN or IRI")
    index = _name_index(g, _RK + "MedicinalProduct", substances=True)
    medicines = list(index.members)
    if text.strip() in medicines:
        return text.strip()
    key = _fold(text)
    hits = [m for m in medicines if key and key in index.keys[m]]
    if len(hits) == 1:
        return hits[0]
    known = "; ".join(_describe_medicine(g, m) for m in medicines) or "none"
    if hits:
        names = "; ".join(f"{_describe_medicine(g, m)} <{m}>" for m in hits)
        raise ApplicabilityError(f"medicine {text!r} is ambiguous: it names {names}; give its IRI")
    raise ApplicabilityError(f"unknown medicine {text!r}; known medicines: {known}", 404)


def _resolve_indication(g: _Graph, medicine: str, measures: Sequence[str], text: str) -> str:
    indications = _sorted_indications(g, {i for m in measures for i in g.iris(m, _RK + "hasIndication")})
    listing = "; ".join(
        g.label(i) + (f" ({', '.join(g.alt_labels(i))})" if g.alt_labels(i) else "") for i in indications
    )
    if text.strip() in indications:
        return text.strip()
    key = _fold(text)
    exact = [i for i in indications if key and key in _keys(g, i)]
    hits = exact or [i for i in indications if key and any(f" {key} " in f" {name} " for name in _keys(g, i))]
    if len(hits) == 1:
        return hits[0]
    name = _describe_medicine(g, medicine)
    if hits:
        options = "; ".join(g.label(i) for i in hits)
        raise ApplicabilityError(f"indication {text!r} is ambiguous for {name}: it matches {options}")
    if not indications:
        raise ApplicabilityError(f"unknown indication {text!r}: no indication is recorded for {name}", 404)
    raise ApplicabilityError(f"unknown indication {text!r} for {name}; its indications are: {listing}", 404)


def _check_other_keys(g: _Graph, measures: Sequence[str], facts: _Resolved) -> None:
    """Every explicit answer must name a condition of one of the medicine's measures."""
    if not facts.other:
        return
    conditions = set()
    for m in measures:
        conditions.update(g.iris(m, _RK + "hasCondition"))
        for ind in g.iris(m, _RK + "hasIndication"):
            conditions.update(g.iris(ind, _RK + "hasCondition"))
    known_keys = set().union(*(_keys(g, c) for c in conditions)) if conditions else set()
    unknown = [given for folded, given, _ in facts.other if folded not in known_keys]
    if unknown:
        listing = "; ".join(sorted(f"{_relative(c)} ({g.label(c)})" for c in conditions)) or "none"
        raise ApplicabilityError(
            f"unknown condition {', '.join(repr(u) for u in unknown)} in the facts; the conditions of this "
            f"medicine are: {listing}"
        )


def _sort_key(framework: dict[str, Any]) -> tuple[str, str]:
    period = framework["period"] or {}
    start = period.get("start") or period.get("start_not_before") or "9999-12-31"
    return (start, framework["measure"])


def applicability(store: Store, medicine: str, on: str | date, facts: Facts | None = None) -> dict[str, Any]:
    """Decide, for each access measure of ``medicine``, whether it applies on the day ``on``.

    Returns the applicability JSON of the architecture (``query``, ``status``, ``frameworks``,
    ``citations``, plus ``medicine``, ``indication`` and ``missing_facts``). Raises
    :class:`ApplicabilityError` for a malformed date (400), an unknown medicine or indication
    (404) or an unknown fact (400).
    """
    facts = facts or Facts()
    try:
        day = parse_date(on, "date")
    except DateFormatError as exc:
        raise ApplicabilityError(str(exc)) from exc
    g = _Graph(store)
    med = _resolve_medicine(g, medicine)
    measures = g.measures_of(med)
    resolved = _resolve_facts(g, facts)
    chosen = None
    if facts.indication is not None and facts.indication.strip():
        chosen = _resolve_indication(g, med, measures, facts.indication)
    _check_other_keys(g, measures, resolved)

    ev = _Evaluator(g, resolved)
    frameworks = sorted((_evaluate_measure(g, ev, m, day, chosen) for m in measures), key=_sort_key)
    statuses = {f["status"] for f in frameworks}
    status: Status = (
        "applicable"
        if "applicable" in statuses
        else "indeterminate"
        if "indeterminate" in statuses
        else "not_applicable"
    )
    missing: list[str] = []
    if status == "indeterminate":
        for f in frameworks:
            missing.extend(t for t in f["missing_facts"] if t not in missing)
    reasons = [f"{f['label']} ({f['measure_label']}): {f['status'].replace('_', ' ')}." for f in frameworks]
    if not frameworks:
        reasons = [f"The graph records no access measure for {_describe_medicine(g, med)}."]
    return {
        "query": {
            "medicine": medicine,
            "date": day.isoformat(),
            "treatment_start": _iso(resolved.treatment_start),
            "indication": facts.indication,
            "imaging": {g.label(m): v for m, v in resolved.imaging.items()},
            "prior_treatments": [
                {"treatment": g.label(t), "outcome": "not given" if o == _NOT_GIVEN else g.label(o)}
                for t, o in resolved.prior
            ],
            "board_proposal": resolved.board,
            "other": {given: answer for _, given, answer in resolved.other},
        },
        "medicine": {"iri": med, "label": g.label(med), "product_name": g.text(med, _RK + "productName")},
        "indication": _indication_json(g, chosen) if chosen else None,
        "status": status,
        "frameworks": frameworks,
        "missing_facts": missing,
        "reasons": reasons,
        "citations": _unique_citations(c for f in frameworks for c in f["citations"]),
    }
