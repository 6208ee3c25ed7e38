"""Deterministic serialisation: blank nodes become stable skolem IRIs, quads are sorted."""

from __future__ import annotations

import hashlib

import rdflib
from rdflib.compare import to_canonical_graph
from rdflib.term import BNode, Node, URIRef

from .namespaces import SKOLEM_BASE


def skolemize(graph: rdflib.Graph, scope: str) -> rdflib.Graph:
    """Replace blank nodes by IRIs derived from the graph's canonical form, so that the same
    input always yields the same IRIs (``.../.well-known/genid/<scope>/<hash>``)."""
    canonical = to_canonical_graph(graph)
    out = rdflib.Graph()

    def fix(term: Node) -> Node:
        if isinstance(term, BNode):
            return URIRef(f"{SKOLEM_BASE}{scope}/{str(term)[:20]}")
        return term

    for s, p, o in canonical:
        out.add((fix(s), p, fix(o)))
    return out


def nquad_lines(graph: rdflib.Graph, graph_name: str) -> list[str]:
    """The graph's triples as N-Quads lines in the named graph."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    suffix = f" <{graph_name}> .\n"
    return [line[: -len(" .")] + suffix for line in text.splitlines() if line.strip()]


def digest(lines: list[str]) -> str:
    """SHA-256 of the sorted, de-duplicated N-Quads."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return h.hexdigest()
