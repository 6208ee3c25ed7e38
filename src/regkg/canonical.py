"""The dataset's canonical N-Quads and its digest.

Canonical order: graph by graph (graph IRIs in code-point order, the default graph "" first),
each graph's lines sorted and de-duplicated, every term in pyoxigraph's canonical form. A build
produces its lines in that order straight from its files, graph by graph, with no global sort;
``regkg dump`` writes the same order, and the digest is the SHA-256 of those lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_SUBJECT_PREDICATE = re.compile(r"(?:<[^>]*>|_:\S+) <[^>]*>")


def graph_of(line: str) -> str:
    """The graph IRI of a canonical N-Quads line ("" for the default graph)."""
    head = line.rstrip("\n").removesuffix(" .")
    if not head.endswith(">"):
        return ""  # ends with a literal or a blank node: a triple
    start = head.rfind("<") - 1  # IRIs hold no "<"
    if start < 0 or head[start] != " " or _SUBJECT_PREDICATE.fullmatch(head[:start]):
        return ""  # "<s> <p> <o>": the last IRI is the object
    return head[start + 2 : -1]


def lines_by_graph(lines: Iterable[str]) -> dict[str, list[str]]:
    """N-Quads lines grouped by graph, in canonical order (graphs sorted, lines sorted and
    de-duplicated within each)."""
    groups: dict[str, set[str]] = {}
    for line in lines:
        groups.setdefault(graph_of(line), set()).add(line)
    return {g: sorted(groups[g]) for g in sorted(groups)}


def canonical_order(lines: Iterable[str]) -> list[str]:
    """N-Quads lines in canonical order (see the module docstring)."""
    return [line for group in lines_by_graph(lines).values() for line in group]


def graph_digest(lines: list[str]) -> str:
    """SHA-256 of one graph's sorted lines: what an incremental build compares."""
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def groups_digest(groups: dict[str, list[str]]) -> str:
    """The dataset digest: SHA-256 of its lines grouped by graph in canonical order, i.e. of its
    canonical N-Quads (one update per graph)."""
    h = hashlib.sha256()
    for group in groups.values():
        h.update("".join(group).encode("utf-8"))
    return h.hexdigest()


def dataset_info(groups: dict[str, list[str]]) -> dict[str, object]:
    """What a build.json says of a dataset grouped by graph: its digest, quads and quads per graph."""
    return {
        "digest": groups_digest(groups),
        "quads": sum(map(len, groups.values())),
        "graphs": {graph: len(group) for graph, group in groups.items()},
    }
