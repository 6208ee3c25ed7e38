"""Ingesting a document over HTTP on a real ``regkg serve``: authentication, validation (422 with
the report, store unchanged), the atomic swap seen by the running service without a restart
(documents API, SPARQL, saved queries, applicability), versions with PROV revision links, the
audit log, a rebuild that keeps ingested documents; and the ``regkg new-document`` scaffold."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from regkg import Settings, Store, build
from regkg.datafiles import with_files
from regkg.ingest import expected_digest, read_audit
from regkg.scaffold import ScaffoldError, new_document, scaffold
from regkg.service.app import create_app
from regkg.validation import validate

from .server import running_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "applicability"
STEM = "ansm-2023-02-14-cpc-fictivumab"
TURTLE = (FIXTURES / f"{STEM}.ttl").read_text(encoding="utf-8")
SOURCE = (FIXTURES / f"{STEM}.txt").read_text(encoding="utf-8")
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = f"https://w3id.org/regkg/id/graph/{STEM}"
MEDICINE = "https://w3id.org/regkg/id/medicine/fictivumab"
PROV = "http://www.w3.org/ns/prov#"


def clone_store(store: Store, parent: Path) -> Path:
    """A private copy of a built store (its build directory and a link to it), to write on."""
    source = store.path.resolve()
    builds = parent / ".store.builds"
    builds.mkdir(parents=True)
    shutil.copytree(source, builds / source.name)
    (parent / "store").symlink_to(Path(".store.builds") / source.name)
    return parent / "store"


@pytest.fixture(scope="module")
def store_path(built_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_store(built_store, tmp_path_factory.mktemp("ingest"))


@pytest.fixture(scope="module")
def settings(store_path: Path) -> Settings:
    return Settings(root=ROOT, store_path=store_path, ingest_token=TOKEN, ingest_reasoner=False)


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[str]:
    env = {"REGKG_INGEST_TOKEN": TOKEN, "REGKG_INGEST_REASONER": "false", "REGKG_WORKERS": "2", "REGKG_INGEST_DIR": ""}
    with running_server(store_path, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=120) as c:
        yield c


def health(client: httpx.Client) -> dict[str, Any]:
    return client.get("/health").json()


def put(client: httpx.Client, stem: str, turtle: str, source: str | None = SOURCE, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"turtle": turtle}
    if source is not None:
        body["source_text"] = source
    return client.put(f"/api/documents/{stem}", json=body, headers={**AUTH, **headers})


def ask(client: httpx.Client, query: str) -> bool:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


# ---------------------------------------------------------------------------- authentication


def test_writes_are_disabled_without_a_configured_token(store_path: Path) -> None:
    app = create_app(Settings(root=ROOT, store_path=store_path, ingest_token=""))
    client = TestClient(app)  # no lifespan: the refusal comes before any store access
    for response in (
        client.put(f"/api/documents/{STEM}", json={"turtle": TURTLE, "source_text": SOURCE}, headers=AUTH),
        client.delete(f"/api/documents/{STEM}", headers=AUTH),
    ):
        assert response.status_code == 403
        assert "writes are disabled" in response.json()["detail"]


def test_a_write_without_a_token_is_401_with_a_bearer_challenge(client: httpx.Client) -> None:
    for headers in ({}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}):
        response = client.put(f"/api/documents/{STEM}", json={"turtle": TURTLE, "source_text": SOURCE}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.delete(f"/api/documents/{STEM}").status_code == 401


def test_a_wrong_token_is_403(client: httpx.Client, settings: Settings) -> None:
    response = put(client, STEM, TURTLE, Authorization=f"Bearer {TOKEN}x")
    assert response.status_code == 403
    assert client.delete(f"/api/documents/{STEM}", headers={"Authorization": "Bearer nope"}).status_code == 403
    denied = [e for e in read_audit(settings) if e["result"] == "forbidden"]
    assert denied and all(e["token"].startswith("sha256:") for e in denied)


# ---------------------------------------------------------------------------- refusals


def test_invalid_turtle_is_422_with_the_parser_message(client: httpx.Client, settings: Settings) -> None:
    before = health(client)["digest"]
    response = put(client, STEM, TURTLE.replace("rk:sourceFile", "rk:sourceFile ;;", 1))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["problems"][0]["kind"] == "parse"
    assert body["problems"][0]["file"] == f"ingested/documents/{STEM}.ttl"
    assert "not valid Turtle" in body["problems"][0]["message"]
    assert health(client)["digest"] == before
    assert not (settings.ingest_dir / "documents" / f"{STEM}.ttl").exists()


def test_a_wrong_quote_and_a_missing_board_are_422_with_the_report_and_change_nothing(
    client: httpx.Client, settings: Settings
) -> None:
    before = health(client)["digest"]
    broken = TURTLE.replace("Le présent CPC est valable du 1er mars 2023", "Le présent CPC est valide du 1er mars 2023")
    broken = broken.replace("rk:board <board/fictineuro> ;", "", 1)
    assert broken.count("est valide du") == 1
    response = put(client, STEM, broken, **{"X-Request-ID": "req-422"})
    assert response.status_code == 422, response.text
    body = response.json()
    kinds = {p["kind"] for p in body["problems"]}
    assert {"quote", "shacl"} <= kinds, body["report"]
    quote = next(p for p in body["problems"] if p["kind"] == "quote")
    assert quote["file"] == f"ingested/documents/{STEM}.ttl" and quote["path"].endswith("oa:exact")
    assert "not an exact span" in quote["message"]
    board = next(p for p in body["problems"] if "board" in p["message"])
    assert board["kind"] == "shacl" and board["focus"] == "id:measure/fictivumab-cpc-2023", board
    assert "store was not changed" in body["detail"]
    assert health(client)["digest"] == before
    assert STEM not in {d["stem"] for d in client.get("/api/documents").json()["documents"]}
    assert not list((settings.ingest_dir / ".pending").glob("*"))
    rejected = [e for e in read_audit(settings) if e.get("request_id") == "req-422"]
    assert rejected and rejected[-1]["result"] == "rejected" and rejected[-1]["status"] == 422


def test_a_new_document_needs_its_source_text(client: httpx.Client) -> None:
    response = put(client, "ansm-2099-01-01-cpc-nothing", TURTLE, source=None)
    assert response.status_code == 422
    assert "source_text is required" in response.json()["detail"]


def test_bad_stems_and_path_traversal_are_refused(client: httpx.Client, settings: Settings) -> None:
    for stem in ("..", "%2E%2E", "..%2F..%2Fetc%2Fpasswd", "UPPER", "a.b", "a--b", "-a", "x" * 200):
        response = client.put(f"/api/documents/{stem}", json={"turtle": TURTLE, "source_text": SOURCE}, headers=AUTH)
        assert response.status_code in (400, 404, 405), (stem, response.status_code)
        assert client.get(f"/api/documents/{stem}").status_code in (400, 404), stem
    assert not (settings.ingest_dir.parent / "etc").exists()
    assert not any(settings.ingest_dir.glob("documents/*"))


def test_a_project_document_cannot_be_overwritten(client: httpx.Client) -> None:
    response = put(client, "ansm-2022-04-05-cpc-lutathera", TURTLE)
    assert response.status_code == 409
    assert "regkg build" in response.json()["detail"]


def test_a_body_that_is_not_json_is_refused(client: httpx.Client) -> None:
    response = client.put(
        f"/api/documents/{STEM}", content=TURTLE.encode(), headers={**AUTH, "Content-Type": "text/turtle"}
    )
    assert response.status_code == 415
    response = client.put(f"/api/documents/{STEM}", json={"source_text": SOURCE}, headers=AUTH)
    assert response.status_code == 400 and "turtle" in response.json()["detail"]


# ---------------------------------------------------------------------------- ingest, then use it at once


def test_ingest_is_served_at_once_without_a_restart(client: httpx.Client, server: Any, settings: Settings) -> None:
    pid, before = server.pid, health(client)
    assert not ask(client, f"ASK {{ <{MEDICINE}> ?p ?o }}")
    started = time.monotonic()
    response = put(client, STEM, TURTLE, **{"X-Request-ID": "req-create"})
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.text
    result = response.json()
    assert response.headers["location"].endswith(f"/api/documents/{STEM}")
    assert result["action"] == "created" and result["version"] == 1 and result["revision_of"] is None
    assert result["store_digest_before"] == before["digest"]
    now = health(client)
    assert now["digest"] == result["store_digest_after"] != before["digest"], "served before the answer"
    assert GRAPH in now["graphs"] and server.pid == pid
    print(f"ingest answered in {elapsed:.1f} s")

    listed = {d["stem"]: d for d in client.get("/api/documents").json()["documents"]}
    assert listed[STEM]["origin"] == "ingested" and listed[STEM]["version"] == 1
    assert listed["ansm-2022-04-05-cpc-lutathera"]["origin"] == "project"
    detail = client.get(f"/api/documents/{STEM}").json()
    assert [p["number"] for p in detail["provisions"]][:2] == ["Vu", "1"]
    assert any("Fictineuro" in q for p in detail["provisions"] for s in p["says"] for q in s["quotes"])
    assert detail["versions"][0]["current"] is True

    assert ask(client, f"ASK {{ GRAPH <{GRAPH}> {{ <{MEDICINE}> a rk:MedicinalProduct }} }}")
    rows = client.get("/api/queries/indications", params={"medicine": "Fictivumab"}).json()["rows"]
    assert rows and all("Fictineuro" in r["boardLabel"] for r in rows), rows
    answer = client.post(
        "/api/applicability",
        json={
            "medicine": "Fictivumab",
            "date": "2024-01-01",
            "indication": "glioblastome",
            "imaging": {"perfusion MRI": True},
            "prior_treatments": [{"treatment": "temozolomide", "outcome": "failure"}],
            "board_proposal": True,
            "other": {"clinical": True, "adults": True},
        },
    )
    assert answer.status_code == 200 and answer.json()["status"] == "applicable", answer.text

    assert (settings.ingest_dir / "documents" / f"{STEM}.ttl").read_text(encoding="utf-8") == TURTLE
    assert expected_digest(settings) == now["digest"], "the store is what the files say"
    created = [e for e in read_audit(settings) if e.get("request_id") == "req-create"]
    assert created[-1]["result"] == "created" and created[-1]["store_digest_after"] == now["digest"]


def test_the_same_document_again_changes_nothing(client: httpx.Client) -> None:
    before = health(client)["digest"]
    response = put(client, STEM, TURTLE)
    assert response.status_code == 200 and response.json()["action"] == "unchanged"
    assert health(client)["digest"] == before


def test_a_changed_version_keeps_the_previous_one_with_a_revision_link(
    client: httpx.Client, settings: Settings
) -> None:
    changed = TURTLE.replace('"Jeanne Fictive"@en', '"Jeanne Fictive (signatory)"@en', 1)
    assert changed != TURTLE
    response = put(client, STEM, changed, source=None)  # the source text is kept
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["action"] == "replaced" and result["version"] == 2
    assert result["revision_of"] == f"{GRAPH}/v1"
    assert ask(
        client,
        f"ASK {{ <{GRAPH}> prov:wasRevisionOf <{GRAPH}/v1> ; prov:generatedAtTime ?t . "
        f"<{GRAPH}/v1> prov:invalidatedAtTime ?u ; <http://purl.org/dc/terms/isVersionOf> <{GRAPH}> }}",
    )
    assert ask(
        client, 'ASK { <https://w3id.org/regkg/id/person/jeanne-fictive> rdfs:label "Jeanne Fictive (signatory)"@en }'
    )
    assert not ask(client, 'ASK { <https://w3id.org/regkg/id/person/jeanne-fictive> rdfs:label "Jeanne Fictive"@en }')
    previous = client.get(f"/api/documents/{STEM}/versions/1")
    assert previous.status_code == 200 and previous.text == TURTLE
    assert previous.headers["content-type"].startswith("text/turtle")
    assert client.get(f"/api/documents/{STEM}/versions/2").text == changed
    assert client.get(f"/api/documents/{STEM}/versions/3").status_code == 404
    versions = client.get(f"/api/documents/{STEM}").json()["versions"]
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert versions[0]["invalidated_at"] == versions[1]["generated_at"]

    entries = [e for e in read_audit(settings) if e.get("stem") == STEM and e["result"] in ("created", "replaced")]
    assert [e["result"] for e in entries] == ["created", "replaced"]
    assert entries[1]["digest_before"] == entries[0]["digest_after"]
    assert entries[1]["store_digest_before"] == entries[0]["store_digest_after"]
    log = (settings.ingest_dir / "audit.log").read_text(encoding="utf-8")
    assert TOKEN not in log, "the audit log never holds the token"
    assert all(json.loads(line)["time"] for line in log.splitlines())


def test_a_rebuild_keeps_ingested_documents_and_the_service_follows_it(
    client: httpx.Client, settings: Settings
) -> None:
    served = health(client)
    assert build(settings, reasoner=False).unchanged, "an ingest records what a build compares: nothing to do"
    result = build(settings, reasoner=False, full=True)
    assert result.info["digest"] == served["digest"], "same files, same store"
    assert result.info["ingested"][STEM]["version"] == 2
    assert result.build_dir.resolve() != Path(served["store"]).resolve()
    deadline = time.monotonic() + 15
    while Path(health(client)["store"]).resolve() != result.build_dir.resolve():
        assert time.monotonic() < deadline, "the service did not follow the rebuilt store"
        time.sleep(0.2)
    assert ask(client, f"ASK {{ <{MEDICINE}> ?p ?o }}")


def test_validate_sees_ingested_documents_and_their_sources(settings: Settings, tmp_path: Path) -> None:
    """`regkg validate` checks a file against what a build would hold: the ingested documents
    and their source texts included (a curator re-checking an edited ingested document)."""
    import os
    import subprocess
    import sys

    from regkg.ingest import IngestPaths

    edited = tmp_path / f"{STEM}.ttl"
    shutil.copy(IngestPaths(settings.ingest_dir).document(STEM), edited)
    env = {**os.environ, "REGKG_HOME": str(ROOT), "REGKG_STORE": str(settings.store_path)}
    command = [sys.executable, "-m", "regkg.cli", "validate", "--no-reasoner", str(edited)]
    ok = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.stdout.startswith("OK: no problems")
    text = edited.read_text(encoding="utf-8")
    quote = text[text.index('oa:exact "') + len('oa:exact "') :].split('"', 1)[0]
    edited.write_text(text.replace(quote, quote + " (not in the text)", 1), encoding="utf-8")
    bad = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 1 and "not in the text" in bad.stderr, bad.stderr[-2000:]


def test_delete_removes_the_graph_and_keeps_the_history(client: httpx.Client, settings: Settings) -> None:
    response = client.delete(f"/api/documents/{STEM}", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "deleted"
    assert not ask(client, f"ASK {{ <{MEDICINE}> ?p ?o }}")
    assert STEM not in {d["stem"] for d in client.get("/api/documents").json()["documents"]}
    assert client.get(f"/api/documents/{STEM}/versions/2").status_code == 200
    assert client.delete(f"/api/documents/{STEM}", headers=AUTH).status_code == 404
    assert expected_digest(settings) == health(client)["digest"]


# ---------------------------------------------------------------------------- regkg new-document


@pytest.fixture
def curator_project(project_copy: Path) -> Settings:
    return Settings(root=project_copy, store_path=project_copy / "var" / "store")


def test_scaffold_fails_validation_only_on_its_todos(curator_project: Settings, tmp_path: Path) -> None:
    source = tmp_path / "text.txt"
    source.write_text(SOURCE, encoding="utf-8")
    data_file, text_file = new_document(
        curator_project, "ansm-2023-02-14-cpc-other", source, title_en="Fictitious decision (scaffold test)"
    )
    assert text_file.read_text(encoding="utf-8") == SOURCE
    turtle = data_file.read_text(encoding="utf-8")
    assert "<eli/ansm/decision/2023/02/14/cpc-other> a rk:Decision" in turtle
    assert 'eli:date_document "2023-02-14"^^xsd:date' in turtle
    for key in ("visa", "art_1", "art_2", "art_3", "art_4", "signatures"):
        assert f"<eli/ansm/decision/2023/02/14/cpc-other/{key}> a rk:" in turtle, key
    report, _ = validate(with_files(curator_project, [data_file]), curator_project, reasoner=False)
    messages = {p.message.split(" [")[0] for p in report.problems}
    assert messages == {"source document needs its signature(s) (rk:signature)"}, report.text()
    assert "TODO rk:signature" in turtle and "TODO: the signature" in turtle


def test_scaffold_of_a_note_finds_its_number_date_and_sections() -> None:
    text = (ROOT / "data" / "sources" / "dgos-dss-2024-148-lumykras.txt").read_text(encoding="utf-8")
    turtle = scaffold("dgos-dss-2024-10-08-note-x", text, doc_type="note")
    assert 'eli:number "DGOS/RI2/DSS/1C/2024/148"' in turtle
    assert 'eli:date_document "2024-10-08"^^xsd:date' in turtle
    assert "/sec_I> a rk:Section" in turtle and "/sec_II> a rk:Section" in turtle
    assert 'oa:exact "NOTE D\'INFORMATION INTERMINISTÉRIELLE N° DGOS/RI2/DSS/1C/2024/148"' in turtle
    assert "# TODO English label" in turtle
    assert "@" not in "".join(line for line in turtle.splitlines() if "oa:exact" in line and "gouv" in line)


def test_scaffold_refuses_bad_stems_and_keeps_existing_files(curator_project: Settings, tmp_path: Path) -> None:
    source = tmp_path / "text.txt"
    source.write_text(SOURCE, encoding="utf-8")
    with pytest.raises(ScaffoldError, match="invalid stem"):
        new_document(curator_project, "../evil", source)
    with pytest.raises(ScaffoldError, match="exists"):
        new_document(curator_project, "ansm-2022-04-05-cpc-lutathera", source)
    with pytest.raises(ScaffoldError, match="no such source"):
        new_document(curator_project, "ansm-2023-02-14-cpc-none", tmp_path / "missing.txt")
