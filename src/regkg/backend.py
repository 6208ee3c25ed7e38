"""Store backends behind one small interface: the embedded pyoxigraph store (default) and a
remote SPARQL 1.1 endpoint (:mod:`regkg.remote_store`), chosen by one setting::

    REGKG_STORE=oxigraph:var/store                  # or a plain path: the embedded store
    REGKG_STORE=sparql:http://127.0.0.1:18890/sparql # a SPARQL 1.1 endpoint (e.g. Virtuoso)

Consumers (saved queries, applicability, facts, search, describe, the service, the CLI and the
MCP server) only use what :class:`StoreBackend` describes, and get pyoxigraph result objects
from both backends. This module imports nothing heavy: settings and query workers import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .settings import Settings
    from .store import Derived

Kind = Literal["oxigraph", "sparql"]
REMOTE_WORKER_PREFIX = "sparql:"  # worker targets of the remote backend start with it (then JSON)


@runtime_checkable
class StoreBackend(Protocol):
    """What consumers use of a store. Results are pyoxigraph objects (QuerySolutions with
    ``row["x"]`` terms, QueryBoolean, QueryTriples) whatever the backend; the usual prefixes
    (:data:`regkg.namespaces.PREFIXES`) are predeclared; the default graph is the union of the
    named graphs."""

    path: Path | str  # the build directory (embedded) or the endpoint URL (remote)
    derived: Derived  # what is computed from this handle's data once (indexes, name tables)

    @property
    def info(self) -> dict[str, Any]:
        """What the build recorded: digest, quads, graphs and their sizes, inputs."""
        ...

    def query(self, sparql: str, *, union_default_graph: bool = True, substitutions: dict | None = None) -> Any:
        """Run a query; ``substitutions`` (pyoxigraph Variable -> term) bind values as RDF terms."""
        ...

    def serialize(self, results: Any, fmt: str) -> bytes: ...

    def export(self, fmt: str) -> bytes: ...

    def canonical_nquads(self) -> bytes: ...

    def dump_path(self, name: str) -> Path | None: ...

    def graphs(self) -> list[str]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class StoreSpec:
    """Where the store is: an embedded pyoxigraph store at a path, or a SPARQL endpoint URL."""

    kind: Kind
    path: Path | None = None
    url: str = ""

    @property
    def remote(self) -> bool:
        return self.kind == "sparql"

    @property
    def location(self) -> str:
        return self.url if self.remote else str(self.path)

    def __str__(self) -> str:
        return f"{self.kind}:{self.location}"


def parse_store_spec(raw: str) -> StoreSpec:
    """``oxigraph:PATH``, ``sparql:URL``, a plain ``http(s)://`` URL (a SPARQL endpoint) or a
    plain path (the embedded store, as before backends existed). Relative paths are taken from
    the working directory."""
    raw = raw.strip()
    if not raw:
        raise ValueError("REGKG_STORE is empty; give a path, oxigraph:PATH or sparql:URL")
    if raw.startswith("sparql:") or raw.startswith(("http://", "https://")):
        url = raw.removeprefix("sparql:").strip()
        if not url.startswith(("http://", "https://")) or len(url.split("//", 1)[1]) == 0:
            raise ValueError(f"sparql: needs an http(s) URL, e.g. sparql:http://127.0.0.1:18890/sparql, not {raw!r}")
        return StoreSpec("sparql", url=url)
    path = raw.removeprefix("oxigraph:")
    if not path:
        raise ValueError("oxigraph: needs a path, e.g. oxigraph:var/store")
    return StoreSpec("oxigraph", path=Path(path).expanduser().absolute())


# ---------------------------------------------------------------------------- opening


def store_exists(settings: Settings) -> bool:
    """Whether a built dataset is there to serve (a store directory, or build info on the endpoint)."""
    spec = settings.store
    if not spec.remote:
        assert spec.path is not None
        return (spec.path / "oxigraph").is_dir()
    from .remote_store import RemoteStore

    return RemoteStore.dataset_present(settings)


def store_version(settings: Settings) -> str:
    """What identifies the dataset served now, to notice a rebuild: the build directory the store
    link points to (embedded), or the build digest recorded on the endpoint (remote; one small
    query). Raises StoreMissing when there is none."""
    spec = settings.store
    if not spec.remote:
        assert spec.path is not None
        return str(spec.path.resolve())
    from .remote_store import RemoteStore

    return RemoteStore.current_digest(settings)


def open_store(settings: Settings, version: str | None = None) -> StoreBackend:
    """A read-only handle on the configured store. ``version`` (from :func:`store_version`)
    pins the embedded store to one build directory (a snapshot until the link changes)."""
    spec = settings.store
    if not spec.remote:
        from .store import Store

        assert spec.path is not None
        return Store(Path(version) if version else spec.path, in_memory=settings.in_memory)
    from .remote_store import RemoteStore

    return RemoteStore.open(settings)


def worker_target(store: StoreBackend) -> str:
    """What a query worker process opens (see :func:`open_worker_store`): the embedded database
    directory, or the remote endpoint's connection settings (changes with each build)."""
    config = getattr(store, "worker_config", None)
    if callable(config):
        return REMOTE_WORKER_PREFIX + json.dumps(config(), sort_keys=True)
    return str(Path(store.path) / "oxigraph")


def open_worker_store(target: str) -> Any:
    """The object a query worker evaluates on, with pyoxigraph's ``Store.query`` signature
    (prefixes, base_iri, default_graph, named_graphs, use_default_graph_as_union)."""
    if target.startswith(REMOTE_WORKER_PREFIX):
        from .remote_store import WorkerEndpoint

        return WorkerEndpoint(json.loads(target[len(REMOTE_WORKER_PREFIX) :]))
    import pyoxigraph as ox

    return ox.Store.read_only(target)


# ---------------------------------------------------------------------------- writing


def publish(
    settings: Settings,
    nquads: bytes | Iterable[str] | dict[str, list[str]],
    info: dict[str, Any],
    *,
    keep_previous: bool = False,
) -> Path | None:
    """Write a built dataset (canonical N-Quads, possibly grouped by graph; one named graph per
    data file) and its build info to the configured backend. Embedded: a new store directory
    swapped in atomically (:func:`regkg.store.write_store`); returns it. Remote: graph by graph
    through the Graph Store Protocol or SPARQL Update, only the graphs that changed, graphs no
    longer in the dataset dropped, the build info last; returns None. The caller holds
    :func:`regkg.store.store_lock`. ``keep_previous``: see :func:`regkg.store.commit`."""
    spec = settings.store
    if not spec.remote:
        from .store import write_store
        from .validation import cache_dir

        assert spec.path is not None
        cache = cache_dir(settings) / "dumps"
        return write_store(spec.path, nquads, info, keep_previous=keep_previous, dump_cache=cache)
    from .remote_store import publish_remote

    if isinstance(nquads, dict):  # lines grouped by graph
        nquads = [line for group in nquads.values() for line in group]
    publish_remote(settings, nquads, info)
    return None


def restore(settings: Settings, data: bytes, origin: str = "") -> dict[str, Any]:
    """Replace the dataset by an N-Quads dump (plain or gzipped) on the configured backend, as
    ``regkg restore`` does; returns the build info."""
    from .store import restore_store, store_lock

    spec = settings.store
    if not spec.remote:
        assert spec.path is not None
        return restore_store(spec.path, data, origin)[1]
    from .store import restored_dataset

    groups, info = restored_dataset(data, origin)
    with store_lock(settings.store_path):
        publish(settings, groups, info)
    return info
