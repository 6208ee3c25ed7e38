"""The embedded on-disk store (pyoxigraph): open, query, export, and atomic replacement.

On disk, a store path is a symbolic link to one build directory holding ``oxigraph/`` (the
database) and ``build.json`` (digest and counts). A build writes a new directory beside it and
swaps the link in one rename, so readers see the old store or the new one, never a mix.
Writers serialise on :func:`store_lock`.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from .canonical import canonical_order, dataset_info, graph_digest, lines_by_graph
from .namespaces import OUTPUT_PREFIXES, PREFIXES

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


@contextmanager
def _gzip_writer(path: Path) -> Iterator[gzip.GzipFile]:
    """A deterministic gzip stream (no timestamp, no file name), so equal inputs give equal dumps."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out:
        yield out


def _write_gzip(path: Path, data: bytes) -> None:
    with _gzip_writer(path) as out:
        out.write(data)


def _members(lines: list[str], digest: str, cache: Path | None) -> tuple[bytes, bytes]:
    """One graph's gzip members of the N-Quads and TriG dumps, from the cache when there."""
    paths = [cache / f"{digest}.{kind}.gz" for kind in ("nq", "trig")] if cache else []
    if paths and all(p.is_file() for p in paths):
        return paths[0].read_bytes(), paths[1].read_bytes()
    data = "".join(lines).encode("utf-8")
    trig = ox.serialize(ox.parse(data, ox.RdfFormat.N_QUADS), format=ox.RdfFormat.TRIG, prefixes=OUTPUT_PREFIXES)
    members = gzip.compress(data, compresslevel=6, mtime=0), gzip.compress(trig or b"", compresslevel=6, mtime=0)
    for path, member in zip(paths, members, strict=False):
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(member)
        os.replace(tmp, path)
    return members


