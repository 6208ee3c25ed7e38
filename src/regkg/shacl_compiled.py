"""Compiled SHACL: a shapes graph turned into SPARQL queries that find every violation at once.

pyshacl validates focus node by focus node (and parses each SPARQL constraint again for every
focus node), which does not scale. Here each (shape, constraint) pair becomes one SPARQL SELECT
over the whole dataset, evaluated by pyoxigraph over the union of the store's graphs, so that
validation costs a few linear scans per constraint, whatever the number of focus nodes.

Usage: ``checks = compile_shapes(shapes)`` once, then ``check_shapes_compiled(store, checks,
origin, describe)`` (problems a curator reads) or ``run_checks(store, checks)`` (raw violations,
every severity). :func:`regkg.shacl.check_shapes_store` wraps both for the build.

Cost: each check is a join of the focus nodes with the path, a filter or an anti-join (MINUS for
``sh:class``), or a grouping (``sh:maxCount`` counts every node's values, then keeps the focus
nodes); every EXISTS holds one pattern anchored on a bound variable, because Oxigraph plans
EXISTS bodies without knowing which variables the outer row binds. A SPARQL constraint runs as
its author wrote it, so it should follow the same rule: ``FILTER NOT EXISTS { ?value ex:p ?c .
FILTER EXISTS { ?c a ex:C } }``, not ``FILTER NOT EXISTS { ?value ex:p ?c . ?c a ex:C }``, which
Oxigraph may evaluate by scanning every ``ex:C`` for every row (quadratic).

Results follow pyshacl (the reference oracle of ``tests/test_shacl_compiled.py``) for what is
supported: targets ``sh:targetClass`` (with ``rdfs:subClassOf*`` over the data), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets and SPARQL-based targets
(``sh:target`` with ``sh:select``); paths: IRIs, sequences, ``sh:inversePath``,
``sh:alternativePath``, ``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``sh:zeroOrOnePath``;
constraints ``sh:class``, ``sh:datatype`` (an ill-typed literal violates, as rdflib judges it),
``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``, ``sh:min/maxInclusive``,
``sh:min/maxExclusive``, ``sh:min/maxLength``, ``sh:pattern`` (+ ``sh:flags`` i and m, Python
regular expressions as in pyshacl), ``sh:languageIn``, ``sh:uniqueLang``, ``sh:in``,
``sh:hasValue``, ``sh:node``, ``sh:or``, ``sh:property``, ``sh:qualifiedValueShape`` (+
``sh:qualifiedMinCount``, ``sh:qualifiedMaxCount``, ``sh:qualifiedValueShapesDisjoint``) and
SPARQL-based constraints (``sh:sparql`` with ``sh:select``, ``sh:prefixes``/``sh:declare``,
``$this`` and ``$PATH``, ``sh:message`` templates with ``{$this}``/``{?var}``); ``sh:message``,
``sh:severity``, ``sh:deactivated``. As in pyshacl, a value failing ``sh:node`` also brings the
nested shape's own results on it (its ``sh:detail``). Anything else of the SHACL vocabulary in
the shapes graph raises :class:`ShapeCompileError` at compile time: a constraint is never
skipped silently.

Deliberate differences from pyshacl:

- the store keeps RDF terms in canonical form (``"01"^^xsd:integer`` is ``"1"``, language tags
  are lower case), so such values read canonically in messages and compare as equal in
  ``sh:in``/``sh:hasValue``/``sh:maxCount`` (pyshacl compares them as written);
- ``$this`` in a SPARQL constraint is bound by joining the focus nodes at the start of the
  query's outer group, not by pre-binding: identical unless ``$this`` is used only inside nested
  groups whose filters need it bound; a query pyshacl would refuse or evaluate per focus node
  differently (VALUES, MINUS, SERVICE, sub-queries, aggregates, LIMIT/OFFSET, ``?failure``,
  ``$shapesGraph``, ``$currentShape``) is refused;
- a constraint whose shape has no ``sh:message`` is refused (pyshacl's generated messages are
  not reproduced); so are shapes reached through ``sh:node``/``sh:or``/``sh:qualifiedValueShape``
  that carry SPARQL constraints or a severity other than ``sh:Violation``;
- prefixes of SPARQL constraints come from ``sh:prefixes`` only (plus ``rdf``, ``rdfs``,
  ``owl``), not from the data graph's namespace bindings;
- SPARQL constraints are evaluated by Oxigraph, which follows the SPARQL specification where
  rdflib's engine does not (``"big" > 10`` is a type error, hence no match, not true).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import BNode, Literal, Node, URIRef

from .namespaces import SH
from .report import Problem
from .terms import compact

__all__ = [
    "FUNCTIONS",
    "CompiledCheck",
    "ShapeCompileError",
    "SparqlInfo",
    "Term",
    "Violation",
    "check_shapes_compiled",
    "compile_shapes",
    "graph_origin",
    "node_shape",
    "path_text",
    "run_checks",
    "store_describer",
    "to_rdflib",
    "value_text",
    "well_typed",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_FN = "urn:regkg:shacl-compiled:"
_WELL_TYPED = _FN + "well-typed"  # (literal) -> true if rdflib reads the literal as its datatype
_MATCHES = _FN + "matches"  # (term, pattern, flags) -> true if Python's re finds the pattern
_TRUE, _FALSE = ox.Literal(True), ox.Literal(False)

# Shape-describing predicates that are not constraints.
_SHAPE_META = {
    RDF.type,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.path,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.flags,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
}
# Every SHACL predicate the compiler understands, wherever it appears in the shapes graph.
_SUPPORTED_PREDICATES = _SHAPE_META | {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.languageIn,
    SH.uniqueLang,
    SH["in"],
    SH.hasValue,
    SH.node,
    SH["or"],
    SH.property,
    SH.qualifiedValueShape,
    SH.sparql,
    SH.select,
    SH.prefixes,
    SH.declare,
    SH.prefix,
    SH.namespace,
    SH.inversePath,
    SH.alternativePath,
    SH.zeroOrMorePath,
    SH.oneOrMorePath,
    SH.zeroOrOnePath,
}
_SUPPORTED_TYPES = {SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint, SH.SPARQLTarget, SH.PrefixDeclaration}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_NODE_KINDS = {
    SH.IRI: "!isIRI({v})",
    SH.BlankNode: "!isBlank({v})",
    SH.Literal: "!isLiteral({v})",
    SH.BlankNodeOrIRI: "isLiteral({v})",
    SH.BlankNodeOrLiteral: "isIRI({v})",
    SH.IRIOrLiteral: "isBlank({v})",
}
_RANGES = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_MAX_NESTED_COUNT = 4  # counts in nested shapes are written as n pairwise distinct values


class ShapeCompileError(ValueError):
    """The shapes graph uses something the compiled validator does not support (or is malformed)."""


@dataclass(frozen=True)
class CompiledCheck:
    """One constraint of one shape, as a SPARQL SELECT returning its violations.

    Rows bind ``?this`` (the focus node) and, when ``value == "row"``, ``?value``; SPARQL-based
    constraints bind whatever their query projects (``sparql`` is then set).
    """

    shape: str | None  # the node shape named in problems, e.g. "rks:CitedShape"
    source: Node  # the (node or property) shape holding the constraint
    component: str  # "minCount", "class", "sparql"…
    severity: str  # IRI of sh:Violation, sh:Warning or sh:Info
    path: str  # the path as shown in problems ("" on node shapes)
    query: str
    messages: tuple[str, ...]  # sh:message texts (templates for SPARQL constraints)
    value: str = "none"  # where sh:value comes from: "none", "focus" or "row"
    sparql: SparqlInfo | None = None


@dataclass(frozen=True)
class SparqlInfo:
    """How pyshacl reads the rows of a SPARQL-based constraint."""

    this_projected: bool  # the original query selects $this (else {$this} is not substituted)
    node_shape: bool  # on a node shape, sh:value defaults to the focus node


@dataclass(frozen=True)
class Violation:
    """One validation result: the check that found it, its focus node, value, path and message."""

    check: CompiledCheck
    focus: Term
    value: Term | None
    path: str
    message: str


# ------------------------------------------------------------------ SPARQL text helpers


def _escape(text: str) -> str:
    """A SPARQL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _term(term: Node) -> str:
    """An RDF term of the shapes graph as SPARQL text (blank nodes cannot be written)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return f"{_escape(str(term))}@{term.language}"
        if term.datatype is not None:
            return f"{_escape(str(term))}^^<{term.datatype}>"
        return _escape(str(term))
    raise ShapeCompileError(f"a blank node ({term}) cannot be used as a value in a compiled constraint")


def _any(parts: Iterable[str]) -> str:
    items = list(parts)
    return "(" + " || ".join(items) + ")" if items else "false"


def _all(parts: Iterable[str]) -> str:
    items = list(parts)
    return "(" + " && ".join(items) + ")" if items else "true"


_MASK = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.S,
)
_FORBIDDEN = re.compile(
    r"(?<![\w:?$])(LIMIT|OFFSET|GROUP|HAVING|VALUES|MINUS|SERVICE|COUNT|SUM|AVG|MIN|MAX|SAMPLE|GROUP_CONCAT)\b(?!:)",
    re.I,
)
_SELECT = re.compile(r"(?<![\w:?$])SELECT\b(?!:)", re.I)
_MODIFIER = re.compile(r"\s*(DISTINCT|REDUCED)\b", re.I)
_PATH_VAR = re.compile(r"([\s{}()])[$?]PATH")  # as pyshacl substitutes $PATH


def _mask(text: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length), to find keywords."""
    return _MASK.sub(lambda m: " " * len(m.group(0)), text)


