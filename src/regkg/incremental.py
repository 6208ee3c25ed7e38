"""Incremental rebuild of the embedded store: when only documents changed since the last build,
copy that build, patch the graphs that changed and re-check only what the change can reach.

A build records a SHA-256 per named graph, one per source text, and the digest of its
validation context (the shapes, the ontology and reference data, the checking code, the regkg
version). The next build compares:

- nothing changed: the store is kept as it is;
- the context changed, there is no previous build, the store is remote, more than
  :data:`MAX_CHANGED_SHARE` of the graphs changed, or HermiT is asked for and the previous build
  did not run it: the full build runs (an incremental build never runs HermiT: it checks the
  ontology and reference data, which are part of the context);
- otherwise (documents or source texts changed) the previous database is copied (a RocksDB
  checkpoint: hard links, instant), the quads removed from and added to the changed graphs are
  applied to the copy, what the checks of the reachable nodes (:func:`reach`) read is copied
  into a small in-memory store (:func:`context`), every check runs there and only the reachable
  nodes' results are kept, and the copy is swapped in like a full build. Refused data changes
  nothing: the copy is deleted.

Why narrowing is sound. The previous build passed every check, so only results that the change
can alter need computing again. Every check reads a focus node's own triples, the triples of
the nodes it links to (up to :data:`REACH` links away: the longest chain in the shapes is
CPC measure → indication → condition → board) and the triples pointing to the focus node itself
(inverse paths). A changed triple ``s p o`` can therefore alter the result of ``s``, of ``o``,
and of every node with a path of at most REACH links to ``s``; the quote check reads a citation,
its holder, its selector and its document (and the source text the document names: a changed
text makes every document that names it reachable, so all their citations are checked again);
disjointness reads an individual's own triples. The reachable nodes are computed on the patched
store. A test rebuilds after edits at each depth
and compares with a full build (``tests/test_incremental.py``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .datafiles import DataFile
from .namespaces import OA, RDF, RK
from .report import Report
from .settings import Settings

REACH = 3  # links followed backwards from a changed subject (see the module docstring)
MAX_CHANGED_SHARE = 0.2  # above this share of changed graphs, the full build is as fast
MAX_NODES = 100_000  # above this many reachable nodes, the full build is as fast
HUB_DEGREE = 100  # a node with more triples is not followed further when copying the context
_TYPE = ox.NamedNode(str(RDF.type))
_SOURCE_FILE = ox.NamedNode(str(RK.sourceFile))
_HAS_SOURCE = ox.NamedNode(str(OA.hasSource))
# The modules whose code decides what a check finds: a change to one of them means a full build.
_CHECKING_CODE = ("loading", "privacy", "quotes", "shacl", "shacl_compiled", "consistency", "validation", "incremental")


@dataclass
class Scope:
    """What an incremental build re-checks: the reachable nodes (pyoxigraph terms)."""

    nodes: list[Any]


@dataclass
class Plan:
    """An incremental build: the previous build it starts from and the graphs that changed."""

    previous: Path  # the previous build directory
    previous_info: dict[str, Any]
    changed: list[str]  # graph IRIs changed, added or removed
    sources: list[str] = field(default_factory=list)  # source texts changed, added or removed (file names)


def context_digest(files: list[DataFile], settings: Settings) -> str:
    """SHA-256 of what every document is validated against: shapes, ontology and reference data,
    the checking code and the regkg version (source texts: :func:`source_digests`; whether HermiT
    ran: the build info's ``reasoned``)."""
    from . import __version__

    h = hashlib.sha256(f"regkg {__version__}\0".encode())
    code = Path(__file__).parent
    parts = [code / f"{name}.py" for name in _CHECKING_CODE]
    parts += [settings.shapes_file] + [f.path for f in files if f.kind in ("ontology", "reference")]
    for path in parts:
        h.update(f"{path.name}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"missing")
    return h.hexdigest()


def source_digests(settings: Settings) -> dict[str, str]:
    """SHA-256 of each source text, by its name under the sources directory (as rk:sourceFile names it)."""
    root = settings.sources_dir
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def plan(settings: Settings, info: dict[str, Any]) -> Plan | None:
    """How the next build can start from the previous one, or None for a full build."""
    from .store import read_build_info

    spec = settings.store
    if spec.remote or spec.path is None or not spec.path.is_symlink():
        return None
    previous = spec.path.resolve()
    old = read_build_info(previous)
    if not old or old.get("context") != info.get("context") or "graph_digests" not in old:
        return None
    if "source_digests" not in old or "source_digests" not in info:
        return None
    if info.get("reasoned") and not old.get("reasoned"):  # HermiT is asked for and never ran on this context
        return None
    if not (previous / "oxigraph").is_dir():
        return None
    changed = _differing(old["graph_digests"], info["graph_digests"])
    if len(changed) > MAX_CHANGED_SHARE * max(len(info["graph_digests"]), 1) and len(changed) > 1:
        return None
    return Plan(previous, old, changed, _differing(old["source_digests"], info["source_digests"]))


def _differing(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The names whose digest changed, or that were added or removed."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def _quads(lines: Iterable[str]) -> list[ox.Quad]:
    return list(ox.parse("".join(lines).encode("utf-8"), ox.RdfFormat.N_QUADS))


def patch(store: ox.Store, changed: list[str], groups: dict[str, list[str]]) -> list[ox.Quad]:
    """Make the changed graphs of the store equal to their new lines; returns the quads removed
    and added."""
    diff: list[ox.Quad] = []
    for graph in changed:
        node = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        old = set(store.quads_for_pattern(None, None, None, node))
        new = set(_quads(groups.get(graph, [])))
        removed, added = old - new, new - old
        for quad in removed:
            store.remove(quad)
        store.extend(added)
        diff += [*removed, *added]
    return diff


def reach(store: ox.Store, diff: list[ox.Quad], depth: int = REACH) -> list[Any]:
    """The nodes whose checks may read a changed quad: its subject and object, and every node
    with a path of at most ``depth`` links to a changed subject (rdf:type links aside: a class
    is not read through its instances)."""
    subjects = {q.subject for q in diff}
    found = set(subjects) | {q.object for q in diff if not isinstance(q.object, ox.Literal)}
    frontier = subjects
    for _ in range(depth):
        nxt = set()
        for node in frontier:
            for quad in store.quads_for_pattern(None, None, node):
                if quad.predicate != _TYPE and quad.subject not in found:
                    nxt.add(quad.subject)
        found |= nxt
        frontier = nxt
        if len(found) > MAX_NODES:
            break
    return sorted(found, key=str)


def naming(store: ox.Store, sources: list[str]) -> set[Any]:
    """The documents whose rk:sourceFile is one of ``sources``, and their citations: the quote
    check of each citation reads that text (the context of a citation holds its selector, its
    quote and its holder)."""
    documents = {q.subject for name in sources for q in store.quads_for_pattern(None, _SOURCE_FILE, ox.Literal(name))}
    citations = {q.subject for d in documents for q in store.quads_for_pattern(None, _HAS_SOURCE, d)}
    return documents | citations


def own_triples(store: ox.Store, nodes: list[Any]) -> ox.Store:
    """The triples of the nodes and those pointing to them, in an in-memory store: all that
    the disjointness check reads of an individual (any other individual found inconsistent in
    it is inconsistent in the whole dataset too)."""
    copy = ox.Store()
    for node in nodes:
        copy.extend(store.quads_for_pattern(node, None, None))
        copy.extend(store.quads_for_pattern(None, None, node))
    return copy


def context(store: ox.Store, nodes: list[Any], base_graphs: list[str], depth: int = REACH) -> ox.Store:
    """What the checks of ``nodes`` read, copied into an in-memory store (fast to scan, whatever
    the planner does): the ontology and reference graphs, the triples of every node up to
    ``depth`` links forward from the nodes (rdf:type links aside; not beyond a hub, a node with
    more than :data:`HUB_DEGREE` triples, such as a person signing hundreds of texts: checks
    read a hub's own triples, not what it links to), and the triples pointing to the nodes;
    graph names are kept, so problems name their files."""
    quads: list[ox.Quad] = []
    for graph in base_graphs:
        quads.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    seen: set[Any] = set()
    frontier = set(nodes)
    for _ in range(depth + 1):
        following = set()
        for node in frontier:
            seen.add(node)
            own = list(store.quads_for_pattern(node, None, None))
            quads += own
            if len(own) <= HUB_DEGREE:
                following.update(q.object for q in own if not isinstance(q.object, ox.Literal) and q.predicate != _TYPE)
        frontier = following - seen
    for node in nodes:
        quads.extend(store.quads_for_pattern(None, None, node))
    copy = ox.Store()
    copy.extend(quads)
    return copy


class _Refused(Exception):
    """The patched data did not pass the checks (the staged build is deleted)."""


class _TooWide(Exception):
    """The change reaches too many nodes for narrowing to pay (the staged build is deleted)."""


def rebuild(
    settings: Settings,
    plan_: Plan,
    groups: dict[str, list[str]],
    info: dict[str, Any],
    report: Report,
    prepared: list[Any],
    shapes: Any,
    *,
    keep_previous: bool = False,
) -> Path | None:
    """Build the new store from the previous one (see the module docstring) and swap it in;
    returns the build directory, or None when nothing was written: the data was refused
    (problems in ``report``) or the change reaches too many nodes (the caller builds in full)."""
    from .store import commit, staging, write_dumps
    from .validation import cache_dir, check_dataset

    assert settings.store.path is not None
    started = time.perf_counter()
    try:
        with staging(settings.store.path, info["digest"]) as tmp_dir:
            ox.Store.read_only(str(plan_.previous / "oxigraph")).backup(str(tmp_dir / "oxigraph"))
            store = ox.Store(str(tmp_dir / "oxigraph"))
            diff = patch(store, plan_.changed, groups)
            nodes = sorted(set(reach(store, diff)) | naming(store, plan_.sources), key=str)
            report.timings["patch"] = round(time.perf_counter() - started, 3)
            if len(nodes) > MAX_NODES:
                raise _TooWide
            base = [item.file.graph for item in prepared if item.file.kind in ("ontology", "reference")]
            checked = context(store, nodes, sorted(set(base)))
            report.timings["context"] = round(time.perf_counter() - started - report.timings["patch"], 3)
            check_dataset(checked, prepared, shapes, settings, report, scope=Scope(nodes))
            if not report.ok:
                raise _Refused
            started = time.perf_counter()
            store.flush()
            del store
            write_dumps(groups, tmp_dir / "dumps", cache_dir(settings) / "dumps")
            info["reasoned"] = bool(plan_.previous_info.get("reasoned"))  # the context is the one HermiT saw
            info["incremental"] = {
                "from": plan_.previous_info.get("digest"),
                "changed_graphs": len(plan_.changed),
                "changed_sources": len(plan_.sources),
                "quads_changed": len(diff),
                "nodes_checked": len(nodes),
            }
            report.timings["write"] = round(time.perf_counter() - started, 3)
    except (_Refused, _TooWide):  # the staged copy is gone
        return None
    return commit(settings.store.path, tmp_dir, {**info, "timings": report.timings}, keep_previous=keep_previous)
