"""Short, readable names for RDF terms in reports and messages."""

from __future__ import annotations

import rdflib
from rdflib.term import BNode, Node, URIRef

from .namespaces import PREFIXES


def compact(term: Node) -> str:
    """An IRI as prefix:local when a known prefix fits, else <IRI>; literals as written."""
    if isinstance(term, URIRef):
        value = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if value.startswith(ns):
                return f"{prefix}:{value[len(ns) :]}"
        return f"<{value}>"
    return str(term)


def compact_iri(value: str) -> str:
    """An IRI given as a string, compacted like :func:`compact`."""
    return compact(URIRef(value))


def describe(term: Node, graph: rdflib.Graph, depth: int = 3) -> str:
    """Name a node; a blank node is named by the path that reaches it from a named resource."""
    if not isinstance(term, BNode):
        return compact(term)
    if depth == 0:
        return "[blank node]"
    for subject, predicate in graph.subject_predicates(term):
        return f"{describe(subject, graph, depth - 1)} {compact(predicate)} [ … ]"
    return "[blank node]"