def _projects(projection: str, name: str) -> bool:
    return re.search(rf"[?$]{name}\b", projection) is not None


# ------------------------------------------------------------------ custom functions


def _actual_type_ok(value: object, datatype: str) -> bool:
    """pyshacl's check that rdflib's Python value has the datatype's Python type."""
    expected: dict[str, type | tuple[type, ...]] = {
        str(XSD.string): (str, bytes),
        str(RDF.langString): (str, bytes),
        str(XSD.integer): int,
        str(XSD.float): float,
        str(XSD.decimal): Decimal,
        str(XSD.boolean): bool,
        str(XSD.date): date,
        str(XSD.time): time,
        str(XSD.dateTime): datetime,
    }
    kind = expected.get(datatype)
    return kind is None or isinstance(value, kind)


@lru_cache(maxsize=65536)
def well_typed(lexical: str, datatype: str) -> bool:
    """Whether rdflib (hence pyshacl) reads the lexical form as a valid value of the datatype."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        literal = Literal(lexical, datatype=URIRef(datatype))
    return literal.ill_typed is not True and _actual_type_ok(literal.value, datatype)


def _well_typed(term: Term) -> ox.Literal:
    """Whether rdflib (hence pyshacl) reads the literal as a valid value of its datatype."""
    if not isinstance(term, ox.Literal):
        return _FALSE
    return _TRUE if well_typed(term.value, term.datatype.value) else _FALSE


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: str) -> re.Pattern[str]:
    options = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
    return re.compile(pattern, options)


def _matches(term: Term, pattern: Term, flags: Term) -> ox.Literal:
    """sh:pattern as pyshacl tests it: Python's re.search over the lexical form or IRI."""
    if isinstance(term, ox.BlankNode):
        return _FALSE
    return _TRUE if _regex(pattern.value, flags.value).search(term.value) else _FALSE


FUNCTIONS: dict[ox.NamedNode, Callable[..., ox.Literal]] = {
    ox.NamedNode(_WELL_TYPED): _well_typed,
    ox.NamedNode(_MATCHES): _matches,
}


# ------------------------------------------------------------------ reading the shapes graph


def node_shape(shape: Node | None, shapes: rdflib.Graph) -> Node | None:
    """The named node shape a (possibly blank) property or constraint shape belongs to."""
    seen = 0
    while isinstance(shape, BNode) and seen < 5:
        parents = [s for s, _p in shapes.subject_predicates(shape)]
        shape = parents[0] if parents else None
        seen += 1
    return shape


def path_text(path: Node | None, shapes: rdflib.Graph) -> str:
    """A SHACL path as shown in problems: IRIs compacted, sequences with "/", inverses with "^"."""
    if path is None:
        return ""
    if isinstance(path, BNode):
        items = list(Collection(shapes, path)) if (path, RDF.first, None) in shapes else []
        if items:
            return "/".join(compact(i) for i in items)
        inverse = shapes.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{compact(inverse)}"
        return "(path)"
    return compact(path)


def value_text(value: Node) -> str:
    """A value as a curator reads it: IRIs compacted, literals quoted with language or datatype."""
    if isinstance(value, Literal):
        if value.language:
            return f'"{value}"@{value.language}'
        if value.datatype is not None and value.datatype != XSD.string:
            return f'"{value}"^^{compact(value.datatype)}'
        return f'"{value}"'
    return compact(value)


def _objects(shapes: rdflib.Graph, node: Node, predicate: URIRef) -> list[Node]:
    return sorted(shapes.objects(node, predicate), key=lambda n: (type(n).__name__, str(n)))


