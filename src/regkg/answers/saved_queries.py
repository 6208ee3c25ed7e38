"""Saved SPARQL queries (queries/*.rq) with typed parameters bound as RDF terms.

A saved query file starts with a header of ``#+`` lines::

    #+ summary: Each indication of a medicine with its framework, board and conditions
    #+ tags: indications, boards
    #+ param: medicine | rk:MedicinalProduct | Lutathera | the medicine, by name, INN or IRI
    #+ param: article? | iri | https://w3id.org/regkg/id/eli/…/art_1 | restrict to one article

A parameter is ``name[?] | type | example | description`` (``?`` marks it optional). Types:
``iri``, ``string``, ``date`` (YYYY-MM-DD), ``integer``, or a class CURIE such as
``rk:MedicinalProduct``: the value is then resolved to an instance of that class by IRI or by
name (labels, alternative names, product name, INN; case- and accent-insensitive). Values are
bound to the query's variable of the same name through the engine's substitutions, never
pasted into the query text, so quotes, braces or ``} ; DROP`` in a value are only data.

Answers come in one order every time: the engine is given the text with its ORDER BY made total
(:func:`regkg.sparql_text.total_order`: the projected variables that are not sort keys are
appended as keys), since it may order ties differently from one evaluation to the next (its
grouping is hash-based). So an answer can be read a page at a time (:func:`saved_query_page`:
``limit`` rows after the first ``offset``), and the pages of one store put together are the
whole answer. ``limit``, ``offset`` and ``format`` are the routes' own parameters, so no saved
query may declare them.

``#+ values: board`` says that the parameters named (IRIs or instances of a class, comma-separated)
are bound by a ``VALUES`` block written into the text rather than by the engine's substitutions,
which its planner does not see: for some queries it then starts from the bound value (``boards``
for one board: 9 ms became 0.6 ms at 1M triples on disk), for others it plans worse (``measures``:
2 ms became 1 s), hence a declaration per query. An IRI is written as the engine writes it, so a
value cannot change the query.

``#+ quote-index: selector | text`` says that the query keeps only the quote selectors ``?selector``
whose ``oa:exact`` contains the string parameter ``text`` (case-insensitive), by a FILTER of its
own. On an embedded store, ``?selector`` is then first restricted (``VALUES``) to the hits of the
store's quote index (:mod:`regkg.answers.quote_index`), so that the engine does not read every
quote; the answers are the same.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..sparql_text import total_order
from ..sparql_values import bind_values
from ..store import Store
from .quote_index import quote_index

XSD = "http://www.w3.org/2001/XMLSchema#"


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name (also drops ® and ™, collapses spaces)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("®", "").replace("™", ""))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


RESERVED_PARAMETERS = frozenset({"limit", "offset", "format"})
_PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<optional>\??)$")
NAME_PROPERTIES = ("rdfs:label", "skos:altLabel", "rk:productName", "rk:inn", "skos:prefLabel", "rk:provisionNumber")


class ParameterError(ValueError):
    """A parameter value is missing, malformed or names nothing known (status: 400 or 404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class UnknownQuery(KeyError):
    """No saved query by that name."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    example: str
    description: str
    optional: bool = False


@dataclass(frozen=True)
class SavedQuery:
    name: str
    summary: str
    text: str
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    quote_index: tuple[str, str] | None = None  # (selector variable, string parameter): see the module doc
    evaluated: str = ""  # the text the engine is given: ``text`` in a total order (see the module doc)
    in_text: tuple[str, ...] = ()  # parameters bound by a VALUES block in the text (``#+ values:``)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "tags": list(self.tags),
            "parameters": [
                {"name": p.name, "type": p.type, "required": not p.optional, "example": p.example,
                 "description": p.description}
                for p in self.parameters
            ],
            "query": self.text,
        }  # fmt: skip


def parse_saved_query(path: Path) -> SavedQuery:
    """Read a .rq file and its ``#+`` header."""
    text = path.read_text(encoding="utf-8")
    summary, tags, params = "", (), []
    quote_index: tuple[str, str] | None = None
    in_text: tuple[str, ...] = ()
    for line in text.splitlines():
        if not line.startswith("#+"):
            continue
        key, _, value = line[2:].strip().partition(":")
        value = value.strip()
        if key == "summary":
            summary = value
        elif key == "tags":
            tags = tuple(t.strip() for t in value.split(",") if t.strip())
        elif key == "param":
            fields = [f.strip() for f in value.split("|")]
            if len(fields) != 4 or not (m := _PARAM.match(fields[0])):
                raise ValueError(f"{path.name}: bad '#+ param:' line (want 'name[?] | type | example | description')")
            params.append(Parameter(m["name"], fields[1], fields[2], fields[3], bool(m["optional"])))
        elif key == "quote-index":
            variable, _, parameter = (f.strip() for f in value.partition("|"))
            if not (_PARAM.match(variable) and any(p.name == parameter and p.type == "string" for p in params)):
                raise ValueError(f"{path.name}: bad '#+ quote-index:' line (want 'variable | string parameter' "
                                 "after that parameter's line)")  # fmt: skip
            quote_index = (variable, parameter)
        elif key == "values":
            in_text = tuple(name.strip() for name in value.split(",") if name.strip())
            named = {p.name: p for p in params}
            if not in_text or any(n not in named or not (named[n].type == "iri" or ":" in named[n].type)
                                  for n in in_text):  # fmt: skip
                raise ValueError(f"{path.name}: bad '#+ values:' line (want IRI or class parameters, comma-separated, "
                                 "after their '#+ param:' lines)")  # fmt: skip
    reserved = sorted({p.name for p in params} & RESERVED_PARAMETERS)
    if reserved:
        raise ValueError(f"{path.name}: parameter name {', '.join(reserved)} is reserved (paging and format)")
    return SavedQuery(path.stem, summary, text, tags, tuple(params), quote_index, total_order(text), in_text)


def load_saved_queries(directory: Path) -> dict[str, SavedQuery]:
    """Every saved query of a directory, by name."""
    return {q.name: q for q in (parse_saved_query(p) for p in sorted(directory.glob("*.rq")))}


def _expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    if prefix in PREFIXES:
        return PREFIXES[prefix] + local
    raise ValueError(f"unknown prefix in parameter type {curie!r}")


@dataclass(frozen=True)
class _Instances:
    """The rows of the name query of a class, in the engine's order, indexed: the first row of each
    IRI and of each folded name, and the shortest name of each instance (for error messages)."""

    first_iri: dict[str, int]
    first_name: dict[str, int]
    iris: list[str]
    known: dict[str, str]


def _instances(store: Store, class_iri: str) -> _Instances:
    """The instances of a class and their names; an embedded store's are read once and kept with
    its handle (a built store never changes)."""
    if isinstance(store, Store):
        return store.derived.get(("instances", class_iri), lambda: _read_instances(store, class_iri))
    return _read_instances(store, class_iri)


def _read_instances(store: Store, class_iri: str) -> _Instances:
    names = " ".join(NAME_PROPERTIES)
    rows = store.query(f"""SELECT DISTINCT ?s ?name WHERE {{
        ?s a/rdfs:subClassOf* <{class_iri}> .
        OPTIONAL {{ VALUES ?p {{ {names} }} ?s ?p ?name }} }}""")
    first_iri: dict[str, int] = {}
    first_name: dict[str, int] = {}
    iris: list[str] = []
    known: dict[str, str] = {}
    for position, row in enumerate(rows):
        iri = row["s"].value
        iris.append(iri)
        first_iri.setdefault(iri, position)
        name = row["name"].value if row["name"] is not None else iri
        if iri not in known or len(name) < len(known[iri]):
            known[iri] = name
        if row["name"] is not None:
            first_name.setdefault(fold(row["name"].value), position)
    return _Instances(first_iri, first_name, iris, known)


def resolve_instance(store: Store, class_iri: str, value: str, noun: str) -> ox.NamedNode:
    """The instance of a class (or of its subclasses) named by the value: its IRI, or one of
    its names, compared case- and accent-insensitively (the first in the engine's order)."""
    found = _instances(store, class_iri)
    positions = [p for p in (found.first_iri.get(value), found.first_name.get(fold(value))) if p is not None]
    if positions:
        return ox.NamedNode(found.iris[min(positions)])
    shown = ", ".join(sorted(set(found.known.values()))[:20])
    raise ParameterError(f"unknown {noun} {value!r}; known: {shown}", status=404)


def bind(store: Store, parameter: Parameter, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term a parameter value stands for, checked against its type."""
    kind = parameter.type
    try:
        if kind == "iri":
            return ox.NamedNode(value)
        if kind == "string":
            return ox.Literal(value)
        if kind == "date":
            return ox.Literal(dt.date.fromisoformat(value).isoformat(), datatype=ox.NamedNode(XSD + "date"))
        if kind == "integer":
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    except ValueError as exc:
        expected = {"iri": "an absolute IRI", "date": "a date written YYYY-MM-DD", "integer": "an integer"}.get(kind)
        raise ParameterError(f"parameter {parameter.name!r}: {value!r} is not {expected or kind}") from exc
    if ":" in kind:
        noun = kind.split(":", 1)[1]
        return resolve_instance(store, _expand(kind), value, f"{parameter.name} ({noun})")
    raise ParameterError(f"parameter {parameter.name!r} has an unsupported type {kind!r}")


def run_saved_query(store: Store, query: SavedQuery, values: dict[str, str]) -> Any:
    """Run a saved query with its parameters bound as RDF terms."""
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ParameterError(
            f"{query.name} has no parameter {', '.join(unknown)}; it takes: {', '.join(declared) or 'none'}"
        )
    substitutions: dict[ox.Variable, ox.NamedNode | ox.Literal] = {}
    for name, parameter in declared.items():
        value = values.get(name)
        if value is None or value == "":
            if not parameter.optional:
                raise ParameterError(f"{query.name} needs parameter {name!r} ({parameter.description}); "
                                     f"e.g. {name}={parameter.example}")  # fmt: skip
            continue
        substitutions[ox.Variable(name)] = bind(store, parameter, value)
    text = _narrowed(store, query, values)
    in_text = {v.value: str(substitutions.pop(v)) for v in list(substitutions) if v.value in query.in_text}
    return store.query(bind_values(text, in_text) if in_text else text, substitutions=substitutions)


def page_bounds(limit: int | None, offset: int, most: int, default: int) -> tuple[int, int]:
    """The rows a service page holds (``limit``, else ``default``; 1 to ``most``) and how many
    precede it (0 to sys.maxsize); ParameterError otherwise."""
    size = min(default, most) if limit is None else limit
    if not 1 <= size <= most:
        raise ParameterError(f"limit must be between 1 and {most} (REGKG_MAX_ROWS), got {size}")
    if not 0 <= offset <= sys.maxsize:
        raise ParameterError(f"offset must be between 0 and {sys.maxsize}, got {offset}")
    return size, offset


@dataclass(frozen=True)
class ResultPage:
    """Rows ``offset`` to ``offset + len(rows)`` of a saved query's answer; ``more``: rows follow."""

    columns: list[str]
    rows: list[list[Any]]
    offset: int
    more: bool


def saved_query_page(
    store: Store, query: SavedQuery, values: dict[str, str], limit: int | None = None, offset: int = 0
) -> ResultPage:
    """At most ``limit`` rows (None: all) of a saved query's answer, after its first ``offset``."""
    if (limit is not None and not 0 <= limit <= sys.maxsize) or not 0 <= offset <= sys.maxsize:
        raise ParameterError(
            f"limit and offset must be between 0 and {sys.maxsize}, got limit={limit}, offset={offset}"
        )
    results = run_saved_query(store, query, values)
    columns = [v.value for v in results.variables]
    width = range(len(columns))
    solutions = iter(results)
    deque(islice(solutions, offset), maxlen=0)  # skipped without building rows
    taken = solutions if limit is None else islice(solutions, limit + 1)
    rows = [[solution[i] for i in width] for solution in taken]
    more = limit is not None and len(rows) > limit
    return ResultPage(columns, rows[:limit] if more else rows, offset, more)


def _narrowed(store: Store, query: SavedQuery, values: dict[str, str]) -> str:
    """The query text, its quote selectors restricted to the quote index's hits when it has a
    ``#+ quote-index:`` line, the store is embedded and the index can answer."""
    text = query.evaluated or query.text
    if query.quote_index is None or not isinstance(store, Store):
        return text
    variable, parameter = query.quote_index
    index = quote_index(store)
    hits = index.matching(values[parameter]) if index is not None and values.get(parameter) else None
    return text if hits is None else bind_values(text, {variable: hits})