def write_dumps(groups: dict[str, list[str]], dumps: Path, cache: Path | None = None) -> None:
    """The gzipped N-Quads and TriG dumps, graph by graph: one gzip member per graph (sorted
    lines; a TriG document with its prefixes), kept in ``cache`` by the graph's digest, so a
    rebuild compresses only the graphs that changed. Any gzip reader reads the members as one
    stream; equal datasets give equal bytes."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    with open(dumps / "regkg.nq.gz", "wb") as nq, open(dumps / "regkg.trig.gz", "wb") as trig:
        for lines in groups.values():
            digest = graph_digest(lines)
            used.add(digest)
            nq_member, trig_member = _members(lines, digest, cache)
            nq.write(nq_member)
            trig.write(trig_member)
    if cache is not None:  # keep only the members of this dataset
        for member in cache.glob("*.gz"):
            if member.name.split(".", 1)[0] not in used:
                member.unlink(missing_ok=True)


def _write_dumps(groups: dict[str, list[str]], dumps: Path, cache: Path | None, failed: list[BaseException]) -> None:
    try:
        write_dumps(groups, dumps, cache)
    except BaseException as exc:  # re-raised by the writer
        failed.append(exc)


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in a directory durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def store_lock(path: Path, *, blocking: bool = True) -> Iterator[None]:
    """Hold the exclusive write lock of a store path (a ``flock`` on ``.<name>.lock`` beside it).

    Builds, ingests and restores take it around reading their inputs through swapping the link,
    so that two writers never interleave; the kernel drops it when its holder dies (kill -9
    included). Not re-entrant: a holder must not take it again. With ``blocking=False``, raises
    BlockingIOError when another writer holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_build_info(path: Path) -> dict[str, Any] | None:
    """The build.json of the store a path (link) points to now, or None when there is none."""
    try:
        return json.loads((path / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def staging(path: Path, digest: str) -> Iterator[Path]:
    """A new build directory for the store at ``path``, which nobody reads until
    :func:`commit` swaps it in; removed if the block raises."""
    builds = _builds_dir(path)
    builds.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_symlink():
        raise FileExistsError(f"{path} exists and is not a regkg store link; move it away or choose another --store")
    tmp_dir = builds / f".tmp-{digest[:16]}-{time.time_ns()}"
    tmp_dir.mkdir()
    (tmp_dir / "dumps").mkdir()
    try:
        yield tmp_dir
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise


def commit(path: Path, tmp_dir: Path, info: dict[str, Any], *, keep_previous: bool = False) -> Path:
    """Write build.json into a staged build directory and swap the store link to it (the commit
    point: one rename); returns the build directory.

    Every step before the rename works on a directory nobody reads yet, so a crash at any point
    (kill -9 included) leaves the link on the old build or on the new one; leftovers of an
    interrupted write are removed by the next one. Older builds are removed after the swap,
    except, with ``keep_previous``, the one the link pointed to (a running service finishes the
    requests under way on it; the next write removes it)."""
    builds = tmp_dir.parent
    previous = (path.parent / os.readlink(path)).resolve() if path.is_symlink() else None
    build_dir = builds / tmp_dir.name.removeprefix(".tmp-")
    try:
        with open(tmp_dir / "build.json", "w", encoding="utf-8") as out:
            out.write(json.dumps(info, indent=2, sort_keys=True) + "\n")
            out.flush()
            os.fsync(out.fileno())
        _fsync_dir(tmp_dir)
        tmp_dir.rename(build_dir)
        _fsync_dir(builds)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    link_tmp = path.parent / f".{path.name}.link-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(build_dir.relative_to(path.parent))
    os.replace(link_tmp, path)  # the commit point
    _fsync_dir(path.parent)
    keep = {build_dir.resolve(), previous if keep_previous else None}
    for old in builds.iterdir():
        if old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in path.parent.glob(f".{path.name}.link-*"):  # left by writers killed before their swap
        stale.unlink(missing_ok=True)
    return build_dir


def write_store(
    path: Path,
    nquads: bytes | Iterable[str] | dict[str, list[str]],
    info: dict[str, Any],
    *,
    keep_previous: bool = False,
    dump_cache: Path | None = None,
) -> Path:
    """Write a new store from canonical N-Quads (bytes, lines, or lines grouped by graph) and
    swap it in atomically (:func:`staging`, then :func:`commit`); returns the build directory.
    The dumps are written graph by graph (:func:`write_dumps`, members reused from
    ``dump_cache``) while the database bulk-loads (2 cores)."""
    if isinstance(nquads, dict):
        groups = nquads
    else:
        lines = nquads.decode("utf-8").splitlines(keepends=True) if isinstance(nquads, bytes) else nquads
        groups = lines_by_graph(lines)
    with staging(path, info["digest"]) as tmp_dir:
        plain = tmp_dir / "load.nq"  # the bulk-load input
        with open(plain, "wb") as out:
            for group in groups.values():
                out.write("".join(group).encode("utf-8"))
        failed: list[BaseException] = []
        dumping = threading.Thread(
            target=_write_dumps, args=(groups, tmp_dir / "dumps", dump_cache, failed), name="regkg-dumps"
        )
        dumping.start()
        try:
            store = ox.Store(str(tmp_dir / "oxigraph"))
            store.bulk_load(path=str(plain), format=ox.RdfFormat.N_QUADS)
            store.flush()
            del store
        finally:
            dumping.join()
        if failed:
            raise failed[0]
        plain.unlink()
    return commit(path, tmp_dir, info, keep_previous=keep_previous)


def _canonical_groups(data: bytes) -> dict[str, list[str]]:
    """N-Quads (plain or gzipped) in pyoxigraph's canonical form, grouped by graph in canonical
    order; raises ValueError when the data is not valid N-Quads."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        quads = list(ox.parse(data, ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise ValueError(f"not valid N-Quads: {exc}") from exc
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    return lines_by_graph(text.decode("utf-8").splitlines(keepends=True))


def canonical_nquads(data: bytes) -> list[str]:
    """N-Quads (plain or gzipped) as de-duplicated lines in pyoxigraph's canonical form and in
    canonical order (:mod:`regkg.canonical`); raises ValueError when the data is not valid N-Quads."""
    return [line for group in _canonical_groups(data).values() for line in group]


def restored_dataset(data: bytes, origin: str = "") -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The dataset of an N-Quads dump (plain or gzipped), grouped by graph in canonical order,
    and its build info, as ``regkg restore`` writes them on either backend."""
    groups = _canonical_groups(data)
    return groups, {**dataset_info(groups), "restored_from": origin}


def restore_store(path: Path, data: bytes, origin: str = "") -> tuple[Path, dict[str, Any]]:
    """Replace the store at ``path`` by the dataset of an N-Quads dump (plain or gzipped), with
    its named graphs, atomically (same swap as a build). The data is parsed, not validated: it is
    meant to be a dump of a built store. Returns the build directory and its build.json."""
    groups, info = restored_dataset(data, origin)
    with store_lock(path):
        build_dir = write_store(path, groups, info)
    return build_dir, info


def write_dump(data: bytes, out: Path) -> None:
    """Write a dump atomically (a temporary file renamed over ``out``); gzipped when ``out``
    ends in .gz (deterministic: no timestamp)."""
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        if out.name.endswith(".gz"):
            _write_gzip(tmp, data)
        else:
            tmp.write_bytes(data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


T = TypeVar("T")


def _memory_copy(path: Path, db: Path) -> ox.Store:
    """The build's dataset in an in-memory store: from its N-Quads dump, else from its database."""
    memory = ox.Store()
    dump = path / "dumps" / "regkg.nq.gz"
    if dump.is_file():
        with gzip.open(dump, "rb") as data:
            memory.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    else:
        memory.bulk_extend(ox.Store.read_only(str(db)))
    return memory


class Derived:
    """What is computed from a store handle's data once and kept with the handle (name tables,
    text indexes, the facts base): one handle stands for one build, which never changes."""

    def __init__(self) -> None:
        self._items: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], T]) -> T:
        """The item of that key, built by ``build()`` on first use: once, whatever the threads;
        a long build of one key does not hold up the others."""
        if key in self._items:
            return self._items[key]
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._items:
                self._items[key] = build()
            return self._items[key]