def _one(shapes: rdflib.Graph, node: Node, predicate: URIRef) -> Node | None:
    values = _objects(shapes, node, predicate)
    if len(values) > 1:
        raise ShapeCompileError(f"{_name(node)} has {len(values)} values for {_name(predicate)}; at most one")
    return values[0] if values else None


def _name(node: Node) -> str:
    """A shape or SHACL term as error messages show it."""
    if isinstance(node, URIRef) and str(node).startswith(str(SH)):
        return "sh:" + _local(node)
    return compact(node) if isinstance(node, URIRef) else f"blank shape {node}"


def _local(term: URIRef) -> str:
    return str(term).removeprefix(str(SH))


def _items(shapes: rdflib.Graph, node: Node, what: str) -> list[Node]:
    if node != RDF.nil and (node, RDF.first, None) not in shapes:
        raise ShapeCompileError(f"{what} must be an RDF list")
    return list(Collection(shapes, node))


def _integer(value: Node | None, what: str) -> int:
    if not isinstance(value, Literal) or not isinstance(value.value, int) or isinstance(value.value, bool):
        raise ShapeCompileError(f"{what} must be an integer literal, got {value!r}")
    return value.value


def _boolean(value: Node | None, what: str) -> bool:
    if not isinstance(value, Literal) or not isinstance(value.value, bool):
        raise ShapeCompileError(f"{what} must be a boolean literal, got {value!r}")
    return value.value


