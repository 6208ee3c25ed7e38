"""Validation pipeline: parse, privacy, quotes, SHACL, OWL consistency, built to scale.

Files are parsed and skolemised one by one (cached, in parallel: :mod:`regkg.loading`), loaded
into one in-memory pyoxigraph store, and every dataset-wide check runs as SPARQL over it: quotes
(one query), SHACL (compiled shapes, :mod:`regkg.shacl_compiled`) and the instance side of OWL
consistency (disjointness, :func:`regkg.consistency.check_instance_disjointness`). HermiT sees
only the ontology and the reference data, which stay small whatever the number of documents.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib

from .consistency import check_consistency, check_instance_disjointness
from .datafiles import DataFile, parse
from .loading import Prepared, prepare_all
from .quotes import check_quotes_store
from .report import Problem, Report
from .settings import Settings
from .shacl import check_shapes_store

if TYPE_CHECKING:
    from .incremental import Scope


class _Clock:
    """Records the seconds since the previous call under a step name in report.timings."""

    def __init__(self, report: Report) -> None:
        self._report, self._last = report, time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self._report.timings[step] = round(now - self._last, 3)
        self._last = now


def cache_dir(settings: Settings) -> Path:
    """Where prepared files are cached between builds."""
    return settings.root / "var" / "cache"


class Origins:
    """Which file a node comes from, given the named graph it was found in: a graph holding one
    file names it; in a graph shared by several files (the reference data), the file that has
    the node as a subject."""

    def __init__(self, prepared: list[Prepared], root: Path) -> None:
        self._root = root
        self._by_graph: dict[str, list[Prepared]] = {}
        for item in prepared:
            self._by_graph.setdefault(item.file.graph, []).append(item)
        self._subjects: dict[str, str] = {}

    def __call__(self, graph: str, subject: str) -> str:
        files = self._by_graph.get(graph, [])
        if not files:
            return "(dataset)"
        if len(files) == 1:
            return files[0].file.display(self._root)
        if not self._subjects:
            for shared in (fs for fs in self._by_graph.values() if len(fs) > 1):
                for item in reversed(shared):
                    for line in item.lines:
                        self._subjects[line[1 : line.index(">")] if line.startswith("<") else ""] = item.file.display(
                            self._root
                        )
        return self._subjects.get(subject, files[0].file.display(self._root))


def dataset_store(prepared: list[Prepared]) -> ox.Store:
    """All prepared files in one in-memory store (one named graph per file group)."""
    store = ox.Store()
    for item in prepared:
        if item.lines:
            store.load("".join(item.lines).encode("utf-8"), ox.RdfFormat.N_QUADS)
    return store


def _tbox(prepared: list[Prepared], settings: Settings) -> tuple[list[tuple[str, rdflib.Graph]], list[Problem]]:
    """The ontology and the reference data as rdflib graphs, for HermiT (they are small)."""
    parts, problems = [], []
    for item in prepared:
        if item.file.kind in ("ontology", "reference"):
            graph, problem = parse(item.file, settings.root)
            if problem:
                problems.append(problem)
            else:
                parts.append((item.file.display(settings.root), graph))
    return parts, problems


def check_files(
    files: list[DataFile], settings: Settings, report: Report
) -> tuple[list[Prepared], rdflib.Graph | None]:
    """The checks made file by file (parse, privacy) and the shapes graph (None, with the
    problem reported, when it does not parse)."""
    prepared = prepare_all(files, settings.root, cache_dir(settings))
    parse_problems = [p for item in prepared for p in item.problems if p.kind == "parse"]
    report.extend("parse", parse_problems)
    if parse_problems:
        return prepared, None
    shapes, problem = parse(DataFile(settings.shapes_file, "", "shapes"), settings.root)
    if problem or shapes is None:
        report.extend("shapes", [problem] if problem else [])
        return prepared, None
    report.extend("privacy", [p for item in prepared for p in item.problems if p.kind == "privacy"])
    return prepared, shapes


def check_dataset(
    store: ox.Store,
    prepared: list[Prepared],
    shapes: rdflib.Graph,
    settings: Settings,
    report: Report,
    *,
    reasoner: bool = True,
    scope: Scope | None = None,
) -> None:
    """The dataset-wide checks over a store holding every file's graph: quotes, SHACL,
    disjointness, and HermiT on the ontology and reference data. With a ``scope`` (an
    incremental build, :mod:`regkg.incremental`), only the nodes and graphs it names are
    checked, and HermiT does not run (the ontology and reference data did not change)."""
    clock = _Clock(report)
    origins = Origins(prepared, settings.root)
    nodes = scope.nodes if scope else None
    report.extend("quotes", check_quotes_store(store, settings.sources_dir, origins, nodes=nodes))
    clock("quotes")
    report.extend("shacl", check_shapes_store(store, shapes, origins, focus=nodes))
    clock("shacl")
    parts, problems = _tbox(prepared, settings)
    ontology = parts[0][1] if parts and prepared[0].file.kind == "ontology" else rdflib.Graph()
    if scope is not None:
        from .incremental import own_triples

        store = own_triples(store, scope.nodes)  # what disjointness reads of the nodes
    report.extend("disjointness", problems + check_instance_disjointness(store, ontology, origins))
    clock("disjointness")
    if reasoner and parts and scope is None:
        report.extend("owl-consistency", check_consistency(parts))
        clock("owl-consistency")


def validate(files: list[DataFile], settings: Settings, *, reasoner: bool = True) -> tuple[Report, list[Prepared]]:
    """Run every check over the given files and return the report and the prepared files."""
    report = Report()
    clock = _Clock(report)
    prepared, shapes = check_files(files, settings, report)
    clock("prepare")
    if shapes is None:
        return report, prepared
    store = dataset_store(prepared)
    clock("load")
    check_dataset(store, prepared, shapes, settings, report, reasoner=reasoner)
    return report, prepared