class Store:
    """A read-only handle on a built store: its on-disk database, or with ``in_memory`` a copy of
    it in memory (pyoxigraph's in-memory store: the same engine without the disk reads, several
    times faster; about 1 GB of RAM per million triples)."""

    def __init__(self, path: Path, *, in_memory: bool = False) -> None:
        db = path / "oxigraph"
        if not db.is_dir():
            raise StoreMissing(f"no regkg store at {path}; run `regkg build` first")
        self.path = path
        self.in_memory = in_memory
        self._store = _memory_copy(path, db) if in_memory else ox.Store.read_only(str(db))
        self._info = read_build_info(path)  # a build never changes: read once, still known if it is removed
        self.derived = Derived()

    @property
    def engine(self) -> ox.Store:
        """The pyoxigraph store this handle reads (on disk, read-only, or the in-memory copy)."""
        return self._store

    @property
    def info(self) -> dict[str, Any]:
        """What the build recorded: digest, graphs and their sizes, inputs."""
        if self._info is None:
            self._info = json.loads((self.path / "build.json").read_text(encoding="utf-8"))
        return self._info

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
            return self._store.dump(format=rdf_format, prefixes=OUTPUT_PREFIXES if fmt == "trig" else None)
        if fmt == "jsonld":
            return self._store.dump(format=rdf_format)
        union = ox.Store()
        union.extend(ox.Quad(q.subject, q.predicate, q.object) for q in self._store)
        prefixes = OUTPUT_PREFIXES if fmt == "turtle" else None
        return union.dump(format=rdf_format, from_graph=ox.DefaultGraph(), prefixes=prefixes)

    def canonical_nquads(self) -> bytes:
        """The whole dataset as N-Quads in canonical order (:mod:`regkg.canonical`): the form
        ``regkg dump`` writes and ``regkg restore`` reads back to an identical store (same quads,
        same graphs, same digest)."""
        lines = (self._store.dump(format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8").splitlines(keepends=True)
        return "".join(canonical_order(lines)).encode("utf-8")

    def dump_path(self, name: str) -> Path | None:
        """A gzipped dump written by the build (regkg.nq.gz, regkg.trig.gz), if present."""
        path = self.path / "dumps" / name
        return path if name in DUMPS and path.is_file() else None

    def graphs(self) -> list[str]:
        """Named graphs in the store."""
        return sorted(g.value for g in self._store.named_graphs())

    def __len__(self) -> int:
        return len(self._store)