def _shape_nodes(shapes: rdflib.Graph) -> set[Node]:
    """The shapes pyshacl finds: declared ones, subjects of targets or of sh:property/sh:node,
    and values of shape-expecting parameters."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    for predicate in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property, SH.node):
        found |= set(shapes.subjects(predicate, None))
    for predicate in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        found |= set(shapes.objects(None, predicate))
    for predicate in (SH["and"], SH["or"], SH.xone):
        for head in shapes.objects(None, predicate):
            found |= set(Collection(shapes, head))
    return found


def _check_vocabulary(shapes: rdflib.Graph) -> None:
    """Refuse any SHACL predicate or class the compiler does not understand."""
    for predicate in sorted(set(shapes.predicates())):
        if str(predicate).startswith(str(SH)) and predicate not in _SUPPORTED_PREDICATES:
            raise ShapeCompileError(f"unsupported SHACL feature {_name(predicate)} in the shapes graph")
    for kind in sorted(set(shapes.objects(None, RDF.type))):
        if str(kind).startswith(str(SH)) and kind not in _SUPPORTED_TYPES:
            raise ShapeCompileError(f"unsupported SHACL feature: something is typed {_name(kind)}")


# ------------------------------------------------------------------ constraints


@dataclass
class _Constraint:
    """One constraint of a shape, in one of three forms.

    - ``bad``: a test of each value node (an expression over a variable, true if it violates);
    - ``count``: the number of (distinct) value nodes, those passing ``where`` if given, must not
      be ``op`` ``bound`` (``op`` "<" for minimum counts, ">" for maximum counts);
    - ``test``: an expression over the focus node and the path, true if the focus violates.
    """

    component: str
    bad: Callable[[str], str] | None = None
    count: tuple[str, int] | None = None
    where: Callable[[str], str] | None = None
    test: Callable[[str, str | None], str] | None = None
    # with ``bad``, optionally: a pattern over a variable matching exactly the values that pass;
    # the top level then removes them with one MINUS (an anti-join) rather than a test per value
    passing: Callable[[str], str] | None = None


@dataclass
class _Focus:
    """The focus nodes of a top-level shape: a sub-select binding ?this, its prefixes, and (when
    the targets allow it) a test of whether the node in a variable is one of them."""

    pattern: str
    prefixes: dict[str, str] = field(default_factory=dict)
    member: Callable[[str], str] | None = None


class _Compiler:
    """Compiles the shapes of one shapes graph.

    Oxigraph plans the body of an EXISTS without knowing which of its variables the outer row
    binds, and may start from a pattern that scans the whole dataset for every row; so every
    EXISTS written here holds one pattern anchored on a bound variable, further patterns going
    into nested EXISTS (same meaning, linear cost).
    """

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes
        self.shapes = _shape_nodes(shapes)
        self.counter = 0
        self.nesting: list[Node] = []

    def fresh(self) -> str:
        self.counter += 1
        return f"?_v{self.counter}"

    # -- shapes

    def is_property(self, shape: Node) -> bool:
        return (shape, SH.path, None) in self.g

    def deactivated(self, node: Node) -> bool:
        value = _one(self.g, node, SH.deactivated)
        return value is not None and _boolean(value, f"sh:deactivated of {_name(node)}")

    def severity(self, shape: Node) -> str:
        value = _one(self.g, shape, SH.severity)
        return str(value) if value is not None else str(SH.Violation)

    def messages(self, node: Node) -> list[Literal]:
        return [m for m in _objects(self.g, node, SH.message) if isinstance(m, Literal)]

    def path(self, shape: Node) -> Node | None:
        if not self.is_property(shape):
            return None
        if (shape, RDF.type, SH.NodeShape) in self.g:
            raise ShapeCompileError(f"{_name(shape)} is a sh:NodeShape with a sh:path")
        return _one(self.g, shape, SH.path)

    def sparql_path(self, path: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        g = self.g
        if isinstance(path, URIRef):
            return f"<{path}>"
        if (path, RDF.first, None) in g:
            items = _items(g, path, "a sequence path")
            if len(items) < 2:
                raise ShapeCompileError("a sequence path needs at least two members")
            return "(" + "/".join(self.sparql_path(i) for i in items) + ")"
        for predicate, template in (
            (SH.inversePath, "^({})"),
            (SH.zeroOrMorePath, "({})*"),
            (SH.oneOrMorePath, "({})+"),
            (SH.zeroOrOnePath, "({})?"),
        ):
            inner = g.value(path, predicate)
            if inner is not None:
                return template.format(self.sparql_path(inner))
        alternatives = g.value(path, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.sparql_path(i) for i in _items(g, alternatives, "sh:alternativePath")) + ")"
        raise ShapeCompileError(f"unsupported SHACL path {path}")

    def has_targets(self, shape: Node) -> bool:
        return any((shape, p, None) in self.g for p in _TARGETS) or self.implicit_class(shape)

    def implicit_class(self, shape: Node) -> bool:
        classes = set(self.g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        return any(t in classes for t in self.g.objects(shape, RDF.type))

    # -- constraints of one shape

    def constraints(self, shape: Node) -> list[_Constraint]:
        """Every core constraint of a shape (not sh:property nor sh:sparql)."""
        g, found = self.g, []
        predicates = {p for p in g.predicates(shape, None) if str(p).startswith(str(SH))}
        for predicate in sorted(predicates - _SHAPE_META - {SH.property, SH.sparql}):
            handler = _HANDLERS.get(predicate)
            if handler is None:
                raise ShapeCompileError(f"unsupported SHACL constraint {_name(predicate)} on {_name(shape)}")
            found.extend(handler(self, shape))
        if (shape, SH.flags, None) in g and (shape, SH.pattern, None) not in g:
            raise ShapeCompileError(f"sh:flags without sh:pattern on {_name(shape)}")
        quals = (SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint)
        if any((shape, q, None) in g for q in quals) and (shape, SH.qualifiedValueShape, None) not in g:
            raise ShapeCompileError(f"qualified counts without sh:qualifiedValueShape on {_name(shape)}")
        return found

    def property_shapes(self, shape: Node) -> list[Node]:
        children = _objects(self.g, shape, SH.property)
        if children and self.is_property(shape):
            raise ShapeCompileError(f"sh:property on the property shape {_name(shape)} is not supported")
        for child in children:
            if not self.is_property(child):
                raise ShapeCompileError(f"the sh:property value {_name(child)} of {_name(shape)} has no sh:path")
        return children

    def property_only(self, shape: Node, what: str) -> None:
        if not self.is_property(shape):
            raise ShapeCompileError(f"{what} on the node shape {_name(shape)}: only property shapes may have it")

    # -- conformance of a node (for sh:node, sh:or, sh:qualifiedValueShape)

    def conforms(self, shape: Node, x: str) -> str:
        """A SPARQL expression true if the node in variable x conforms to the shape."""
        if shape not in self.shapes:
            raise ShapeCompileError(f"{_name(shape)} is used as a shape but is not a well-formed shape")
        if shape in self.nesting:
            raise ShapeCompileError(f"recursive shapes are not supported ({_name(shape)})")
        if self.deactivated(shape):
            return "true"
        if (shape, SH.sparql, None) in self.g:
            raise ShapeCompileError(f"{_name(shape)} has SPARQL constraints but is used inside another shape")
        if self.severity(shape) != str(SH.Violation):
            raise ShapeCompileError(f"{_name(shape)} has a severity other than sh:Violation but is nested")
        self.nesting.append(shape)
        try:
            path = self.path(shape)
            p = self.sparql_path(path) if path is not None else None
            parts = [f"!{self.violated(c, x, p)}" for c in self.constraints(shape)]
            parts += [self.conforms(child, x) for child in self.property_shapes(shape)]
        finally:
            self.nesting.pop()
        return _all(parts)

    def violated(self, c: _Constraint, x: str, p: str | None) -> str:
        """A SPARQL expression true if the focus node in variable x violates the constraint."""
        if c.bad is not None:
            if p is None:
                return f"({c.bad(x)})"
            v = self.fresh()
            return f"EXISTS {{ {x} {p} {v} . FILTER({c.bad(v)}) }}"
        if c.count is not None:
            return self.count_violated(c, x, p)
        assert c.test is not None
        return f"({c.test(x, p)})"

    def count_violated(self, c: _Constraint, x: str, p: str | None) -> str:
        assert c.count is not None and p is not None
        op, bound = c.count
        n = bound if op == "<" else bound + 1  # violated unless (min) / if (max) n distinct values exist
        if op == "<" and n <= 0:
            return "false"
        if n > _MAX_NESTED_COUNT:
            raise ShapeCompileError(f"{c.component} {bound} inside a nested shape is too large to compile")
        names = [self.fresh() for _ in range(n)]
        pattern = "true"
        for i in reversed(range(n)):  # one anchored pattern per group (see the class docstring)
            v = names[i]
            tests = [f"!sameTerm({u}, {v})" for u in names[:i]] + ([c.where(v)] if c.where else [])
            pattern = f"EXISTS {{ {x} {p} {v} . FILTER({_all([*tests, pattern])}) }}"
        return f"!{pattern}" if op == "<" else pattern

    # -- top-level checks

    def focus(self, shape: Node) -> _Focus:
        """The focus nodes of a shape with targets, as a sub-select binding ?this."""
        g, branches, tests, prefixes = self.g, [], [], {}
        classes = _objects(g, shape, SH.targetClass) + ([shape] if self.implicit_class(shape) else [])
        if classes:
            values = " ".join(_term(c) for c in classes)
            branches.append(f"VALUES ?_class {{ {values} }} ?_type <{RDFS.subClassOf}>* ?_class . ?this a ?_type .")
            tests.append(lambda x: self.instance(x, values))
        nodes = [_term(n) for n in _objects(g, shape, SH.targetNode)]
        if nodes:
            branches.append(f"VALUES ?this {{ {' '.join(nodes)} }}")
            tests.append(lambda x: _any(f"sameTerm({x}, {n})" for n in nodes))
        for predicate in map(_term, _objects(g, shape, SH.targetSubjectsOf)):
            branches.append(f"?this {predicate} [] .")
            tests.append(lambda x, predicate=predicate: f"EXISTS {{ {x} {predicate} [] }}")
        for predicate in map(_term, _objects(g, shape, SH.targetObjectsOf)):
            branches.append(f"[] {predicate} ?this .")
            tests.append(lambda x, predicate=predicate: f"EXISTS {{ [] {predicate} {x} }}")
        for target in _objects(g, shape, SH.target):
            select = _one(g, target, SH.select)
            if select is None or (target, RDF.type, SH.SPARQLTargetType) in g:
                raise ShapeCompileError(f"unsupported custom target on {_name(shape)}: only sh:select targets")
            _merge(prefixes, self.prefixes(target), shape)
            branches.append(f"{{ {select} }}")
        body = " UNION ".join(f"{{ {b} }}" for b in branches)
        member = (lambda x: _any(t(x) for t in tests)) if len(tests) == len(branches) else None
        return _Focus(f"{{ SELECT DISTINCT ?this WHERE {{ {body} }} }}", prefixes, member)

    def instance(self, x: str, classes: str) -> str:
        """Whether the node in variable x is an instance of one of the classes (SPARQL terms)."""
        t, c = self.fresh(), self.fresh()
        return f"EXISTS {{ {x} a {t} . FILTER EXISTS {{ VALUES {c} {{ {classes} }} {t} <{RDFS.subClassOf}>* {c} }} }}"

    def prefixes(self, node: Node) -> dict[str, str]:
        """The prefixes a SPARQL constraint or target declares (sh:prefixes), as pyshacl reads them."""
        g = self.g
        found = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
        holders = _objects(g, node, SH.prefixes)
        if not holders:
            return found
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        every = {d for o in ontologies for d in g.objects(o, SH.declare)}
        declared: dict[str, str] = {}
        for holder in holders:
            own = set(g.objects(holder, SH.declare))
            for declaration in own if own and holder in ontologies else own | every:
                prefix, namespace = _one(g, declaration, SH.prefix), _one(g, declaration, SH.namespace)
                if prefix is None or namespace is None:
                    raise ShapeCompileError(f"sh:declare {declaration} needs one sh:prefix and one sh:namespace")
                if declared.get(str(prefix), str(namespace)) != str(namespace):
                    raise ShapeCompileError(f"prefix {prefix}: declared with two namespaces")
                declared[str(prefix)] = str(namespace)
        return found | declared

    def top_level(self) -> list[CompiledCheck]:
        checks: list[CompiledCheck] = []
        for shape in sorted(self.shapes, key=lambda s: (isinstance(s, BNode), str(s))):
            if not self.has_targets(shape) or self.deactivated(shape):
                continue
            checks += self.checks_for(shape, self.focus(shape))
        for shape in self.shapes - {s for s in self.shapes if self.has_targets(s)}:
            self.constraints(shape)  # refuse unsupported constraints even on shapes used only by others
        for node in set(self.g.subjects(SH.target, None)) - self.shapes:
            raise ShapeCompileError(f"{_name(node)} has sh:target but is not a shape (type it sh:NodeShape)")
        return checks

    def checks_for(self, shape: Node, focus: _Focus) -> list[CompiledCheck]:
        """The checks of a shape and of its property shapes, over the given focus nodes."""
        found = self.shape_checks(shape, focus) + self.sparql_checks(shape, focus)
        for child in self.property_shapes(shape):
            if not self.deactivated(child):
                found += self.shape_checks(child, focus) + self.sparql_checks(child, focus)
        return found

    def shape_checks(self, shape: Node, focus: _Focus) -> list[CompiledCheck]:
        """One check per core constraint of a shape, over the given focus nodes."""
        path = self.path(shape)
        p = self.sparql_path(path) if path is not None else None
        found = []
        for c in self.constraints(shape):
            query, value = self.core_query(c, focus, p)
            if query is not None:
                found.append(self.check(shape, c.component, _prologue(focus.prefixes) + query, path, value))
            if c.component == "node":
                found += self.node_details(shape, focus, p)
        return found

    def node_details(self, shape: Node, focus: _Focus, p: str | None) -> list[CompiledCheck]:
        """pyshacl reports, besides the sh:node result, the nested shape's own results on the value
        (as sh:detail): the nested shape's checks over the values of the path."""
        values = focus
        if p is not None:
            outer = self.fresh()
            values = _Focus(
                f"{{ SELECT DISTINCT ?this WHERE {{ {{ SELECT (?this AS {outer}) WHERE {{ {focus.pattern} }} }} "
                f"{outer} {p} ?this }} }}",
                focus.prefixes,
            )
        found = []
        for target in _values(self, shape, SH.node):
            if self.deactivated(target) or target in self.nesting:
                continue
            self.nesting.append(target)
            try:
                found += self.checks_for(target, values)
            finally:
                self.nesting.pop()
        return found

    def check(self, shape: Node, component: str, query: str, path: Node | None, value: str) -> CompiledCheck:
        messages = sorted(str(m) for m in self.messages(shape))
        if not messages:
            raise ShapeCompileError(
                f"{_name(shape)} ({compact(node_shape(shape, self.g) or shape)}) has no sh:message for its "
                f"{component} constraint; the compiled validator needs one (pyshacl's generated messages are not "
                "reproduced)"
            )
        return CompiledCheck(
            shape=self.label(shape),
            source=shape,
            component=component,
            severity=self.severity(shape),
            path=path_text(path, self.g),
            query=query,
            messages=(messages[0],),
            value=value,
        )

    def label(self, shape: Node) -> str | None:
        named = node_shape(shape, self.g)
        return compact(named) if named is not None else None

    def core_query(self, c: _Constraint, focus: _Focus, p: str | None) -> tuple[str | None, str]:
        """The SELECT finding the violations of one core constraint, and where sh:value comes from."""
        nodes = focus.pattern
        if c.bad is not None:
            value = "?this" if p is None else "?value"
            where = f"?this {p} ?value ." if p is not None else ""
            passing = c.passing
            condition = f"MINUS {{ {passing(value)} }}" if passing else f"FILTER({c.bad(value)})"
            if p is None:
                return f"SELECT ?this WHERE {{ {nodes} {condition} }}", "focus"
            return f"SELECT DISTINCT ?this ?value WHERE {{ {nodes} {where} {condition} }}", "row"
        if c.count is not None:
            return self.count_query(c, focus, p), "none"
        assert c.test is not None
        return f"SELECT ?this WHERE {{ {nodes} FILTER({c.test('?this', p)}) }}", "none"

    def count_query(self, c: _Constraint, focus: _Focus, p: str | None) -> str | None:
        assert c.count is not None and p is not None
        op, bound = c.count
        v, nodes = self.fresh(), focus.pattern
        where = f" FILTER({c.where(v)})" if c.where else ""
        if op == "<":
            if bound <= 0:
                return None  # at least zero values: nothing can violate
            if bound == 1:
                return f"SELECT ?this WHERE {{ {nodes} FILTER NOT EXISTS {{ ?this {p} {v} .{where} }} }}"
            return (
                f"SELECT ?this WHERE {{ {nodes} OPTIONAL {{ ?this {p} {v} .{where} }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT {v}) < {bound})"
            )
        having = f"GROUP BY ?this HAVING (COUNT(DISTINCT {v}) > {bound})"
        if focus.member is not None and c.where is None:  # count every node's values, then keep the focus nodes
            counted = f"{{ SELECT ?this WHERE {{ ?this {p} {v} }} {having} }}"
            return f"SELECT ?this WHERE {{ {counted} FILTER({focus.member('?this')}) }}"
        return f"SELECT ?this WHERE {{ {nodes} ?this {p} {v} .{where} }} {having}"

    # -- SPARQL-based constraints

    def sparql_checks(self, shape: Node, focus: _Focus) -> list[CompiledCheck]:
        found = []
        for node in _objects(self.g, shape, SH.sparql):
            if self.deactivated(node):
                continue
            found.append(self.sparql_check(shape, node, focus))
        return found

    def sparql_check(self, shape: Node, node: Node, focus: _Focus) -> CompiledCheck:
        g = self.g
        select = _one(g, node, SH.select)
        if not isinstance(select, Literal) or not isinstance(select.value, str):
            raise ShapeCompileError(f"the SPARQL constraint of {_name(shape)} needs one sh:select string")
        if (node, SH.ask, None) in g:
            raise ShapeCompileError(f"ASK-based SPARQL constraints are not supported ({_name(shape)})")
        prefixes = dict(self.prefixes(node))
        _merge(prefixes, focus.prefixes, shape)
        path = self.path(shape)
        query, this_projected = _sparql_select(str(select.value), focus.pattern, path and self.sparql_path(path))
        messages = [m for m in _objects(g, node, SH.message) if isinstance(m, Literal)]
        messages += [m for m in self.messages(shape) if m not in messages]
        return CompiledCheck(
            shape=self.label(shape),
            source=shape,
            component="sparql",
            severity=self.severity(shape),
            path=path_text(path, g),
            query=_prologue(prefixes) + query,
            messages=tuple(str(m) for m in messages),
            value="row",
            sparql=SparqlInfo(this_projected=this_projected, node_shape=path is None),
        )


