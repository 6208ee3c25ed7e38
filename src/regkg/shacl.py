"""SHACL validation with results a curator can act on.

Shapes are compiled to SPARQL (:mod:`regkg.shacl_compiled`) and evaluated by pyoxigraph over the
whole dataset at once. Two entry points:

- :func:`check_shapes_store` for data already in a pyoxigraph store (the scalable build);
- :func:`check_shapes` for parsed rdflib graphs (copied into an in-memory store first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from .datafiles import LoadedFile
from .report import Problem
from .shacl_compiled import (
    CompiledCheck,
    Term,
    check_shapes_compiled,
    compile_shapes,
    graph_origin,
    store_describer,
    to_rdflib,
    well_typed,
)
from .terms import describe

_CACHE_SIZE = 8
# rdflib reads some ill-typed literals as valid-looking ones ("yes"^^xsd:boolean as "false", flagged
# ill_typed); copied to the store with this suffix, they stay ill-typed there.
_ILL_TYPED = " \u2047ill-typed"
_compiled: OrderedDict[frozenset, list[CompiledCheck]] = OrderedDict()
_lock = threading.Lock()


def compiled(shapes: rdflib.Graph) -> list[CompiledCheck]:
    """The compiled checks of a shapes graph, cached by its content."""
    key = frozenset(shapes)
    with _lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key]
    checks = compile_shapes(shapes)
    with _lock:
        _compiled[key] = checks
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return checks


def check_shapes_store(
    store: ox.Store,
    shapes: rdflib.Graph | Sequence[CompiledCheck],
    origin: Callable[[str, str], str],
    *,
    rank: Callable[[str], object] | None = None,
    describe_focus: Callable[[Term], str] | None = None,
    focus: Iterable[Term] | None = None,
) -> list[Problem]:
    """Run every shape over the union of the store's named graphs; one problem per violation.
    With ``focus``, only the violations of those focus nodes are kept (an incremental build runs
    the shapes over a copy of what those nodes' checks read: :mod:`regkg.incremental`).

    ``origin(graph IRI, focus IRI)`` names the file of a focus node found in that graph (where
    it is a subject, else an object; among several graphs, the lowest ``rank``, default the IRI).
    Focus nodes are named by :func:`regkg.shacl_compiled.store_describer` unless
    ``describe_focus`` is given.
    """
    checks = compiled(shapes) if isinstance(shapes, rdflib.Graph) else shapes
    return check_shapes_compiled(
        store,
        checks,
        graph_origin(store, origin, rank),
        describe_focus or store_describer(store),
        focus=None if focus is None else set(focus),
    )


def _origin(focus: Node, loaded: list[LoadedFile], root: Path) -> str:
    """The file that describes the focus node (as subject first, then anywhere)."""
    for item in loaded:
        if (focus, None, None) in item.graph:
            return item.file.display(root)
    for item in loaded:
        if (None, None, focus) in item.graph:
            return item.file.display(root)
    return "(dataset)"


class _Terms:
    """rdflib terms as pyoxigraph terms and back: blank nodes kept apart and mapped both ways,
    literals rdflib flags ill-typed kept ill-typed, language tags shown as written."""

    def __init__(self) -> None:
        self.iris: dict[URIRef, ox.NamedNode] = {}
        self.blanks: dict[BNode, ox.BlankNode] = {}
        self.back: dict[Term, Node] = {}

    def to_ox(self, term: Node) -> Term:
        if isinstance(term, URIRef):
            node = self.iris.get(term)
            if node is None:
                node = self.iris[term] = ox.NamedNode(str(term))
            return node
        if isinstance(term, BNode):
            blank = self.blanks.get(term)
            if blank is None:
                blank = self.blanks[term] = ox.BlankNode()
                self.back[blank] = term
            return blank
        assert isinstance(term, Literal)
        if term.language:
            tagged = ox.Literal(str(term), language=term.language)
            if tagged.language != term.language:  # the store writes tags in lower case
                self.back[tagged] = term
            return tagged
        if term.datatype is None:
            return ox.Literal(str(term))
        datatype = self.to_ox(term.datatype)
        if term.ill_typed is True and well_typed(str(term), str(term.datatype)):
            literal = ox.Literal(str(term) + _ILL_TYPED, datatype=datatype)  # type: ignore[arg-type]
            self.back[literal] = term
            return literal
        return ox.Literal(str(term), datatype=datatype)  # type: ignore[arg-type]

    def to_rdflib(self, term: Term) -> Node:
        """The rdflib term a store term came from."""
        known = self.back.get(term)
        return known if known is not None else to_rdflib(term)


def check_shapes(union: rdflib.Graph, shapes: rdflib.Graph, loaded: list[LoadedFile], root: Path) -> list[Problem]:
    """Run every shape over the union of all files; one problem per validation result."""
    terms = _Terms()
    store = ox.Store()
    store.bulk_extend(ox.Quad(terms.to_ox(s), terms.to_ox(p), terms.to_ox(o)) for s, p, o in union)  # type: ignore[arg-type]
    return check_shapes_compiled(
        store,
        compiled(shapes),
        origin=lambda focus: _origin(terms.to_rdflib(focus), loaded, root),
        describe=lambda focus: describe(terms.to_rdflib(focus), union),
        read=terms.to_rdflib,
    )
