"""Build: validate everything, then write the store atomically with a graph per file group."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backend import publish
from .incremental import context_digest, plan, rebuild, source_digests
from .loading import Prepared
from .report import Report
from .settings import Settings
from .store import store_lock
from .validation import check_dataset, check_files, dataset_store


class ValidationFailed(Exception):
    """The data did not pass validation; nothing was written."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.text())
        self.report = report


@dataclass
class BuildResult:
    store_path: Path
    build_dir: Path | None  # None on a remote store
    info: dict[str, Any]
    report: Report
    unchanged: bool = False  # no data changed since the last build: the store was kept


def dataset_groups(prepared: list[Prepared]) -> dict[str, list[str]]:
    """The N-Quads of all files grouped by graph in canonical order (:mod:`regkg.canonical`):
    each file's lines are already sorted and in its own graph, so only graphs shared by several
    files (the reference data) are merged; no global sort."""
    parts: dict[str, list[list[str]]] = {}
    for item in prepared:
        if item.lines:
            parts.setdefault(item.file.graph, []).append(item.lines)
    return {
        graph: parts[graph][0] if len(parts[graph]) == 1 else sorted(set().union(*parts[graph]))
        for graph in sorted(parts)
    }


def build(settings: Settings, *, reasoner: bool = True, full: bool = False) -> BuildResult:
    """Validate the project's data and the ingested documents (see :mod:`regkg.ingest`), then
    (re)build the store, under the store's write lock; raises ValidationFailed.

    When only documents changed since the last build of the embedded store, the new store is
    the previous one patched and only what the change reaches is re-checked
    (:mod:`regkg.incremental`); ``full`` always checks and writes everything."""
    from .ingest import data_view, dataset, recover  # ingest builds on this module

    with store_lock(settings.store_path):
        recover(settings)  # an ingest interrupted by a crash: finish or undo it first
        with data_view(settings) as view:
            report = Report()
            started = time.perf_counter()
            prepared, shapes = check_files(view.files, view.settings, report)
            report.timings["prepare"] = round(time.perf_counter() - started, 3)
            if view.problems:
                report.extend("ingest", view.problems)
            if not report.ok or shapes is None:
                raise ValidationFailed(report)
            groups, info = dataset(view, prepared, report)
            info["context"] = context_digest(view.files, view.settings, reasoner=reasoner)
            info["source_digests"] = source_digests(view.settings)
            step = None if full else plan(settings, info)
            if step is not None and not step.changed and not step.sources:  # nothing changed: keep the store
                return BuildResult(settings.store_path, step.previous, step.previous_info, report, unchanged=True)
            if step is not None:
                build_dir = rebuild(view.settings, step, groups, info, report, prepared, shapes)
                if not report.ok:
                    raise ValidationFailed(report)
                if build_dir is not None:  # else the change reaches too much: the full build below
                    info["checks"] = report.checks
                    return BuildResult(settings.store_path, build_dir, info, report)
            started = time.perf_counter()
            store = dataset_store(prepared)
            report.timings["load"] = round(time.perf_counter() - started, 3)
            check_dataset(store, prepared, shapes, view.settings, report, reasoner=reasoner)
            del store
            if not report.ok:
                raise ValidationFailed(report)
            info["checks"] = report.checks
        started = time.perf_counter()
        build_dir = publish(settings, groups, {**info, "timings": report.timings})
        report.timings["write"] = round(time.perf_counter() - started, 3)
    return BuildResult(settings.store_path, build_dir, info, report)
