"""The MCP server, driven over real stdio by the official SDK's client.

The server runs as ``python -m regkg.cli mcp`` (that is, ``regkg mcp``) in a subprocess of its
own session, on a store built once for this module, with a 2 s query time limit. The client is
``mcp.Client`` over ``mcp.client.stdio.stdio_client``, run on an event loop in a background thread
(an anyio blocking portal) so that the tests themselves stay synchronous.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

from regkg import Settings, build, normalize

from .server import command_line, descendants, parents, session_members

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "data" / "sources"
RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LUTATHERA = "https://w3id.org/regkg/id/medicine/lutathera"
TOOLS = {
    "sparql_query", "search", "facts", "applicability", "describe", "list_saved_queries", "run_saved_query",
}  # fmt: skip


def source_text(name: str) -> str:
    return normalize((SOURCES / name).read_text(encoding="utf-8"))


ALL_SOURCES = {p.name: source_text(p.name) for p in sorted(SOURCES.glob("*.txt"))}


def assert_exact_span(quote: str, source: str | None = None) -> None:
    """The quote is a span of a source text (of that source if named), whitespace normalised."""
    texts = [ALL_SOURCES[source]] if source else list(ALL_SOURCES.values())
    assert quote.strip() and any(normalize(quote) in text for text in texts), quote


def wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


# -- a server and its client --------------------------------------------------------------------


@dataclass
class Session:
    """A connected client, its server process and the server's stderr log."""

    portal: BlockingPortal
    client: Client
    pid: int
    log: Path

    def call(self, tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        return self.portal.call(partial(self.client.call_tool, tool, arguments or {}))

    def ok(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A successful call's structured result (also sent as JSON text)."""
        result = self.call(tool, arguments)
        text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
        assert not result.is_error, text
        assert isinstance(result.structured_content, dict)
        assert json.loads(text) == result.structured_content
        return result.structured_content

    def error(self, tool: str, arguments: dict[str, Any] | None = None) -> str:
        """A failed call's message (a tool error, never a traceback)."""
        result = self.call(tool, arguments)
        assert result.is_error, result.structured_content
        text = result.content[0].text  # type: ignore[union-attr]
        assert "Traceback" not in text and f"Error executing tool {tool}:" in text, text
        return text

    def read(self, uri: str) -> str:
        result = self.portal.call(self.client.read_resource, uri)
        return result.contents[0].text  # type: ignore[union-attr]


def _servers() -> set[int]:
    """The MCP servers this test process started."""
    me = os.getpid()
    return {pid for pid, parent in parents().items() if parent == me and "regkg.cli" in command_line(pid)}


def worker_pids(server: int) -> set[int]:
    """The query workers of a server: the children of its multiprocessing fork server (the server's
    own children are the fork server and the resource tracker)."""
    parent_of = parents()
    return {pid for pid in descendants(server) if parent_of.get(pid) != server}


@contextmanager
def mcp_session(store_path: Path, log: Path, **env: str) -> Iterator[Session]:
    """Start ``python -m regkg.cli mcp`` over stdio; on exit, close the client and check that the
    server and every process it started (fork server, query workers) are gone."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "regkg.cli", "mcp"],
        env={"REGKG_HOME": str(ROOT), "REGKG_STORE": str(store_path), "REGKG_WORKERS": "2", **env},
        cwd=str(ROOT),
    )
    with open(log, "w", encoding="utf-8") as errlog, start_blocking_portal() as portal:
        client = Client(stdio_client(params, errlog=errlog), read_timeout_seconds=30)
        pid = 0
        others = _servers()
        try:
            with portal.wrap_async_context_manager(client):
                (pid,) = _servers() - others
                yield Session(portal, client, pid, log)
        finally:
            if pid:  # the server leads its own session: nothing of it may survive the client
                left = set() if wait_for(lambda: not session_members(pid), 10) else session_members(pid)
                for stray in left:
                    with suppress(ProcessLookupError):
                        os.kill(stray, signal.SIGKILL)
                assert not left, f"processes left after the MCP client closed: {left}"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "store"
    build(Settings(root=ROOT, store_path=path), reasoner=False)
    return path


@pytest.fixture(scope="module")
def mcp(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    log = tmp_path_factory.mktemp("mcp-log") / "server.log"
    with mcp_session(store_path, log, REGKG_QUERY_TIMEOUT="2", REGKG_MAX_ROWS="500") as session:
        yield session


# -- discovery ------------------------------------------------------------------------------------


def test_tools_are_listed_with_typed_documented_parameters(mcp: Session) -> None:
    tools = {t.name: t for t in mcp.portal.call(mcp.client.list_tools).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object"
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
    assert tools["sparql_query"].input_schema["required"] == ["query"]
    assert set(tools["applicability"].input_schema["required"]) == {"medicine", "date"}
    assert tools["run_saved_query"].input_schema["properties"]["parameters"]
    instructions = mcp.client.instructions or ""
    assert "quote" in instructions and "cite" in instructions


def test_resources_one_per_document(mcp: Session) -> None:
    listed = {r.uri: r for r in mcp.portal.call(mcp.client.list_resources).resources}
    stems = sorted(p.stem for p in (ROOT / "data" / "documents").glob("*.ttl"))
    assert set(listed) == {"regkg://documents", *(f"regkg://documents/{s}" for s in stems)}
    assert all(r.mime_type == "application/json" for r in listed.values())
    documents = json.loads(mcp.read("regkg://documents"))["documents"]
    assert sorted(d["uri"] for d in documents) == [f"regkg://documents/{s}" for s in stems]
    assert all(d["iri"].startswith("https://w3id.org/regkg/id/eli/") and d["label"]["fr"] for d in documents)


# -- sparql_query ---------------------------------------------------------------------------------


def test_sparql_select_ask_construct_and_truncation(mcp: Session) -> None:
    counted = mcp.ok("sparql_query", {"query": COUNT})
    assert counted["form"] == "SELECT" and counted["truncated"] is False and counted["row_count"] == 1
    assert int(counted["results"]["bindings"][0]["n"]["value"]) > 1000
    # prefixes are predeclared
    named = mcp.ok("sparql_query", {"query": f"SELECT ?l WHERE {{ <{LUTATHERA}> rdfs:label ?l }}"})
    assert {b["l"]["xml:lang"] for b in named["results"]["bindings"]} == {"fr", "en"}
    cut = mcp.ok("sparql_query", {"query": "SELECT * WHERE { ?s ?p ?o }", "max_rows": 7})
    assert cut["truncated"] is True and cut["row_count"] == 7 and len(cut["results"]["bindings"]) == 7
    assert "truncated to 7 rows" in cut["warning"]
    capped = mcp.ok("sparql_query", {"query": "SELECT * WHERE { ?s ?p ?o }", "max_rows": 100_000})
    assert capped["max_rows"] == 500 and capped["row_count"] == 500 and capped["truncated"] is True
    assert mcp.ok("sparql_query", {"query": "ASK { ?s a rk:MedicinalProduct }"})["boolean"] is True
    graph = mcp.ok("sparql_query", {"query": f"DESCRIBE <{LUTATHERA}>"})
    assert graph["form"] == "DESCRIBE" and graph["triples"] > 3 and LUTATHERA in graph["turtle"]


def test_sparql_refuses_updates_services_and_bad_input(mcp: Session) -> None:
    before = mcp.ok("sparql_query", {"query": COUNT})["results"]["bindings"][0]["n"]["value"]
    for update in (
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX x: <urn:x#> DELETE WHERE { ?s ?p ?o }",
        "DROP ALL",
        "# comment\nCLEAR DEFAULT",
    ):
        assert "read-only" in mcp.error("sparql_query", {"query": update})
    service = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    assert "REGKG_SERVICE_ALLOWLIST" in mcp.error("sparql_query", {"query": service})
    assert "REGKG_SERVICE_ALLOWLIST" in mcp.error("sparql_query", {"query": "SELECT * { SERVICE ?e { ?s ?p ?o } }"})
    assert "malformed SPARQL query" in mcp.error("sparql_query", {"query": "SELECT WHERE nonsense {"})
    assert "max_rows" in mcp.error("sparql_query", {"query": COUNT, "max_rows": 0})
    assert "query" in mcp.error("sparql_query", {})
    after = mcp.ok("sparql_query", {"query": COUNT})["results"]["bindings"][0]["n"]["value"]
    assert after == before


def test_runaway_query_is_stopped_and_the_server_keeps_serving(mcp: Session) -> None:
    assert wait_for(lambda: len(worker_pids(mcp.pid)) == 2)
    before = worker_pids(mcp.pid)
    start = time.monotonic()
    message = mcp.error("sparql_query", {"query": RUNAWAY})
    elapsed = time.monotonic() - start
    assert "exceeded the 2 s time limit" in message
    assert 1.8 <= elapsed < 6, elapsed
    # the next call is answered, by a pool whose overrunning worker was replaced
    assert mcp.ok("sparql_query", {"query": "ASK { ?s ?p ?o }"})["boolean"] is True
    assert mcp.ok("search", {"q": "Lutathera", "limit": 1})["count"] == 1
    assert wait_for(lambda: len(worker_pids(mcp.pid)) == 2 and worker_pids(mcp.pid) != before)


# -- search, facts, applicability, describe -----------------------------------------------------


def test_search(mcp: Session) -> None:
    found = mcp.ok("search", {"q": "lutathera", "limit": 5})
    assert found["hits"][0]["iri"] == LUTATHERA and found["count"] <= 5
    typed = mcp.ok("search", {"q": "sotorasib", "types": ["rk:MedicinalProduct"]})
    assert [h["iri"] for h in typed["hits"]] == ["https://w3id.org/regkg/id/medicine/lumykras"]
    assert "empty search" in mcp.error("search", {"q": " ?! "})
    assert "limit" in mcp.error("search", {"q": "x", "limit": 0})


def test_facts_are_cited_with_exact_quotes(mcp: Session) -> None:
    answer = mcp.ok("facts", {"medicine": "lutathera", "limit": 40})
    assert answer["medicine"]["iri"] == LUTATHERA
    assert 0 < answer["count"] <= 40
    for fact in answer["facts"]:
        assert fact["text_fr"] and fact["text_en"]
        assert_exact_span(fact["citation"]["quote"], "ansm-2022-04-05-cpc-lutathera.txt")
    worded = mcp.ok("facts", {"q": "méningiome", "limit": 5})
    assert worded["count"] >= 1
    for fact in worded["facts"]:
        assert_exact_span(fact["citation"]["quote"])
    message = mcp.error("facts", {"medicine": "Doliprane"})
    assert "unknown medicine 'Doliprane'" in message and "Lutathera" in message


def test_applicability(mcp: Session) -> None:
    answer = mcp.ok("applicability", {
        "medicine": "Lumykras", "date": "2024-11-10", "treatment_start": "2023-06-01",
        "other": {"continuation-needed": True},
    })  # fmt: skip
    assert answer["status"] == "applicable"
    assert answer["medicine"]["iri"] == "https://w3id.org/regkg/id/medicine/lumykras"
    assert {f["status"] for f in answer["frameworks"]} == {"applicable", "not_applicable"}
    assert answer["citations"]
    for citation in answer["citations"]:
        assert_exact_span(citation["quote"], "dgos-dss-2024-148-lumykras.txt")
    unknown = mcp.ok("applicability", {"medicine": "Lumykras", "date": "2024-11-10"})
    assert unknown["status"] == "indeterminate" and unknown["missing_facts"]
    detailed = mcp.ok("applicability", {
        "medicine": "Lutathera", "date": "2023-01-10", "indication": "méningiome", "board_proposal": True,
        "imaging": {"FDG": True}, "prior_treatments": [{"treatment": "surgery", "outcome": "failure"}],
    })  # fmt: skip
    assert detailed["indication"] is not None and detailed["status"] in {"applicable", "indeterminate"}
    assert "unknown medicine 'Doliprane'" in mcp.error("applicability", {"medicine": "Doliprane", "date": "2024-01-01"})
    assert "YYYY-MM-DD" in mcp.error("applicability", {"medicine": "Lutathera", "date": "10/01/2023"})
    assert "date" in mcp.error("applicability", {"medicine": "Lutathera"})
    assert "prior_treatments" in mcp.error(
        "applicability", {"medicine": "Lutathera", "date": "2023-01-10", "prior_treatments": ["surgery"]}
    )


def test_describe(mcp: Session) -> None:
    for iri in (LUTATHERA, "id:medicine/lutathera", f"<{LUTATHERA}>"):
        d = mcp.ok("describe", {"iri": iri})
        assert d["iri"] == LUTATHERA
    assert d["label"]["fr"].startswith("Lutathera")
    assert [t["name"] for t in d["types"]] == ["rk:MedicinalProduct"]
    properties = {p["property"]: p for p in d["properties"]}
    assert "rk:productName" in properties and properties["rk:exploitedBy"]["values"][0]["label"]
    assert d["incoming"] and d["graphs"]
    assert d["citations"]
    for c in d["citations"]:
        assert c["document"] and c["provision"] and c["document_label"]["fr"]
        assert_exact_span(c["quote"], "ansm-2022-04-05-cpc-lutathera.txt")
    assert mcp.ok("describe", {"iri": "rk:MedicinalProduct"})["label"]["en"] == "medicinal product"
    assert "no resource" in mcp.error("describe", {"iri": "https://w3id.org/regkg/id/medicine/doliprane"})
    for bad in ("https://w3id.org/regkg/id/x> } ; DROP ALL ; #", "not an iri", ""):
        assert "is not an IRI" in mcp.error("describe", {"iri": bad})


# -- saved queries ----------------------------------------------------------------------------------


def test_saved_queries(mcp: Session) -> None:
    listed = mcp.ok("list_saved_queries")["queries"]
    assert sorted(q["name"] for q in listed) == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    indications = next(q for q in listed if q["name"] == "indications")
    assert indications["parameters"][0]["name"] == "medicine" and indications["parameters"][0]["required"]
    answer = mcp.ok("run_saved_query", {"name": "indications", "parameters": {"medicine": "Lutathera"}})
    assert answer["row_count"] == len(answer["rows"]) > 0 and answer["truncated"] is False
    assert answer["next_offset"] is None
    first = mcp.ok("run_saved_query", {"name": "indications", "parameters": {"medicine": "Lutathera"}, "limit": 2})
    assert first["rows"] == answer["rows"][:2] and first["truncated"] is True and first["next_offset"] == 2
    rest = mcp.ok("run_saved_query", {"name": "indications", "parameters": {"medicine": "Lutathera"}, "offset": 2})
    assert rest["rows"] == answer["rows"][2:] and rest["offset"] == 2
    assert "limit must be between" in mcp.error("run_saved_query", {"name": "boards", "limit": 0})
    assert "offset must be between" in mcp.error("run_saved_query", {"name": "boards", "offset": 10**20})
    assert {"indication", "document", "provision", "quote"} <= set(answer["columns"])
    for row in answer["rows"]:
        assert row["medicine"] == LUTATHERA
        assert_exact_span(row["quote"], "ansm-2022-04-05-cpc-lutathera.txt")
    assert "needs parameter 'medicine'" in mcp.error("run_saved_query", {"name": "indications"})
    assert "unknown medicine" in mcp.error("run_saved_query", {"name": "indications", "parameters": {"medicine": "X"}})
    assert "has no parameter" in mcp.error("run_saved_query", {"name": "indications", "parameters": {"nope": "1"}})
    message = mcp.error("run_saved_query", {"name": "nope"})
    assert "no saved query 'nope'" in message and "indications" in message


def test_injection_in_saved_query_parameters_is_only_data(mcp: Session) -> None:
    before = mcp.ok("sparql_query", {"query": COUNT})["results"]["bindings"][0]["n"]["value"]
    for attack in ('") } ; DROP ALL ; #', "x')) } } INSERT DATA { <urn:a> <urn:b> <urn:c> } #", "} UNION { ?s ?p ?o"):
        answer = mcp.ok("run_saved_query", {"name": "quotes", "parameters": {"text": attack}})
        assert answer["rows"] == [] and answer["parameters"] == {"text": attack}
        message = mcp.error("run_saved_query", {"name": "indications", "parameters": {"medicine": attack}})
        assert "unknown medicine" in message
    found = mcp.ok("run_saved_query", {"name": "quotes", "parameters": {"text": "date certaine"}})
    assert found["rows"] and all("date certaine" in r["quote"].lower() for r in found["rows"])
    after = mcp.ok("sparql_query", {"query": COUNT})["results"]["bindings"][0]["n"]["value"]
    assert after == before


# -- document resources -------------------------------------------------------------------------


def test_document_resource_structure_and_quotes(mcp: Session) -> None:
    doc = json.loads(mcp.read("regkg://documents/dgos-dss-2024-148-lumykras"))
    assert doc["iri"] == "https://w3id.org/regkg/id/eli/dgos-dss/note/2024/10/08/2024-148"
    assert doc["date"] == "2024-10-08" and doc["number"] == "DGOS/RI2/DSS/1C/2024/148"
    metadata = {m["property"]: m["values"] for m in doc["metadata"]}
    assert {"eli:title", "rk:nor", "rk:concernsProduct", "eli:cites"} <= set(metadata)
    assert doc["citations"]
    provisions = doc["provisions"]
    assert len(provisions) >= 5 and all(p["iri"].startswith(doc["iri"] + "/") for p in provisions)
    quotes = [q for p in provisions for said in p["says"] for q in said["quotes"]]
    quotes += [c["quote"] for c in doc["citations"]]
    assert len(quotes) > 20
    for quote in quotes:
        assert_exact_span(quote, "dgos-dss-2024-148-lumykras.txt")
    # no contact details: the graph holds none, and the source text is only served through quotes
    text = mcp.read("regkg://documents/dgos-dss-2024-148-lumykras")
    assert "@" not in text
    with pytest.raises(MCPError, match="no document 'nope'"):
        mcp.read("regkg://documents/nope")
    with pytest.raises(MCPError):
        mcp.read("regkg://elsewhere")


# -- a fresh server: stdio framing, exit, nothing left behind ------------------------------------


def test_fresh_server_times_out_then_exits_cleanly(store_path: Path, tmp_path: Path) -> None:
    with mcp_session(store_path, tmp_path / "server.log", REGKG_QUERY_TIMEOUT="1") as session:
        assert wait_for(lambda: len(worker_pids(session.pid)) == 2)
        processes = {session.pid, *descendants(session.pid)}
        assert "exceeded the 1 s time limit" in session.error("sparql_query", {"query": RUNAWAY})
        assert session.ok("sparql_query", {"query": "ASK {}"})["boolean"] is True
        processes |= descendants(session.pid)
    assert not [pid for pid in processes if Path(f"/proc/{pid}").exists() and command_line(pid)]
    assert "Traceback" not in (tmp_path / "server.log").read_text(encoding="utf-8")


def test_server_follows_a_store_rebuilt_by_another_process(project_copy: Path, tmp_path: Path) -> None:
    settings = Settings(root=project_copy, store_path=project_copy / "var" / "store")
    build(settings, reasoner=False)
    edited = project_copy / "data" / "documents" / "dgos-dss-2024-148-lumykras.ttl"
    old, new = '"En-tête : titre et destinataires"@fr', '"En-tête : titre, destinataires (relu)"@fr'
    ask = {"query": f"ASK {{ ?s rdfs:label {new} }}"}
    with mcp_session(settings.store_path, tmp_path / "server.log") as session:
        assert session.ok("sparql_query", ask)["boolean"] is False
        edited.write_text(edited.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        build(settings, reasoner=False)  # swaps the store link, as `regkg build` run elsewhere would
        assert wait_for(lambda: session.ok("sparql_query", ask)["boolean"] is True, timeout=15), "still the old store"
        hits = session.ok("search", {"q": "titre, destinataires (relu)"})
        assert any("relu" in json.dumps(hit, ensure_ascii=False) for hit in hits["hits"]), hits
    assert "Traceback" not in (tmp_path / "server.log").read_text(encoding="utf-8")
