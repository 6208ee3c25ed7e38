"""The project's data files, the named graph each goes to, and parsing them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import rdflib

from .namespaces import ONTOLOGY_GRAPH, REFERENCE_GRAPH, document_graph
from .report import Problem
from .settings import Settings

# rdflib logs a traceback for every ill-typed literal (e.g. "2022-04-31"^^xsd:date); SHACL
# reports those with a curator-readable message instead.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)


@dataclass(frozen=True)
class DataFile:
    """A Turtle file and the named graph it is loaded into."""

    path: Path
    graph: str
    kind: str  # ontology | reference | document

    def display(self, root: Path | None = None) -> str:
        """The path as shown in reports: relative to the project when inside it."""
        if root is not None:
            try:
                return str(self.path.resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        return str(self.path)


@dataclass
class LoadedFile:
    """A parsed data file."""

    file: DataFile
    graph: rdflib.Graph


def project_files(settings: Settings) -> list[DataFile]:
    """Ontology, reference data and one file per source document, in a stable order."""
    files = [DataFile(settings.ontology_file, str(ONTOLOGY_GRAPH), "ontology")]
    files += [DataFile(p, str(REFERENCE_GRAPH), "reference") for p in sorted(settings.reference_dir.glob("*.ttl"))]
    files += [DataFile(p, document_graph(p.stem), "document") for p in sorted(settings.documents_dir.glob("*.ttl"))]
    return files


def with_files(settings: Settings, paths: list[Path], base: list[DataFile] | None = None) -> list[DataFile]:
    """The project's files (or ``base``), where each given file replaces the file of the same
    name (reference or document) or is added as a new document."""
    files = project_files(settings) if base is None else list(base)
    for path in paths:
        kind = "reference" if path.parent.name == "reference" else "document"
        graph = str(REFERENCE_GRAPH) if kind == "reference" else document_graph(path.stem)
        files = [f for f in files if not (f.kind == kind and f.path.name == path.name)]
        files.append(DataFile(path, graph, kind))
    return files


def parse(file: DataFile, root: Path | None = None) -> tuple[rdflib.Graph | None, Problem | None]:
    """Parse one Turtle file; on a syntax error, a problem naming the file and the line."""
    graph = rdflib.Graph()
    try:
        graph.parse(file.path, format="turtle")
    except FileNotFoundError:
        return None, Problem(file.display(root), "parse", message="file not found")
    except Exception as exc:  # rdflib raises several syntax error types
        message = " ".join(str(exc).split())
        return None, Problem(file.display(root), "parse", message=f"not valid Turtle: {message}")
    return graph, None
