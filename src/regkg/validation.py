"""Validation pipeline: parse, privacy, quotes, SHACL, OWL consistency."""

from __future__ import annotations

import rdflib

from .consistency import check_consistency
from .datafiles import DataFile, LoadedFile, parse
from .privacy import check_privacy
from .quotes import check_quotes
from .report import Problem, Report
from .settings import Settings
from .shacl import check_shapes


def load(files: list[DataFile], settings: Settings) -> tuple[list[LoadedFile], list[Problem]]:
    """Parse every file; parse problems name the file and the line."""
    loaded, problems = [], []
    for file in files:
        graph, problem = parse(file, settings.root)
        if problem:
            problems.append(problem)
        else:
            loaded.append(LoadedFile(file, graph))
    return loaded, problems


def union_of(loaded: list[LoadedFile]) -> rdflib.Graph:
    """All files in one graph (blank nodes stay distinct per file)."""
    union = rdflib.Graph()
    for item in loaded:
        union += item.graph
    return union


def validate(files: list[DataFile], settings: Settings, *, reasoner: bool = True) -> tuple[Report, list[LoadedFile]]:
    """Run every check over the given files and return the report and the parsed files."""
    report = Report()
    loaded, problems = load(files, settings)
    report.extend("parse", problems)
    if problems:
        return report, loaded
    union = union_of(loaded)
    shapes, problem = parse(DataFile(settings.shapes_file, "", "shapes"), settings.root)
    if problem:
        report.extend("shapes", [problem])
        return report, loaded
    report.extend("privacy", check_privacy(loaded, settings.root))
    report.extend("quotes", check_quotes(loaded, union, settings.sources_dir, settings.root))
    report.extend("shacl", check_shapes(union, shapes, loaded, settings.root))
    if reasoner:
        parts = [(item.file.display(settings.root), item.graph) for item in loaded]
        report.extend("owl-consistency", check_consistency(parts))
    return report, loaded
