"""Build: validate everything, then write the store atomically with a graph per file group."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backend import publish
from .loading import Prepared
from .report import Report
from .settings import Settings
from .store import store_lock
from .validation import validate


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


def dataset_nquads(prepared: list[Prepared]) -> list[str]:
    """Sorted, de-duplicated N-Quads of all files (blank nodes already skolemised per file)."""
    lines: set[str] = set()
    for item in prepared:
        lines.update(item.lines)
    return sorted(lines)


def build(settings: Settings, *, reasoner: bool = True) -> BuildResult:
    """Validate the project's data and the ingested documents (see :mod:`regkg.ingest`), then
    (re)build the store, under the store's write lock; raises ValidationFailed."""
    from .ingest import data_view, dataset, recover  # ingest builds on this module

    with store_lock(settings.store_path):
        recover(settings)  # an ingest interrupted by a crash: finish or undo it first
        with data_view(settings) as view:
            report, loaded = validate(view.files, view.settings, reasoner=reasoner)
            if view.problems:
                report.extend("ingest", view.problems)
            if not report.ok:
                raise ValidationFailed(report)
            lines, info = dataset(view, loaded, report)
        started = time.perf_counter()
        build_dir = publish(settings, lines, {**info, "timings": report.timings})
        report.timings["write"] = round(time.perf_counter() - started, 3)
    return BuildResult(settings.store_path, build_dir, info, report)