def _merge(into: dict[str, str], more: dict[str, str], shape: Node) -> None:
    for prefix, namespace in more.items():
        if into.setdefault(prefix, namespace) != namespace:
            raise ShapeCompileError(f"prefix {prefix}: two namespaces in the queries of {_name(shape)}")


def _prologue(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))


def _sparql_select(select: str, focus: str, path: str | None) -> tuple[str, bool]:
    """A SPARQL constraint's query run over every focus node at once: $PATH substituted, the focus
    nodes joined at the start of the outer group, ?this selected. Returns it and whether the
    original query selected $this."""
    if path is not None:
        select = _PATH_VAR.sub(lambda m: m.group(1) + path, select)
    masked = _mask(select)
    for problem, pattern in (
        ("$PATH without a path (on a node shape)", r"[$?]PATH\b"),
        ("?failure", r"[$?]failure\b"),
        ("$shapesGraph", r"[$?]shapesGraph\b"),
        ("$currentShape", r"[$?]currentShape\b"),
    ):
        if re.search(pattern, masked):
            raise ShapeCompileError(f"SPARQL constraint uses {problem}, which is not supported:\n{select}")
    forbidden = _FORBIDDEN.search(masked)
    if forbidden or len(_SELECT.findall(masked)) != 1:
        what = forbidden.group(1).upper() if forbidden else "a sub-query"
        raise ShapeCompileError(f"SPARQL constraint uses {what}, which cannot be compiled:\n{select}")
    head = _SELECT.search(masked)
    brace = masked.find("{")
    assert head is not None
    if brace < head.end():
        raise ShapeCompileError(f"SPARQL constraint has no WHERE group:\n{select}")
    projection = masked[head.end() : brace]
    star = "*" in projection
    this_projected = star or _projects(projection, "this")
    if not (star or any(_projects(projection, n) for n in ("this", "path", "value"))):
        raise ShapeCompileError(f"SPARQL constraint selects none of $this, ?path, ?value, so never reports:\n{select}")
    insert_at = head.end()
    modifier = _MODIFIER.match(masked, insert_at)
    if modifier:
        insert_at = modifier.end()
    extra = "" if this_projected else " ?this"
    text = select[:insert_at] + extra + select[insert_at : brace + 1] + " " + focus + " " + select[brace + 1 :]
    return text, this_projected


