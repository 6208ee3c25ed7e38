"""Serving large stores: the in-memory copy of the embedded store (REGKG_IN_MEMORY, `regkg serve
--in-memory`) gives the same answers as the on-disk store and the service serves from it; above
REGKG_FACTS_MAX_TRIPLES the facts route says why it is not served, and the rest is served."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from regkg.answers.applicability import applicability
from regkg.answers.saved_queries import load_saved_queries, run_saved_query
from regkg.backend import open_store
from regkg.settings import Settings
from regkg.store import Store

from .competency.test_competency import QUESTIONS
from .competency.test_competency import test_competency_question as check_competency_question
from .server import running_server
from .test_backends import comparable

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def memory_store(built_store: Store) -> Store:
    return Store(built_store.path, in_memory=True)


def test_in_memory_copy_holds_the_same_dataset(built_store: Store, memory_store: Store) -> None:
    memory = memory_store
    assert memory.in_memory and not built_store.in_memory
    assert len(memory) == len(built_store)
    assert memory.graphs() == built_store.graphs()
    assert memory.canonical_nquads() == built_store.canonical_nquads(), "the copy differs from the database"


def test_in_memory_copy_answers_every_saved_query_alike(built_store: Store, memory_store: Store) -> None:
    """The same rows (as multisets: the order of rows that tie, and of GROUP_CONCAT parts, is the
    engine's and differs between its storages)."""
    for name, query in sorted(load_saved_queries(ROOT / "queries").items()):
        for values in ({p.name: p.example for p in query.parameters if not p.optional},
                       {p.name: p.example for p in query.parameters}):  # fmt: skip
            _, on_disk, _ = comparable(run_saved_query(built_store, query, values), query.text)
            _, in_memory, _ = comparable(run_saved_query(memory_store, query, values), query.text)
            counts = f"{in_memory.total()} rows in memory, {on_disk.total()} on disk"
            assert in_memory == on_disk, f"{name} {values}: {counts}"
    for medicine, on in (("Lumykras", "2024-10-24"), ("Lutathera", "2024-01-01")):
        assert applicability(memory_store, medicine, on) == applicability(built_store, medicine, on), medicine


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_competency_question_in_memory(memory_store: Store, q: dict) -> None:
    check_competency_question(memory_store, q)


def test_settings_select_the_in_memory_copy(built_store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REGKG_IN_MEMORY", "1")
    store = open_store(Settings.from_env(str(built_store.path)))
    assert isinstance(store, Store) and store.in_memory


def test_service_serves_from_the_in_memory_copy(built_store: Store) -> None:
    with running_server(built_store.path, args=("--in-memory",)) as url, httpx.Client(base_url=str(url)) as client:
        response = client.get("/api/queries/boards", params={"board": "RCP nationale Renaten"})
        assert response.status_code == 200, response.text
        rows = response.json()["rows"]
        assert rows and {r["boardLabel"] for r in rows} == {"RCP nationale Renaten"}
        sparql = client.get("/sparql", params={"query": "ASK { ?s a rk:MedicinalProduct }"},
                            headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert sparql.status_code == 200 and sparql.json()["boolean"] is True


@pytest.mark.parametrize(
    ("env", "in_memory"),
    [({}, True), ({"REGKG_IN_MEMORY_MAX_QUADS": "100"}, False), ({"REGKG_IN_MEMORY_MAX_QUADS": "0"}, False),
     ({"REGKG_IN_MEMORY_MAX_QUADS": "0", "REGKG_IN_MEMORY": "true"}, True)],
)  # fmt: skip
def test_small_stores_are_served_from_memory_by_default(built_store: Store, env: dict, in_memory: bool) -> None:
    with running_server(built_store.path, env) as url, httpx.Client(base_url=str(url)) as client:
        health = client.get("/health").json()
        assert health["in_memory"] is in_memory, f"{env}: {health['quads']} quads, in memory {health['in_memory']}"
        assert client.get("/api/queries/boards").json()["rows"]


def test_facts_are_refused_clearly_above_the_size_limit(built_store: Store) -> None:
    with (
        running_server(built_store.path, {"REGKG_FACTS_MAX_TRIPLES": "100"}) as url,
        httpx.Client(base_url=str(url)) as client,
    ):
        response = client.get("/api/facts", params={"medicine": "Lutathera"})
        assert response.status_code == 503, response.text
        assert "REGKG_FACTS_MAX_TRIPLES" in response.json()["detail"]
        assert client.get("/api/queries/boards").status_code == 200, "the rest is served"
