"""Shared fixtures: the project paths and one store built from the shipped data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from regkg import Settings, Store, build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The real build (SHACL, quotes, privacy, HermiT) of the shipped data, on disk."""
    store_path = tmp_path_factory.mktemp("store") / "store"
    build(Settings(root=ROOT, store_path=store_path))
    return Store(store_path)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's ontology and data, to break on purpose."""
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


# -- store backends (tests/test_backends.py) ---------------------------------------------------
#
# The backend-parametrised tests run on the embedded store and on a Virtuoso server given by
# REGKG_TEST_VIRTUOSO (its SPARQL endpoint, e.g. http://127.0.0.1:18890/sparql, as started by
# `scripts/virtuoso.sh start DIR`), loading it as user dba with REGKG_TEST_VIRTUOSO_PASSWORD or
# the password in REGKG_TEST_VIRTUOSO_DIR/dba.password. Without it they are skipped, unless
# REGKG_TEST_REQUIRE_VIRTUOSO=1 (.ci/run sets it): then they fail.

VIRTUOSO_HOWTO = (
    "scripts/virtuoso.sh start var/virtuoso, then REGKG_TEST_VIRTUOSO=http://127.0.0.1:18890/sparql "
    "REGKG_TEST_VIRTUOSO_DIR=var/virtuoso make test (Debian: apt-get install virtuoso-opensource)"
)


def _virtuoso_unavailable(reason: str) -> None:
    if os.environ.get("REGKG_TEST_REQUIRE_VIRTUOSO", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"Virtuoso is required (REGKG_TEST_REQUIRE_VIRTUOSO) but {reason}", pytrace=False)
    pytest.skip(f"Virtuoso backend not tested: {reason}; to run these tests: {VIRTUOSO_HOWTO}")


@pytest.fixture(scope="session")
def virtuoso_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a remote store on the test Virtuoso (skips or fails when there is none)."""
    from regkg.backend import StoreSpec
    from regkg.remote_store import RemoteStoreError, detect_dialect

    url = os.environ.get("REGKG_TEST_VIRTUOSO", "").strip()
    if not url:
        _virtuoso_unavailable("REGKG_TEST_VIRTUOSO is not set")
    password = os.environ.get("REGKG_TEST_VIRTUOSO_PASSWORD", "")
    directory = os.environ.get("REGKG_TEST_VIRTUOSO_DIR", "").strip()
    if not password and directory and (Path(directory) / "dba.password").is_file():
        password = (Path(directory) / "dba.password").read_text(encoding="utf-8").strip()
    if not password:
        _virtuoso_unavailable("no dba password (REGKG_TEST_VIRTUOSO_PASSWORD or REGKG_TEST_VIRTUOSO_DIR)")
    try:
        dialect = detect_dialect(url, timeout=10)
    except RemoteStoreError as exc:
        _virtuoso_unavailable(f"{url} does not answer ({exc})")
    if dialect != "virtuoso":
        _virtuoso_unavailable(f"{url} is not a Virtuoso endpoint")
    lock_dir = tmp_path_factory.mktemp("remote")  # the local write lock of the remote store
    return Settings(
        root=ROOT, store_path=lock_dir / "store", store_spec=StoreSpec("sparql", url=url), sparql_user="dba",
        sparql_password=password, workers=2,
    )  # fmt: skip


@pytest.fixture(scope="session")
def virtuoso_store(built_store: Store, virtuoso_settings: Settings):  # type: ignore[no-untyped-def]
    """The real build of the shipped data, published to Virtuoso (graph by graph, through the
    Graph Store Protocol) and opened as a remote store."""
    from regkg.backend import open_store, publish

    publish(virtuoso_settings, built_store.canonical_nquads(), built_store.info)
    return open_store(virtuoso_settings)


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def backend_store(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The same dataset on each store backend: the embedded store, then Virtuoso."""
    return request.getfixturevalue("built_store" if request.param == "oxigraph" else "virtuoso_store")