# ------------------------------------------------------------------ constraint handlers


def _values(compiler: _Compiler, shape: Node, predicate: URIRef) -> list[Node]:
    return _objects(compiler.g, shape, predicate)


def _class(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    classes = _values(compiler, shape, SH["class"])

    def bad(v: str) -> str:
        t = compiler.fresh()
        return _any(
            f"NOT EXISTS {{ {v} <{RDF.type}> {t} . FILTER EXISTS {{ {t} <{RDFS.subClassOf}>* {_term(c)} }} }}"
            for c in classes
        )

    def passing(v: str) -> str:  # instances of every class
        patterns = []
        for c in classes:
            t = compiler.fresh()
            patterns.append(f"{v} <{RDF.type}> {t} . {t} <{RDFS.subClassOf}>* {_term(c)} .")
        return " ".join(patterns)

    return [_Constraint("class", bad=bad, passing=passing)]


def _datatype(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    datatype = _one(compiler.g, shape, SH.datatype)
    if not isinstance(datatype, URIRef) or datatype == RDFS.Datatype:
        raise ShapeCompileError(f"unsupported sh:datatype {datatype} on {_name(shape)}")
    if datatype == RDFS.Literal:
        return [_Constraint("datatype", bad=lambda v: f"!isLiteral({v})")]
    if datatype in (XSD.string, RDF.langString):
        return [_Constraint("datatype", bad=lambda v: f"(!isLiteral({v}) || DATATYPE({v}) != <{datatype}>)")]
    return [
        _Constraint(
            "datatype",
            bad=lambda v: f"(!isLiteral({v}) || DATATYPE({v}) != <{datatype}> || !<{_WELL_TYPED}>({v}))",
        )
    ]


def _node_kind(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    kind = _one(compiler.g, shape, SH.nodeKind)
    if kind not in _NODE_KINDS:
        raise ShapeCompileError(f"unknown sh:nodeKind {kind} on {_name(shape)}")
    template = _NODE_KINDS[kind]  # type: ignore[index]
    return [_Constraint("nodeKind", bad=lambda v: template.format(v=v))]


def _in(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    head = _one(compiler.g, shape, SH["in"])
    members = [_term(m) for m in _items(compiler.g, head, f"sh:in of {_name(shape)}")] if head is not None else []
    return [_Constraint("in", bad=lambda v: f"!{_any(f'sameTerm({v}, {m})' for m in members)}")]


def _pattern(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    flags_node = _one(compiler.g, shape, SH.flags)
    flags = str(flags_node).lower() if flags_node is not None else ""
    if set(flags) - {"i", "m"}:
        raise ShapeCompileError(f"sh:flags {flags!r} on {_name(shape)}: only i and m are supported (as in pyshacl)")
    patterns = [str(p) for p in _values(compiler, shape, SH.pattern)]
    for pattern in patterns:
        try:
            _regex(pattern, flags)
        except re.error as exc:
            raise ShapeCompileError(f"invalid sh:pattern {pattern!r} on {_name(shape)}: {exc}") from exc
    bad = lambda v: _any(f"!<{_MATCHES}>({v}, {_escape(p)}, {_escape(flags)})" for p in patterns)  # noqa: E731
    return [_Constraint("pattern", bad=bad)]


def _length(compiler: _Compiler, shape: Node, predicate: URIRef, op: str) -> list[_Constraint]:
    bound = _integer(_one(compiler.g, shape, predicate), f"{_name(predicate)} of {_name(shape)}")
    if op == "<" and bound == 0:
        return []  # a minimum length of zero always passes (even for blank nodes, as in pyshacl)
    return [_Constraint(_local(predicate), bad=lambda v: f"(isBlank({v}) || STRLEN(STR({v})) {op} {bound})")]


def _min_length(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    return _length(compiler, shape, SH.minLength, "<")


def _max_length(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    return _length(compiler, shape, SH.maxLength, ">")


def _range(predicate: URIRef) -> Callable[[_Compiler, Node], list[_Constraint]]:
    def handler(compiler: _Compiler, shape: Node) -> list[_Constraint]:
        bounds = [_term(b) for b in _values(compiler, shape, predicate)]
        op = _RANGES[predicate]
        return [_Constraint(_local(predicate), bad=lambda v: _any(f"!COALESCE({v} {op} {b}, false)" for b in bounds))]

    return handler


def _language_in(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    head = _one(compiler.g, shape, SH.languageIn)
    members = _items(compiler.g, head, f"sh:languageIn of {_name(shape)}") if head is not None else []
    if not all(isinstance(m, Literal) and isinstance(m.value, str) for m in members):
        raise ShapeCompileError(f"sh:languageIn of {_name(shape)} must list strings")
    tags = sorted({str(m).lower() for m in members})
    if "*" in tags:
        return [_Constraint("languageIn", bad=lambda v: f'!(isLiteral({v}) && LANG({v}) != "")')]
    allowed = ", ".join(_escape(t) for t in tags)

    def bad(v: str) -> str:
        lang = f"LCASE(LANG({v}))"
        first = f'STRBEFORE(CONCAT({lang}, "-"), "-")'
        return f'!(isLiteral({v}) && LANG({v}) != "" && ({lang} IN ({allowed}) || {first} IN ({allowed})))'

    return [_Constraint("languageIn", bad=bad)] if tags else [_Constraint("languageIn", bad=lambda v: "true")]


def _unique_lang(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    compiler.property_only(shape, "sh:uniqueLang")
    if not _boolean(_one(compiler.g, shape, SH.uniqueLang), f"sh:uniqueLang of {_name(shape)}"):
        return []

    def test(x: str, p: str | None) -> str:
        a, b = compiler.fresh(), compiler.fresh()
        same = f"EXISTS {{ {x} {p} {b} . FILTER(!sameTerm({a}, {b}) && LCASE(LANG({a})) = LCASE(LANG({b}))) }}"
        return f'EXISTS {{ {x} {p} {a} . FILTER(LANG({a}) != "" && {same}) }}'

    return [_Constraint("uniqueLang", test=test)]


def _has_value(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    values = [_term(v) for v in _values(compiler, shape, SH.hasValue)]

    def test(x: str, p: str | None) -> str:
        if p is None:
            return _any(f"!sameTerm({x}, {v})" for v in values)
        return _any(f"NOT EXISTS {{ {x} {p} {v} }}" for v in values)

    return [_Constraint("hasValue", test=test)]


def _count(predicate: URIRef, op: str) -> Callable[[_Compiler, Node], list[_Constraint]]:
    def handler(compiler: _Compiler, shape: Node) -> list[_Constraint]:
        compiler.property_only(shape, _name(predicate))
        bound = _integer(_one(compiler.g, shape, predicate), f"{_name(predicate)} of {_name(shape)}")
        if bound < 0:
            raise ShapeCompileError(f"{_name(predicate)} of {_name(shape)} must not be negative")
        return [_Constraint(_local(predicate), count=(op, bound))]

    return handler


def _node(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    targets = _values(compiler, shape, SH.node)
    for target in targets:
        if compiler.is_property(target):
            raise ShapeCompileError(f"sh:node {_name(target)} of {_name(shape)} is a property shape")
    return [_Constraint("node", bad=lambda v: _any(f"!{compiler.conforms(t, v)}" for t in targets))]


def _or(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    lists = [_items(compiler.g, head, f"sh:or of {_name(shape)}") for head in _values(compiler, shape, SH["or"])]
    for members in lists:
        if not members:
            raise ShapeCompileError(f"sh:or of {_name(shape)} is an empty list")

    def bad(v: str) -> str:
        return _any(f"!{_any(compiler.conforms(m, v) for m in members)}" for members in lists)

    return [_Constraint("or", bad=bad)]


def _qualified(compiler: _Compiler, shape: Node) -> list[_Constraint]:
    g = compiler.g
    compiler.property_only(shape, "sh:qualifiedValueShape")
    value_shape = _one(g, shape, SH.qualifiedValueShape)
    assert value_shape is not None
    low, high = _one(g, shape, SH.qualifiedMinCount), _one(g, shape, SH.qualifiedMaxCount)
    disjoint_node = _one(g, shape, SH.qualifiedValueShapesDisjoint)
    disjoint = disjoint_node is not None and _boolean(disjoint_node, "sh:qualifiedValueShapesDisjoint")
    siblings = []
    if disjoint:
        for parent in g.subjects(SH.property, shape):
            for other in g.objects(parent, SH.property):
                siblings += [s for s in g.objects(other, SH.qualifiedValueShape) if s != value_shape]
    if low is None and high is None:
        raise ShapeCompileError(f"sh:qualifiedValueShape of {_name(shape)} needs a qualified min or max count")

    def where(v: str) -> str:
        return _all([compiler.conforms(value_shape, v)] + [f"!{compiler.conforms(s, v)}" for s in sorted(siblings)])

    found = []
    if low is not None:
        found.append(_Constraint("qualifiedMinCount", count=("<", _integer(low, "sh:qualifiedMinCount")), where=where))
    if high is not None:
        found.append(_Constraint("qualifiedMaxCount", count=(">", _integer(high, "sh:qualifiedMaxCount")), where=where))
    return found


_HANDLERS: dict[URIRef, Callable[[_Compiler, Node], list[_Constraint]]] = {
    SH["class"]: _class,
    SH.datatype: _datatype,
    SH.nodeKind: _node_kind,
    SH["in"]: _in,
    SH.pattern: _pattern,
    SH.minLength: _min_length,
    SH.maxLength: _max_length,
    SH.minInclusive: _range(SH.minInclusive),
    SH.maxInclusive: _range(SH.maxInclusive),
    SH.minExclusive: _range(SH.minExclusive),
    SH.maxExclusive: _range(SH.maxExclusive),
    SH.languageIn: _language_in,
    SH.uniqueLang: _unique_lang,
    SH.hasValue: _has_value,
    SH.minCount: _count(SH.minCount, "<"),
    SH.maxCount: _count(SH.maxCount, ">"),
    SH.node: _node,
    SH["or"]: _or,
    SH.qualifiedValueShape: _qualified,
}


# ------------------------------------------------------------------ compiling and running


def compile_shapes(shapes: rdflib.Graph) -> list[CompiledCheck]:
    """Every constraint of every shape with targets, as SPARQL (raises ShapeCompileError)."""
    _check_vocabulary(shapes)
    checks = _Compiler(shapes).top_level()
    empty = ox.Store()
    for check in checks:  # every query must parse (and run) before it meets the data
        try:
            list(empty.query(check.query, use_default_graph_as_union=True, custom_functions=FUNCTIONS))
        except (SyntaxError, ValueError, OSError) as exc:
            raise ShapeCompileError(
                f"{check.shape} {check.component}: the compiled query fails: {exc}\n{check.query}"
            ) from exc
    return checks


def _substitute(message: str, bindings: dict[str, Term]) -> str:
    """{$var} / {?var} in a SPARQL constraint's message, replaced as pyshacl does."""
    for name, term in bindings.items():
        message = re.sub(f"{{[?$]{name}}}", lambda _m, text=term.value: text, message)
    return message


def _sparql_violation(check: CompiledCheck, row: ox.QuerySolution, names: list[str]) -> Violation | None:
    info = check.sparql
    assert info is not None
    bound = {n: row[n] for n in names if row[n] is not None}
    focus = bound.pop("this")
    this = focus if info.this_projected else None
    path, value = bound.pop("path", None), bound.pop("value", None)
    if this is None and path is None and value is None:
        return None  # pyshacl ignores such a row
    if value is None and info.node_shape:
        value = focus
    variables = dict(bound)
    for name, term in (("this", this), ("path", path), ("value", value)):
        if term is not None:
            variables[name] = term
    texts = sorted(_substitute(m, variables) for m in check.messages)
    return Violation(check, focus, value, _bound_path(path, check.path), texts[0] if texts else "violates a shape")


def _bound_path(path: Term | None, default: str) -> str:
    """The path a SPARQL constraint's ?path names, shown like pyshacl's sh:resultPath."""
    if path is None:
        return default
    if isinstance(path, ox.NamedNode):
        return compact(URIRef(path.value))
    return "(path)" if isinstance(path, ox.BlankNode) else path.value


def _violations(check: CompiledCheck, rows: ox.QuerySolutions) -> Iterator[Violation]:
    names = [v.value for v in rows.variables]
    message = check.messages[0] if check.messages else "violates a shape"
    for row in rows:
        if check.sparql is not None:
            violation = _sparql_violation(check, row, names)
            if violation is not None:
                yield violation
            continue
        focus = row["this"]
        value = row["value"] if check.value == "row" else focus if check.value == "focus" else None
        yield Violation(check, focus, value, check.path, message)


def run_checks(store: ox.Store, checks: Sequence[CompiledCheck]) -> list[Violation]:
    """Every violation of every check (all severities), over the union of the store's graphs."""
    found: list[Violation] = []
    for check in checks:
        rows = store.query(check.query, use_default_graph_as_union=True, custom_functions=FUNCTIONS)
        assert isinstance(rows, ox.QuerySolutions)
        found.extend(_violations(check, rows))
    return found


def to_rdflib(term: Term) -> Node:
    """A pyoxigraph term as an rdflib term (blank nodes keep their id, literals their lexical form)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def _problem(
    violation: Violation, origin: Callable[[Term], str], describe: Callable[[Term], str], read: Callable[[Term], Node]
) -> Problem:
    message, value = violation.message, violation.value
    if value is not None and value != violation.focus and not isinstance(value, ox.BlankNode):
        message += f" (value: {value_text(read(value))})"
    if violation.check.shape is not None:
        message += f" [{violation.check.shape}]"
    return Problem(
        file=origin(violation.focus),
        kind="shacl",
        focus=describe(violation.focus),
        path=violation.path,
        message=message,
    )


def store_describer(store: ox.Store, depth: int = 3) -> Callable[[Term], str]:
    """Names nodes like :func:`regkg.terms.describe`, looking blank nodes up in the store."""

    def describe(term: Term, left: int = depth) -> str:
        if not isinstance(term, ox.BlankNode):
            return compact(to_rdflib(term))
        if left == 0:
            return "[blank node]"
        for quad in store.quads_for_pattern(None, None, term):
            return f"{describe(quad.subject, left - 1)} {compact(URIRef(quad.predicate.value))} [ … ]"
        return "[blank node]"

    return describe


def graph_origin(
    store: ox.Store, by_graph: Callable[[str, str], str], rank: Callable[[str], object] | None = None
) -> Callable[[Term], str]:
    """``origin`` for :func:`check_shapes_compiled`: the named graph where a focus node is a
    subject (else an object), as ``by_graph(graph IRI, focus)`` names it; "(dataset)" if none.
    Index lookups per violating focus node only; among several graphs, the lowest ``rank``
    (default: the graph IRI) wins."""
    memo: dict[Term, str] = {}
    order = rank or (lambda graph: graph)

    def graphs(focus: Term, as_subject: bool) -> set[str]:
        quads = store.quads_for_pattern(focus, None, None) if as_subject else store.quads_for_pattern(None, None, focus)
        return {q.graph_name.value for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}

    def origin(focus: Term) -> str:
        if focus not in memo:
            found = graphs(focus, True) if not isinstance(focus, ox.Literal) else set()
            found = found or graphs(focus, False)
            memo[focus] = by_graph(min(found, key=order), focus.value) if found else "(dataset)"
        return memo[focus]

    return origin


def check_shapes_compiled(
    store: ox.Store,
    shapes: rdflib.Graph | Sequence[CompiledCheck],
    origin: Callable[[Term], str],
    describe: Callable[[Term], str] | None = None,
    *,
    read: Callable[[Term], Node] = to_rdflib,
    focus: set[Term] | None = None,
) -> list[Problem]:
    """Validate the union of the store's graphs; one problem per sh:Violation result (sorted,
    de-duplicated), worded like :func:`regkg.shacl.check_shapes`.

    ``shapes`` is a shapes graph or its :func:`compile_shapes` checks (compile once, reuse);
    ``origin(focus)`` names the file a focus node comes from (see :func:`graph_origin`);
    ``describe(focus)`` names the focus node (default: :func:`store_describer`); ``read(term)``
    gives the rdflib term a value is shown as in messages; with ``focus``, only the violations
    of those focus nodes are kept.
    """
    checks = compile_shapes(shapes) if isinstance(shapes, rdflib.Graph) else shapes
    describe = describe or store_describer(store)
    violations = [
        v
        for v in run_checks(store, checks)
        if v.check.severity == str(SH.Violation) and (focus is None or v.focus in focus)
    ]
    return sorted({_problem(v, origin, describe, read) for v in violations})
