"""Settings: the only global configuration, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .backend import StoreSpec, parse_store_spec

_MARKER = Path("ontology") / "regkg.ttl"


def find_project_root(start: Path | None = None) -> Path:
    """The directory holding ontology/ and data/: $REGKG_HOME, else the nearest parent of the
    working directory that has ontology/regkg.ttl, else the checkout this package lives in."""
    env = os.environ.get("REGKG_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / _MARKER).is_file():
            return candidate
    package_checkout = Path(__file__).resolve().parents[2]
    if (package_checkout / _MARKER).is_file():
        return package_checkout
    raise FileNotFoundError(
        "cannot find the regkg project (ontology/regkg.ttl); run from the checkout or set REGKG_HOME"
    )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Where the project's files and the store are, and how the service runs."""

    root: Path
    store_path: Path = field(default=Path())
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = ""  # public base URL of the service; default http://host:port
    query_timeout: float = 10.0  # seconds, per SPARQL query
    max_rows: int = 10_000  # rows (or triples) per result before truncation
    workers: int = 2  # query worker processes
    in_memory: bool = False  # the service's own answers read an in-memory copy of the embedded store
    in_memory_max_quads: int = 2_000_000  # ... also by default when the store holds at most this many; 0: never
    facts_max_triples: int = 5_000_000  # above this, no facts base (about 3 GB per million triples); 0: no limit
    queue_timeout: float = 30.0  # seconds a query may wait for a free worker before a 503
    in_process_ms: float = 5.0  # a query a worker answered this fast is then answered in process; 0: never
    service_allowlist: tuple[str, ...] = ()  # hosts SERVICE may call; empty: none
    max_request_bytes: int = 1_000_000  # largest accepted request body or query string
    ingest_token: str = field(default="", repr=False)  # bearer token for document writes; empty: writes disabled
    ingest_path: Path | None = None  # ingested documents, history, audit log; default: "ingested" beside the store
    ingest_reasoner: bool = True  # run the OWL consistency check (HermiT) on every ingest
    sources_path: Path | None = None  # where source texts are read; default data/sources
    # The store backend (REGKG_STORE): None is the embedded store at store_path. With a remote
    # SPARQL endpoint, store_path only locates the write lock and the default ingest directory.
    store_spec: StoreSpec | None = None
    sparql_update_url: str = ""  # SPARQL 1.1 Update endpoint used to load the remote store
    gsp_url: str = ""  # SPARQL 1.1 Graph Store Protocol endpoint used to load it (preferred)
    sparql_user: str = ""  # credentials for loading (HTTP digest or basic authentication)
    sparql_password: str = field(default="", repr=False)
    sparql_auth: str = "digest"  # digest | basic
    sparql_dialect: str = "auto"  # auto | virtuoso | generic

    @property
    def store(self) -> StoreSpec:
        """Which backend holds the store, and where."""
        return self.store_spec or StoreSpec("oxigraph", path=self.store_path)

    @property
    def public_base(self) -> str:
        """The base URL under which this service serves (no trailing slash)."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def ontology_file(self) -> Path:
        return self.root / "ontology" / "regkg.ttl"

    @property
    def shapes_file(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def sources_dir(self) -> Path:
        return self.sources_path or self.data_dir / "sources"

    @property
    def ingest_dir(self) -> Path:
        """Documents ingested over HTTP (documents/, sources/), their history and the audit log."""
        return self.ingest_path or self.store_path.parent / "ingested"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @classmethod
    def from_env(cls, store: str | None = None, **overrides: object) -> Settings:
        """Settings from the REGKG_* environment variables (see README), then overrides."""
        root = find_project_root()
        spec = parse_store_spec(store or os.environ.get("REGKG_STORE") or str(root / "var" / "store"))
        store_path = spec.path if spec.path is not None else root / "var" / "store"
        dialect = os.environ.get("REGKG_SPARQL_DIALECT", "auto").strip().lower() or "auto"
        if dialect not in ("auto", "virtuoso", "generic"):
            raise ValueError(f"REGKG_SPARQL_DIALECT must be auto, virtuoso or generic, got {dialect!r}")
        auth = os.environ.get("REGKG_SPARQL_AUTH", "digest").strip().lower() or "digest"
        if auth not in ("digest", "basic"):
            raise ValueError(f"REGKG_SPARQL_AUTH must be digest or basic, got {auth!r}")
        allow = os.environ.get("REGKG_SERVICE_ALLOWLIST", "")
        ingest_dir = os.environ.get("REGKG_INGEST_DIR", "").strip()
        values: dict[str, object] = {
            "root": root,
            "store_path": store_path,
            "store_spec": spec if spec.remote else None,  # embedded: follows store_path
            "sparql_update_url": os.environ.get("REGKG_SPARQL_UPDATE_URL", "").strip(),
            "gsp_url": os.environ.get("REGKG_GSP_URL", "").strip(),
            "sparql_user": os.environ.get("REGKG_SPARQL_USER", "").strip(),
            "sparql_password": os.environ.get("REGKG_SPARQL_PASSWORD", ""),
            "sparql_auth": auth,
            "sparql_dialect": dialect,
            "host": os.environ.get("REGKG_HOST", "127.0.0.1"),
            "port": _env_int("REGKG_PORT", 8000),
            "base_url": os.environ.get("REGKG_BASE_URL", ""),
            "query_timeout": _env_float("REGKG_QUERY_TIMEOUT", 10.0),
            "max_rows": _env_int("REGKG_MAX_ROWS", 10_000),
            "workers": _env_int("REGKG_WORKERS", 2 * max(1, os.cpu_count() or 1)),
            "queue_timeout": _env_float("REGKG_QUEUE_TIMEOUT", 30.0),
            "in_process_ms": _env_float("REGKG_IN_PROCESS_MS", 5.0),
            "service_allowlist": tuple(h.strip().lower() for h in allow.split(",") if h.strip()),
            "max_request_bytes": _env_int("REGKG_MAX_REQUEST_BYTES", 1_000_000),
            "ingest_token": os.environ.get("REGKG_INGEST_TOKEN", "").strip(),
            "ingest_path": Path(ingest_dir).expanduser().absolute() if ingest_dir else None,
            "ingest_reasoner": _env_bool("REGKG_INGEST_REASONER", True),
            "in_memory": _env_bool("REGKG_IN_MEMORY", False),
            "in_memory_max_quads": _env_int("REGKG_IN_MEMORY_MAX_QUADS", 2_000_000),
            "facts_max_triples": _env_int("REGKG_FACTS_MAX_TRIPLES", 5_000_000),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
