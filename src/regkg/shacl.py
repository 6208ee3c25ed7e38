"""SHACL validation with results a curator can act on."""

from __future__ import annotations

from pathlib import Path

import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDF, XSD
from rdflib.term import BNode, Literal, Node

from .datafiles import LoadedFile
from .namespaces import SH
from .report import Problem
from .terms import compact, describe


def _origin(focus: Node, loaded: list[LoadedFile], root: Path) -> str:
    """The file that describes the focus node (as subject first, then anywhere)."""
    for item in loaded:
        if (focus, None, None) in item.graph:
            return item.file.display(root)
    for item in loaded:
        if (None, None, focus) in item.graph:
            return item.file.display(root)
    return "(dataset)"


def _path_text(path: Node | None, shapes: rdflib.Graph) -> str:
    if path is None:
        return ""
    if isinstance(path, BNode):  # a SHACL property path: show the sequence
        items = list(rdflib.collection.Collection(shapes, path)) if (path, RDF.first, None) in shapes else []
        if items:
            return "/".join(compact(i) for i in items)
        inverse = shapes.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{compact(inverse)}"
        return "(path)"
    return compact(path)


def _value_text(value: Node) -> str:
    """A value as a curator reads it: IRIs compacted, literals quoted with language or datatype."""
    if isinstance(value, Literal):
        if value.language:
            return f'"{value}"@{value.language}'
        if value.datatype is not None and value.datatype != XSD.string:
            return f'"{value}"^^{compact(value.datatype)}'
        return f'"{value}"'
    return compact(value)


def _node_shape(shape: Node | None, shapes: rdflib.Graph) -> Node | None:
    """The named node shape a (possibly blank) property or constraint shape belongs to."""
    seen = 0
    while isinstance(shape, BNode) and seen < 5:
        parents = [s for s, _p in shapes.subject_predicates(shape)]
        shape = parents[0] if parents else None
        seen += 1
    return shape


def check_shapes(union: rdflib.Graph, shapes: rdflib.Graph, loaded: list[LoadedFile], root: Path) -> list[Problem]:
    """Run every shape over the union of all files; one problem per validation result."""
    _conforms, results, _text = pyshacl_validate(
        data_graph=union,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    problems: list[Problem] = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = results.value(result, SH.focusNode)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        shape = results.value(result, SH.sourceShape)
        value = results.value(result, SH.value)
        message = messages[0] if messages else "violates a shape"
        if value is not None and value != focus and not isinstance(value, BNode):
            message += f" (value: {_value_text(value)})"
        node_shape = _node_shape(shape, shapes)
        if node_shape is not None:
            message += f" [{compact(node_shape)}]"
        problems.append(
            Problem(
                file=_origin(focus, loaded, root),
                kind="shacl",
                focus=describe(focus, union),
                path=_path_text(results.value(result, SH.resultPath), results),
                message=message,
            )
        )
    return sorted(set(problems))
