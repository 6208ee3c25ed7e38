"""Shared fixtures: the project paths and one store built from the shipped data."""

from __future__ import annotations

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
