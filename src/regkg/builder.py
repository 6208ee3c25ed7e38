"""Build: validate everything, then write the store atomically with a graph per file group."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backend import publish
from .incremental import Plan, context_digest, plan, rebuild, source_digests
from .loading import Prepared
from .report import Problem, Report
from .settings import Settings
from .store import store_lock
from .validation import check_dataset, check_files, dataset_store

if TYPE_CHECKING:
    from .ingest import DataView


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
    from .ingest import data_view, recover  # ingest builds on this module

    with store_lock(settings.store_path):
        recover(settings)  # an ingest interrupted by a crash: finish or undo it first
        with data_view(settings) as view:
            report, prepared, shapes, groups, info = checked_files(view, reasoner=reasoner)
            step = None if full else plan(settings, info)
            if step is not None and not step.changed and not step.sources:  # nothing changed: keep the store
                return BuildResult(settings.store_path, step.previous, step.previous_info, report, unchanged=True)
            build_dir = check_and_write(settings, view.settings, step, prepared, shapes, groups, info, report,
                                        reasoner=reasoner)  # fmt: skip
    return BuildResult(settings.store_path, build_dir, info, report)


def checked_files(
    view: DataView, *, reasoner: bool, more: Callable[[list[Prepared]], list[Problem]] | None = None
) -> tuple[Report, list[Prepared], Any, dict[str, list[str]], dict[str, Any]]:
    """The file-by-file checks of what a build or an ingest holds (parse, privacy, the view's
    own problems, and ``more`` of the caller's), then the dataset grouped by graph and its build
    info, with what the next build compares (:func:`regkg.incremental.plan`); raises
    ValidationFailed."""
    from .ingest import dataset  # ingest builds on this module

    report = Report()
    started = time.perf_counter()
    prepared, shapes = check_files(view.files, view.settings, report)
    report.timings["prepare"] = round(time.perf_counter() - started, 3)
    problems = view.problems + (more(prepared) if more is not None else [])
    if problems:
        report.extend("ingest", problems)
    if not report.ok or shapes is None:
        raise ValidationFailed(report)
    groups, info = dataset(view, prepared, report)
    info["context"] = context_digest(view.files, view.settings)
    info["reasoned"] = reasoner  # an incremental build carries the previous build's instead
    info["source_digests"] = source_digests(view.settings)
    return report, prepared, shapes, groups, info


def check_and_write(
    settings: Settings,
    checking: Settings,
    step: Plan | None,
    prepared: list[Prepared],
    shapes: Any,
    groups: dict[str, list[str]],
    info: dict[str, Any],
    report: Report,
    *,
    reasoner: bool,
    keep_previous: bool = False,
) -> Path | None:
    """The dataset-wide checks, then the store written and swapped in: from the previous build
    when ``step`` allows (:func:`regkg.incremental.rebuild`), else in full; raises
    ValidationFailed, nothing written. ``checking``: the settings the checks read sources with."""
    if step is not None:
        build_dir = rebuild(checking, step, groups, info, report, prepared, shapes, keep_previous=keep_previous)
        if not report.ok:
            raise ValidationFailed(report)
        if build_dir is not None:  # else the change reaches too much: the full build below
            info["checks"] = report.checks
            return build_dir
    started = time.perf_counter()
    store = dataset_store(prepared)
    report.timings["load"] = round(time.perf_counter() - started, 3)
    check_dataset(store, prepared, shapes, checking, report, reasoner=reasoner)
    del store
    if not report.ok:
        raise ValidationFailed(report)
    info["checks"] = report.checks
    started = time.perf_counter()
    build_dir = publish(settings, groups, {**info, "timings": report.timings}, keep_previous=keep_previous)
    report.timings["write"] = round(time.perf_counter() - started, 3)
    return build_dir
