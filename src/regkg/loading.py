"""Loading data files at scale: parse (pyoxigraph), skolemise, privacy-check, cache, in parallel.

Each data file becomes a :class:`Prepared`: its triples as sorted N-Quads lines in the file's
named graph, blank nodes replaced by stable skolem IRIs, with its parse and privacy problems.
The result depends only on the file's bytes, its graph and its scope, so it is cached on disk
under a key of those (``<cache>/prepared/``): a rebuild re-reads only the files that changed.
Files missing from the cache are prepared in a process pool when there are many.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .datafiles import DataFile
from .namespaces import RK, SKOLEM_BASE
from .privacy import PRIVACY_MESSAGE, find_personal_contacts
from .report import Problem

# Bump when the output of prepare() changes for the same input, to invalidate caches.
PIPELINE_VERSION = "2"
_CACHE_KEY_SALT = f"regkg-prepared/{PIPELINE_VERSION}/pyoxigraph-{ox.__version__}"
_SOURCE_FILE = str(RK.sourceFile)
# Below this many files to prepare, a process pool costs more than it saves.
_POOL_MIN_FILES = 64


@dataclass(frozen=True)
class Prepared:
    """A data file ready to load: N-Quads lines and what was found wrong with it."""

    file: DataFile
    lines: list[str]
    problems: list[Problem] = field(default_factory=list)
    source_files: list[tuple[str, str]] = field(default_factory=list)  # (subject IRI, rk:sourceFile)
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def scope_of(file: DataFile) -> str:
    """The skolem scope of a file: its kind and name, so blank nodes of two files never merge."""
    return f"{file.kind}/{file.path.stem}"


def _term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal, hashes: dict[str, str]) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + hashes.get(term.value, term.value)
    return str(term)


def _bnode_hashes(quads: list[ox.Quad]) -> dict[str, str]:
    """A content hash per blank node: its outgoing triples, nested blank nodes by their own
    hash, and the edge that reaches it. Stable when unrelated parts of the file change; blank
    nodes in a cycle fall back to their canonical label."""
    outgoing: dict[str, list[ox.Quad]] = {}
    incoming: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        if isinstance(quad.subject, ox.BlankNode):
            outgoing.setdefault(quad.subject.value, []).append(quad)
        if isinstance(quad.object, ox.BlankNode):
            incoming.setdefault(quad.object.value, []).append(quad)
    content: dict[str, str] = {}

    def content_hash(label: str, visiting: frozenset[str]) -> str:
        if label in content:
            return content[label]
        if label in visiting:
            return "cycle:" + label
        parts = []
        for quad in outgoing.get(label, []):
            obj = quad.object
            text = "_:" + content_hash(obj.value, visiting | {label}) if isinstance(obj, ox.BlankNode) else str(obj)
            parts.append(f"{quad.predicate} {text}")
        content[label] = hashlib.sha256("\n".join(sorted(parts)).encode("utf-8")).hexdigest()
        return content[label]

    for label in outgoing.keys() | incoming.keys():
        content_hash(label, frozenset())
    final: dict[str, str] = {}

    def full_hash(label: str, depth: int = 0) -> str:
        if label in final:
            return final[label]
        edges = []
        for quad in incoming.get(label, []):
            subject = quad.subject
            if isinstance(subject, ox.BlankNode):
                owner = full_hash(subject.value, depth + 1) if depth < 50 else subject.value
            else:
                owner = subject.value
            edges.append(f"{owner} {quad.predicate}")
        key = content[label] + "|" + "|".join(sorted(edges))
        final[label] = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        return final[label]

    for label in content:
        full_hash(label)
    return final


def _skolemised(quads: list[ox.Quad], scope: str, graph: ox.NamedNode) -> list[ox.Quad]:
    hashes = _bnode_hashes(quads)

    def fix(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            return ox.NamedNode(f"{SKOLEM_BASE}{scope}/{hashes[term.value]}")
        return term

    return [ox.Quad(fix(q.subject), q.predicate, fix(q.object), graph) for q in quads]


def _focus_text(term: ox.NamedNode | ox.BlankNode, quads: list[ox.Quad]) -> str:
    """A readable name for a node of a file; a blank node by the edge that reaches it."""
    from .terms import compact_iri

    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value)
    for quad in quads:
        if quad.object == term and not isinstance(quad.subject, ox.BlankNode):
            return f"{compact_iri(quad.subject.value)} {compact_iri(quad.predicate.value)} [ … ]"
    return "[blank node]"


def prepare_bytes(file: DataFile, data: bytes, shown: str) -> Prepared:
    """Parse one file's Turtle and turn it into sorted N-Quads lines in its graph."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        message = " ".join(str(exc).split())
        return Prepared(file, [], [Problem(shown, "parse", message=f"not valid Turtle: {message}")], sha256=digest)
    problems = [
        Problem(shown, "privacy", _focus_text(q.subject, quads), _focus_text(q.predicate, quads), PRIVACY_MESSAGE)
        for q in quads
        if isinstance(q.object, ox.Literal) and find_personal_contacts(q.object.value)
    ]
    dataset = ox.Dataset(quads)
    if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    final = _skolemised(list(dataset), scope_of(file), ox.NamedNode(file.graph))
    canonical = ox.Store()  # the store's own form of every term (e.g. "P12M"^^xsd:duration is "P1Y"),
    canonical.extend(final)  # so the build digests exactly what a dump of the store reads back
    text = (canonical.dump(format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
    lines = sorted(set(text.splitlines(keepends=True)))
    sources = sorted(
        (q.subject.value, q.object.value)
        for q in final
        if q.predicate.value == _SOURCE_FILE and isinstance(q.object, ox.Literal)
    )
    return Prepared(file, lines, sorted(set(problems)), sources, digest)


def prepare(file: DataFile, root: Path | None = None) -> Prepared:
    """Read and prepare one file (no cache); a missing file is a parse problem."""
    shown = file.display(root)
    try:
        data = file.path.read_bytes()
    except FileNotFoundError:
        return Prepared(file, [], [Problem(shown, "parse", message="file not found")])
    return prepare_bytes(file, data, shown)


def _cache_key(file: DataFile, data: bytes, shown: str) -> str:
    h = hashlib.sha256(_CACHE_KEY_SALT.encode("utf-8"))
    for part in (file.graph, file.kind, scope_of(file), shown):
        h.update(b"\0" + part.encode("utf-8"))
    h.update(b"\0" + data)
    return h.hexdigest()


def _read_cached(path: Path, file: DataFile) -> Prepared | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Prepared(
            file,
            raw["lines"],
            [Problem(**p) for p in raw["problems"]],
            [tuple(s) for s in raw["source_files"]],  # type: ignore[misc]
            raw["sha256"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cached(path: Path, prepared: Prepared) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "lines": prepared.lines,
        "problems": [p.__dict__ for p in prepared.problems],
        "source_files": prepared.source_files,
        "sha256": prepared.sha256,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _prepare_job(job: tuple[DataFile, bytes, str]) -> Prepared:
    return prepare_bytes(*job)


def prepare_all(
    files: Iterable[DataFile], root: Path | None, cache_dir: Path | None, workers: int = 0
) -> list[Prepared]:
    """Prepare every file, in order, from the cache where possible; the others in parallel
    (``workers`` processes, default the number of cores) when there are many."""
    files = list(files)
    out: list[Prepared | None] = [None] * len(files)
    todo: list[tuple[int, tuple[DataFile, bytes, str], Path | None]] = []
    for i, file in enumerate(files):
        shown = file.display(root)
        try:
            data = file.path.read_bytes()
        except FileNotFoundError:
            out[i] = Prepared(file, [], [Problem(shown, "parse", message="file not found")])
            continue
        cached_path = cache_dir / "prepared" / f"{_cache_key(file, data, shown)}.json" if cache_dir else None
        hit = _read_cached(cached_path, file) if cached_path and cached_path.is_file() else None
        if hit is not None:
            out[i] = hit
        else:
            todo.append((i, (file, data, shown), cached_path))
    workers = workers or os.cpu_count() or 1
    # fork is cheap and re-imports nothing, but is only safe in a single-threaded process (the
    # CLI); elsewhere (the service's ingest threads) files are prepared in this thread.
    if len(todo) >= _POOL_MIN_FILES and workers > 1 and threading.active_count() == 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_prepare_job, [job for _, job, _ in todo], chunksize=32))
    else:
        results = [_prepare_job(job) for _, job, _ in todo]
    for (i, _job, cached_path), prepared in zip(todo, results, strict=True):
        out[i] = prepared
        if cached_path is not None:
            _write_cached(cached_path, prepared)
    return [p for p in out if p is not None]
