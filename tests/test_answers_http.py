"""The answer routes over a real server, and their CLI twins: applicability, facts, search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from regkg import Store

from .server import running_server


@pytest.fixture(scope="module")
def client(built_store: Store) -> Iterator[httpx.Client]:
    with running_server(built_store.path) as url, httpx.Client(base_url=str(url), timeout=30) as c:
        yield c


def test_applicability_route(client: httpx.Client) -> None:
    body = {"medicine": "Lumykras", "date": "2024-10-24", "treatment_start": "2023-10-24"}
    result = client.post("/api/applicability", json=body).json()
    by_label = {f["label"]: f for f in result["frameworks"]}
    assert by_label["Post-marketing-authorisation early access"]["status"] == "not_applicable"
    continuity = by_label["Continuity of treatment"]
    start = next(c for c in continuity["conditions"] if "2023" in c["citation"]["quote"])
    assert start["status"] == "met", "a treatment started on 24 October 2023 is 'before 25 October 2023'"
    assert result["citations"] and all(c["quote"] for c in result["citations"])


def test_applicability_route_is_honest_about_unknown_dates(client: httpx.Client) -> None:
    result = client.post("/api/applicability", json={"medicine": "Lutathera", "date": "2024-01-01"}).json()
    assert result["status"] == "indeterminate"
    assert any("publication" in m.lower() for m in result["missing_facts"])


@pytest.mark.parametrize(
    "body,status",
    [
        ({"medicine": "Doliprane", "date": "2024-01-01"}, 404),
        ({"medicine": "Lumykras", "date": "2024-02-30"}, 400),
        ({"medicine": "Lumykras", "date": "01/02/2024"}, 400),
        ({"medicine": "Lumykras"}, 400),
        ({"medicine": "Lutathera", "date": "2024-01-01", "indication": "grippe"}, 404),
        ({"medicine": "Lumykras", "date": "2024-01-01", "colour": "blue"}, 400),
    ],
)
def test_applicability_route_errors(client: httpx.Client, body: dict, status: int) -> None:
    response = client.post("/api/applicability", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_oversized_applicability_payload_is_refused(client: httpx.Client) -> None:
    huge = {"medicine": "Lumykras", "date": "2024-01-01", "other": {f"k{i}": True for i in range(80_000)}}
    assert client.post("/api/applicability", json=huge).status_code == 413


def test_facts_and_search_routes(client: httpx.Client) -> None:
    facts = client.get("/api/facts", params={"medicine": "Lutathera", "q": "Poitiers"}).json()["facts"]
    assert facts and all(f["citation"]["quote"] and f["text_fr"] and f["text_en"] for f in facts)
    jsonld = client.get("/api/facts", params={"medicine": "Lutathera", "format": "jsonld"})
    assert jsonld.headers["content-type"].startswith("application/ld+json") and "@context" in jsonld.json()
    hits = client.get("/api/search", params={"q": "NSCLC"}).json()["hits"]
    assert hits[0]["iri"].endswith("/indication/nsclc-kras-g12c")
    assert client.get("/api/facts", params={"medicine": "Aspirine"}).status_code == 404
    assert client.get("/api/search", params={"q": "   "}).status_code == 400


def regkg(*args: str, store: Store) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGKG_STORE": str(store.path)}
    return subprocess.run([sys.executable, "-m", "regkg.cli", *args], capture_output=True, text=True, env=env)


def test_cli_applicability(built_store: Store) -> None:
    out = regkg("applicability", "--medicine", "lumykras", "--date", "2025-10-24", "--treatment-start", "2023-01-15",
                store=built_store)  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    free = next(f for f in result["frameworks"] if f["label"] == "Free-of-charge supply")
    assert free["period"]["end"] == "2025-10-24" and free["status"] != "not_applicable"
    bad = regkg("applicability", "--medicine", "Lumykras", "--date", "tomorrow", store=built_store)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    unknown = regkg("applicability", "--medicine", "Aspirin", "--date", "2024-01-01", store=built_store)
    assert unknown.returncode == 2 and "unknown medicine" in unknown.stderr


def test_cli_facts_and_search(built_store: Store) -> None:
    facts = regkg("facts", "--medicine", "Lumykras", "--q", "Amgen", "--format", "text", store=built_store)
    assert facts.returncode == 0 and "Amgen" in facts.stdout and "«" in facts.stdout
    search = regkg("search", "comète", store=built_store)
    assert search.returncode == 0 and json.loads(search.stdout)["hits"][0]["iri"].endswith("/board/comete")
