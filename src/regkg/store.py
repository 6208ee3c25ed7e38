"""The embedded on-disk store (pyoxigraph): open, query, export, and atomic replacement.

On disk, a store path is a symbolic link to one build directory holding ``oxigraph/`` (the
database) and ``build.json`` (digest and counts). A build writes a new directory beside it and
swaps the link in one rename, so readers see the old store or the new one, never a mix.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .namespaces import PREFIXES

# Prefixes for serialisations: instance IRIs contain "/", which prefixed names would escape.
_OUTPUT_PREFIXES = {k: v for k, v in PREFIXES.items() if k != "id"}

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


class StoreMissing(FileNotFoundError):
    """No built store at the configured path."""


class QueryError(ValueError):
    """The SPARQL query is malformed or cannot be evaluated."""


def _builds_dir(path: Path) -> Path:
    return path.parent / f".{path.name}.builds"


DUMPS = {"regkg.nq.gz": "application/n-quads", "regkg.trig.gz": "application/trig"}


def _write_gzip(path: Path, data: bytes) -> None:
    """Deterministic gzip (no timestamp, no file name), so equal inputs give equal dumps."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(data)


def write_store(path: Path, nquads: bytes, info: dict[str, Any]) -> Path:
    """Write a new store from N-Quads and swap it in atomically; returns the build directory."""
    builds = _builds_dir(path)
    builds.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_symlink():
        raise FileExistsError(f"{path} exists and is not a regkg store link; move it away or choose another --store")
    build_dir = builds / f"{info['digest'][:16]}-{time.time_ns()}"
    tmp_dir = builds / f".tmp-{build_dir.name}"
    try:
        tmp_dir.mkdir()
        store = ox.Store(str(tmp_dir / "oxigraph"))
        store.load(nquads, ox.RdfFormat.N_QUADS)
        store.flush()
        dumps = tmp_dir / "dumps"
        dumps.mkdir()
        _write_gzip(dumps / "regkg.nq.gz", nquads)
        _write_gzip(dumps / "regkg.trig.gz", store.dump(format=ox.RdfFormat.TRIG, prefixes=_OUTPUT_PREFIXES))
        del store
        (tmp_dir / "build.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp_dir.rename(build_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    link_tmp = path.parent / f".{path.name}.link-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(build_dir.relative_to(path.parent))
    os.replace(link_tmp, path)
    for old in builds.iterdir():
        if old != build_dir:
            shutil.rmtree(old, ignore_errors=True)
    return build_dir


class Store:
    """A read-only handle on a built store."""

    def __init__(self, path: Path) -> None:
        db = path / "oxigraph"
        if not db.is_dir():
            raise StoreMissing(f"no regkg store at {path}; run `regkg build` first")
        self.path = path
        self._store = ox.Store.read_only(str(db))

    @property
    def info(self) -> dict[str, Any]:
        """What the build recorded: digest, graphs and their sizes, inputs."""
        return json.loads((self.path / "build.json").read_text(encoding="utf-8"))

    def query(self, sparql: str, *, union_default_graph: bool = True, substitutions: dict | None = None) -> Any:
        """Run a SPARQL query; the default graph is the union of all named graphs. Values given
        in `substitutions` (pyoxigraph Variable -> term) are bound before evaluation."""
        try:
            return self._store.query(
                sparql, use_default_graph_as_union=union_default_graph, prefixes=PREFIXES, substitutions=substitutions
            )
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL query: {exc}") from exc
        except OSError as exc:
            raise QueryError(f"query failed: {exc}") from exc

    def serialize(self, results: Any, fmt: str) -> bytes:
        """Serialise query results: SPARQL results formats for SELECT/ASK, RDF for graphs."""
        if isinstance(results, ox.QueryTriples):
            if fmt not in GRAPH_FORMATS:
                raise QueryError(f"format {fmt!r} does not fit a graph result; use one of {', '.join(GRAPH_FORMATS)}")
            return results.serialize(format=GRAPH_FORMATS[fmt])
        if fmt not in RESULT_FORMATS:
            raise QueryError(f"format {fmt!r} does not fit SELECT/ASK results; use one of {', '.join(RESULT_FORMATS)}")
        return results.serialize(format=RESULT_FORMATS[fmt])

    def export(self, fmt: str) -> bytes:
        """The whole dataset; formats without named graphs get the union of all graphs."""
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        rdf_format = EXPORT_FORMATS[fmt]
        if fmt in ("nquads", "trig"):
            return self._store.dump(format=rdf_format, prefixes=_OUTPUT_PREFIXES if fmt == "trig" else None)
        if fmt == "jsonld":
            return self._store.dump(format=rdf_format)
        union = ox.Store()
        union.extend(ox.Quad(q.subject, q.predicate, q.object) for q in self._store)
        prefixes = _OUTPUT_PREFIXES if fmt == "turtle" else None
        return union.dump(format=rdf_format, from_graph=ox.DefaultGraph(), prefixes=prefixes)

    def dump_path(self, name: str) -> Path | None:
        """A gzipped dump written by the build (regkg.nq.gz, regkg.trig.gz), if present."""
        path = self.path / "dumps" / name
        return path if name in DUMPS and path.is_file() else None

    def graphs(self) -> list[str]:
        """Named graphs in the store."""
        return sorted(g.value for g in self._store.named_graphs())

    def __len__(self) -> int:
        return len(self._store)
