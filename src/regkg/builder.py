"""Build: validate everything, then write the store atomically with a graph per file group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .canonical import digest, nquad_lines, skolemize
from .datafiles import LoadedFile, project_files
from .report import Report
from .settings import Settings
from .store import write_store
from .validation import validate


class ValidationFailed(Exception):
    """The data did not pass validation; nothing was written."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.text())
        self.report = report


@dataclass
class BuildResult:
    store_path: Path
    build_dir: Path
    info: dict[str, Any]
    report: Report


def dataset_nquads(loaded: list[LoadedFile]) -> list[str]:
    """Sorted, de-duplicated N-Quads of all files, blank nodes skolemised per file."""
    lines: set[str] = set()
    for item in loaded:
        scope = f"{item.file.kind}/{item.file.path.stem}"
        lines.update(nquad_lines(skolemize(item.graph, scope), item.file.graph))
    return sorted(lines)


def build(settings: Settings, *, reasoner: bool = True) -> BuildResult:
    """Validate the project's data and (re)build the store; raises ValidationFailed."""
    files = project_files(settings)
    report, loaded = validate(files, settings, reasoner=reasoner)
    if not report.ok:
        raise ValidationFailed(report)
    lines = dataset_nquads(loaded)
    graphs: dict[str, int] = {}
    for line in lines:
        graph = line.rsplit(" <", 1)[1].split(">", 1)[0]
        graphs[graph] = graphs.get(graph, 0) + 1
    info = {
        "digest": digest(lines),
        "quads": len(lines),
        "graphs": graphs,
        "inputs": {f.display(settings.root): hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files},
        "checks": report.checks,
    }
    build_dir = write_store(settings.store_path, "".join(lines).encode("utf-8"), info)
    return BuildResult(settings.store_path, build_dir, info, report)
