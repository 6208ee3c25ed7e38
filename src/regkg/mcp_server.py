"""MCP server (Model Context Protocol, official ``mcp`` Python SDK 2.x, stdio transport).

``regkg mcp`` (or ``python -m regkg.mcp_server``) serves the built store to an MCP host (a chat
application, an IDE, an agent) over standard input and output. Everything is read-only:

Tools
    ``sparql_query`` (read-only SPARQL in a pool of worker processes with the configured hard time
    limit and a row limit; updates and SERVICE calls outside ``REGKG_SERVICE_ALLOWLIST`` refused),
    ``search``, ``facts``, ``applicability``, ``describe``, ``list_saved_queries`` and
    ``run_saved_query`` (parameters bound as RDF terms, never pasted into the query text).
Resources
    ``regkg://documents`` (the list of source documents) and ``regkg://documents/<stem>`` for each
    document: its metadata and its logical structure, each provision with what it says and the
    verbatim quotes. Only the graph is read: the raw source files are never served, so nothing of
    them leaves but the cited quotes.

Every answer of the graph carries its citations (document, provision, verbatim quote); the
server's instructions tell the host model to cite them.

Errors (bad input, unknown names, refused or overrunning queries) come back as tool errors with a
plain message (``isError``), never a traceback; the server keeps serving.

The SDK is imported by :func:`create_server` only: query worker processes import this module
(as the ``__main__`` of ``python -m regkg.mcp_server``) and must start fast.
"""

# No `from __future__ import annotations` here: the SDK reads the tools' parameter annotations
# (types, descriptions, limits taken from the settings) at registration, so they must be objects.

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import urlsplit

import pyoxigraph as ox

from . import __version__
from .answers.applicability import ApplicabilityError, Facts
from .answers.applicability import applicability as decide_applicability
from .answers.facts import check_facts_allowed, facts_document, resolve_medicine
from .answers.facts import facts as find_facts
from .answers.saved_queries import ParameterError, SavedQuery, load_saved_queries, page_bounds, saved_query_page
from .answers.search import AnswerError, hits_document
from .answers.search import search as find_resources
from .backend import StoreBackend, open_store, store_version, worker_target
from .describe import describe as describe_resource
from .describe import document_structure, exists
from .describe import labels as fetch_labels
from .namespaces import ID, PREFIXES
from .service.executor import QueryExecutor
from .service.worker import Job
from .settings import Settings
from .sparql_text import form, is_update, service_targets
from .store import QueryError, Store, StoreMissing

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

log = logging.getLogger("regkg.mcp")
SERVER_NAME = "regkg"
DOCUMENTS_URI = "regkg://documents"
DEFAULT_SPARQL_ROWS = 100  # rows a sparql_query returns unless asked for more (at most Settings.max_rows)
MCP_WORKERS = 2  # query worker processes: a stdio server has one client
STORE_POLL_SECONDS = 2.0  # how often the server checks whether another process swapped the store
WARM_UP_TIMEOUT = 60.0  # seconds for the query workers to start, at server start
MAX_INCOMING = 100  # incoming links listed by describe
ELI_HAS_PART = PREFIXES["eli"] + "has_part"

INSTRUCTIONS = """\
regkg is a knowledge graph of French drug-access regulations (early access, compassionate use,
treatment continuity...). Every fact in it is cited: the source document, the provision
(article, section...) and the verbatim words of the text (a "quote").

How to answer:
- Answer only from what these tools and resources return, never from memory.
- Every statement in your answer must cite its source: the document, the provision and the
  verbatim quote, copied exactly as returned (in French, unchanged, between quotation marks).
  Do not paraphrase inside the quotation marks, and do not cite a quote you were not given.
- If the graph does not say something (no result, or a date marked unknown), say that the texts
  do not state it; do not guess. Applicability answers may be "indeterminate": report the
  missing facts they list (or ask the user for them) rather than assuming them.

Which tool:
- search: find resources (medicines, measures, documents, provisions, organisations) by name or
  by words of their quotes; gives IRIs for the other tools.
- facts: cited sentences about a medicine or a topic; the quickest way to answer questions.
- applicability: which access measures apply to a medicine on a date, for what is known of a
  patient (treatment start, indication, imaging, prior treatments, board proposal).
- describe: everything the graph says about one IRI, with its citations.
- list_saved_queries / run_saved_query: curated queries (indications, conditions, obligations,
  periods, documents, timeline, quotes) with typed parameters.
- sparql_query: read-only SPARQL 1.1 over the whole graph (default graph = union of all graphs;
  prefixes rk:, id:, eli:, oa:, rdfs:, skos:, xsd:, time:, org:, dcat:, dcterms: are predeclared).
  Citations: ?x rk:citation ?c . ?c oa:hasSource ?document ; rk:provision ?provision ;
  oa:hasSelector/oa:exact ?quote .
- Resources regkg://documents/<stem>: each source document's metadata and structure, with what
  each provision says and the quotes.
"""

SPARQL_DOC = """Run a read-only SPARQL 1.1 query over the whole graph (default graph = union of all
named graphs; common prefixes predeclared). SELECT gives SPARQL JSON results ({head, results}) and
row_count, ASK a boolean, CONSTRUCT/DESCRIBE Turtle. The query is stopped at the server's time
limit; results beyond max_rows are cut off and `truncated` says so. Updates and SERVICE calls
(outside the allowlist) are refused."""
SEARCH_DOC = """Find resources of the graph by their names, alternative names, identifiers or the
verbatim words their citations quote (case- and accent-insensitive), best first. Each hit gives the
IRI (for describe), labels, types, which field matched and a snippet."""
FACTS_DOC = """Cited facts as short sentences in French and English, each with its citation
(document, provision and verbatim quote). Filter by medicine and/or by words; without words, facts
come in a stable order (medicine, measures, periods, indications, conditions, obligations...)."""
APPLICABILITY_DOC = """Decide, for each access measure of a medicine (early access, compassionate
use, treatment continuity...), whether it applies on a date given what is known of the patient:
`applicable`, `not_applicable` or `indeterminate` (then `missing_facts` lists what to ask). Every
measure, period and condition comes with its citations. Nothing unknown is assumed."""
DESCRIBE_DOC = """Everything the graph says about one resource: labels, types, properties (with the
labels of linked resources), resources linking to it, the named graphs it is stated in, and its
citations (document, provision and verbatim quote)."""
LIST_QUERIES_DOC = """The curated saved queries: name, summary, tags, typed parameters (required or
not, with an example) and the SPARQL text. Run one with run_saved_query."""
RUN_QUERY_DOC = """Run a saved query with typed parameters (bound as RDF terms, never pasted into the
query). Rows are plain values by column, with the citation columns (document, provision, quote)
when the query has them. Long answers come in pages: when truncated is true, ask again with
offset set to next_offset."""


class InputError(ValueError):
    """A request the tools refuse or cannot answer; the message says why (and what would do)."""


# Anticipated failures: reported to the host model as tool errors carrying their message.
EXPECTED_ERRORS = (InputError, AnswerError, ApplicabilityError, ParameterError, QueryError)


# ---------------------------------------------------------------------------- helpers


def _compact(iri: str) -> str:
    """A prefixed name for vocabulary IRIs (rk:Decision, eli:title); regkg instance IRIs stay whole."""
    for prefix, base in PREFIXES.items():
        if prefix != "id" and iri.startswith(base) and iri != base:
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def _label_pair(labels: dict[str, dict[str, str]], iri: str) -> dict[str, str | None]:
    found = labels.get(iri, {})
    return {"fr": found.get("fr") or found.get(""), "en": found.get("en") or found.get("")}


def _short_label(labels: dict[str, dict[str, str]], iri: str) -> str:
    found = labels.get(iri, {})
    return found.get("en") or found.get("fr") or found.get("") or _compact(iri)


def _term_json(term: object, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An RDF term for the host model: an IRI with its label, or a literal with its language or datatype."""
    if isinstance(term, ox.NamedNode):
        return {"iri": term.value, "label": _short_label(labels, term.value)}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"value": term.value}
        if term.language:
            out["lang"] = term.language
        elif not term.datatype.value.endswith("#string"):
            out["datatype"] = _compact(term.datatype.value)
        return out
    return {"value": str(term)}


def _plain(term: Any) -> Any:
    """A result term as a plain JSON value (IRIs and literals as strings; integers and booleans typed)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype.endswith(("#integer", "#int", "#long")):
            return int(term.value)
        if datatype.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return term.value


def _citation_json(labels: dict[str, dict[str, str]], document: str, provision: str, quote: str) -> dict[str, Any]:
    return {
        "document": document,
        "document_label": _label_pair(labels, document),
        "provision": provision,
        "provision_label": _label_pair(labels, provision),
        "quote": quote,
    }


def resolve_iri(text: str) -> str:
    """An absolute IRI from an IRI (angle brackets allowed) or a prefixed name (rk:Decision,
    id:medicine/lutathera). Anything that is not a valid IRI (spaces, ``>``, braces...) is refused,
    so what reaches a query is always a well-formed IRI."""
    value = text.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        value = PREFIXES[prefix] + local
    try:
        return ox.NamedNode(value).value
    except ValueError as exc:
        raise InputError(
            f"{text!r} is not an IRI ({exc}); give an absolute IRI such as {ID}medicine/lutathera "
            "or a prefixed name such as rk:Decision"
        ) from exc


def refused_service(query: str, allowlist: tuple[str, ...]) -> str | None:
    """Why a SERVICE clause of the query is refused (its endpoint is not on the allowlist), or None."""
    for target in service_targets(query):
        host = (urlsplit(target).hostname or "").lower() if target else ""
        if not host or host not in allowlist:
            shown = target or "a variable or unknown prefix"
            return (
                f"SERVICE {shown} is not allowed: federated queries may only call hosts in "
                f"REGKG_SERVICE_ALLOWLIST ({', '.join(allowlist) or 'empty'})"
            )
    return None


# ---------------------------------------------------------------------------- documents


def documents(store: Store) -> list[dict[str, Any]]:
    """The source documents of the graph (those with an ``rk:sourceFile``), by date."""
    rows = store.query("""
        SELECT ?doc ?file (SAMPLE(?fr) AS ?label_fr) (SAMPLE(?en) AS ?label_en) (SAMPLE(?num) AS ?number)
               (SAMPLE(?d) AS ?date) (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types) WHERE {
          ?doc rk:sourceFile ?file .
          OPTIONAL { ?doc rdfs:label ?fr FILTER(LANG(?fr) = "fr") }
          OPTIONAL { ?doc rdfs:label ?en FILTER(LANG(?en) = "en") }
          OPTIONAL { ?doc eli:number ?num } OPTIONAL { ?doc eli:date_document ?d } OPTIONAL { ?doc a ?type }
        } GROUP BY ?doc ?file ORDER BY ?date ?doc""")
    out = []
    for r in rows:
        types = r["types"].value.split() if r["types"] is not None else []
        out.append({
            "uri": f"{DOCUMENTS_URI}/{Path(r['file'].value).stem}",
            "iri": r["doc"].value,
            "label": {"fr": _plain(r["label_fr"]), "en": _plain(r["label_en"])},
            "number": _plain(r["number"]),
            "date": _plain(r["date"]),
            "types": sorted(_compact(t) for t in types),
        })  # fmt: skip
    return out


def document_json(store: Store, document: dict[str, Any]) -> dict[str, Any]:
    """One document (an entry of :func:`documents`): its metadata (every statement, with labels), its
    own citations, and its provisions in logical order, each with the resources it supports and
    their verbatim quotes."""
    iri = document["iri"]
    d = describe_resource(store, iri)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for p, o in d.outgoing:
        if p != ELI_HAS_PART:  # the provisions follow, in order
            grouped.setdefault(p, []).append(_term_json(o, d.labels))
    provisions = document_structure(store, iri)
    facts_of = {str(entry["iri"]): cast(dict[str, list[str]], entry["facts"]) for entry in provisions}
    names = fetch_labels(store, set(facts_of) | {e for said in facts_of.values() for e in said})
    structure = []
    for entry in provisions:
        prov = str(entry["iri"])
        says = [
            {"resource": entity, "label": _label_pair(names, entity), "quotes": quotes}
            for entity, quotes in facts_of[prov].items()
        ]
        structure.append({"iri": prov, "number": entry["number"], "label": _label_pair(names, prov), "says": says})
    return {
        **document,
        "metadata": [
            {"property": _compact(p), "label": _short_label(d.labels, p), "values": values}
            for p, values in grouped.items()
        ],
        "citations": [_citation_json(d.labels, c.document, c.provision, c.quote) for c in d.citations],
        "provisions": structure,
        "note": "Quotes are verbatim from the source text; cite them with their document and provision.",
    }


# ---------------------------------------------------------------------------- what the tools do


class Backend:
    """The tools' work, without the protocol: the store, the saved queries and the query worker
    pool. Methods return JSON-serialisable dicts and raise one of :data:`EXPECTED_ERRORS` for
    anything the caller should correct."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # one snapshot until another process swaps the store (see follow)
        self.version = store_version(settings)
        self.store: StoreBackend = open_store(settings, self.version)
        self.saved: dict[str, SavedQuery] = (
            load_saved_queries(settings.queries_dir) if settings.queries_dir.is_dir() else {}
        )
        self.documents = documents(self.store)
        self._executor: QueryExecutor | None = None
        self._lock: asyncio.Lock | None = None
        self._warm_up: asyncio.Task[None] | None = None

    # -- the worker pool

    async def executor(self) -> QueryExecutor:
        """The query worker pool, started on first use."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._executor is None:
                size = max(1, min(self.settings.workers, MCP_WORKERS))
                executor = QueryExecutor(worker_target(self.store), size, self.settings.query_timeout)
                await executor.start()
                self._executor = executor
            return self._executor

    async def start(self) -> None:
        """Start the workers and, in the background, let each open the store, so that the first
        query does not pay for their start within its time limit."""
        executor = await self.executor()

        async def warm() -> None:
            job = Job(query="ASK {}", fmt="json", max_rows=1)
            await asyncio.gather(*(executor.run(job, timeout=WARM_UP_TIMEOUT) for _ in range(executor.size)))

        self._warm_up = asyncio.create_task(warm())

    async def follow(self) -> bool:
        """Serve the store there is now, if another process swapped it (``regkg build``, an ingest,
        ``regkg restore``): a new handle, and the query workers respawned on it (a query under way
        finishes on the previous store). Returns whether it switched."""
        version = await asyncio.to_thread(store_version, self.settings)
        if version == self.version:
            return False
        store = await asyncio.to_thread(open_store, self.settings, version)
        listed = await asyncio.to_thread(documents, store)
        if self._executor is not None:
            await self._executor.reload(worker_target(store))
        self.store, self.documents, self.version = store, listed, version
        return True

    async def follow_forever(self) -> None:
        """Check for a swapped store every STORE_POLL_SECONDS, as the HTTP service does."""
        while True:
            await asyncio.sleep(STORE_POLL_SECONDS)
            try:
                await self.follow()
            except Exception as exc:  # a half-removed store, an endpoint away: keep serving the one there is
                log.warning("regkg mcp: cannot switch to the current store: %s", exc)

    async def close(self) -> None:
        """Stop the workers (and the warm-up, if still running)."""
        if self._warm_up is not None:
            self._warm_up.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._warm_up
            self._warm_up = None
        if self._executor is not None:
            await self._executor.close()
            self._executor = None

    # -- tools

    async def sparql_query(self, query: str, max_rows: int | None = None) -> dict[str, Any]:
        settings = self.settings
        if len(query.encode("utf-8")) > settings.max_request_bytes:
            raise InputError(f"query longer than {settings.max_request_bytes} bytes")
        if is_update(query):
            raise InputError(
                "SPARQL Update is not allowed: this server is read-only (use SELECT, ASK, CONSTRUCT or DESCRIBE)"
            )
        refused = refused_service(query, settings.service_allowlist)
        if refused:
            raise InputError(refused)
        kind = form(query)
        limit = min(max_rows or DEFAULT_SPARQL_ROWS, settings.max_rows)
        graph = kind in ("CONSTRUCT", "DESCRIBE")
        outcome = await (await self.executor()).run(Job(query=query, fmt="turtle" if graph else "json", max_rows=limit))
        if outcome.status != 200:
            raise InputError(outcome.error)
        result: dict[str, Any]
        if outcome.kind == "graph":
            result = {"form": kind, "turtle": outcome.body.decode("utf-8"), "triples": outcome.rows}
        elif outcome.kind == "boolean":
            result = {"form": "ASK", **json.loads(outcome.body)}
        else:
            result = {"form": kind or "SELECT", **json.loads(outcome.body), "row_count": outcome.rows}
        result["truncated"] = outcome.truncated
        result["max_rows"] = limit
        if outcome.truncated:
            result["warning"] = (
                f"results truncated to {limit} rows; narrow the query, page with LIMIT/OFFSET, or raise "
                f"max_rows (at most {settings.max_rows})"
            )
        return result

    # Each tool reads self.store once: follow() may swap it between two reads (tools run in threads).

    def search(self, q: str, limit: int = 20, types: list[str] | None = None) -> dict[str, Any]:
        return hits_document(q, find_resources(self.store, q, limit=limit, types=types))

    def facts(self, q: str | None = None, medicine: str | None = None, limit: int = 50) -> dict[str, Any]:
        store = self.store
        check_facts_allowed(store, self.settings.facts_max_triples)
        resolved = resolve_medicine(store, medicine) if medicine and medicine.strip() else None
        found = find_facts(store, q=q, medicine=medicine, limit=limit)
        return facts_document(found, q=q, medicine=medicine, resolved=resolved)

    def applicability(self, medicine: str, date: str, facts: Facts) -> dict[str, Any]:
        return decide_applicability(self.store, medicine, date, facts)

    def describe(self, iri: str) -> dict[str, Any]:
        resolved = resolve_iri(iri)
        store = self.store
        if not exists(store, resolved):
            raise InputError(f"no resource {resolved} in this graph; use search to find IRIs")
        d = describe_resource(store, resolved)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for p, o in d.outgoing:
            grouped.setdefault(p, []).append(_term_json(o, d.labels))
        return {
            "iri": resolved,
            "label": _label_pair(d.labels, resolved),
            "types": [{"iri": t, "name": _compact(t), "label": _short_label(d.labels, t)} for t in d.types],
            "properties": [
                {"property": _compact(p), "iri": p, "label": _short_label(d.labels, p), "values": values}
                for p, values in grouped.items()
            ],
            "incoming": [
                {"subject": s, "subject_label": _short_label(d.labels, s), "property": _compact(p)}
                for s, p in d.incoming[:MAX_INCOMING]
            ],
            "incoming_truncated": len(d.incoming) > MAX_INCOMING,
            "graphs": d.graphs,
            "citations": [_citation_json(d.labels, c.document, c.provision, c.quote) for c in d.citations],
        }

    def list_saved_queries(self) -> dict[str, Any]:
        return {"queries": [q.to_dict() for q in self.saved.values()]}

    def run_saved_query(
        self, name: str, parameters: dict[str, str] | None = None, limit: int | None = None, offset: int = 0
    ) -> dict[str, Any]:
        saved = self.saved.get(name)
        if saved is None:
            raise InputError(f"no saved query {name!r}; available: {', '.join(self.saved) or 'none'}")
        size, offset = page_bounds(limit, offset, self.settings.max_rows, self.settings.max_rows)
        values = dict(parameters or {})
        page = saved_query_page(self.store, saved, values, limit=size, offset=offset)
        columns = page.columns
        rows = [{c: _plain(t) for c, t in zip(columns, terms, strict=True) if t is not None} for terms in page.rows]
        return {
            "query": saved.name,
            "summary": saved.summary,
            "parameters": values,
            "columns": columns,
            "rows": rows,
            "row_count": len(rows),
            "offset": offset,
            "truncated": page.more,
            "next_offset": offset + size if page.more else None,
        }


# ---------------------------------------------------------------------------- the server


def create_server(settings: Settings) -> "MCPServer":
    """The MCP server over the store at ``settings.store_path`` (built beforehand with ``regkg build``;
    :class:`~regkg.store.StoreMissing` otherwise)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
    from mcp.server.mcpserver.resources import FunctionResource
    from mcp.types import ToolAnnotations
    from pydantic import BaseModel, Field

    backend = Backend(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[dict[str, Any]]:
        await backend.start()
        follower = asyncio.create_task(backend.follow_forever())
        try:
            yield {}
        finally:
            follower.cancel()
            with suppress(asyncio.CancelledError):
                await follower
            await backend.close()

    server: MCPServer = MCPServer(
        SERVER_NAME,
        title="regkg: French drug-access regulations",
        description="Cited knowledge graph of French drug-access regulations (read-only).",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
    )
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )

    def tool(description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            server.add_tool(fn, description=" ".join(description.split()), annotations=read_only,
                            structured_output=True)  # fmt: skip
            return fn

        return register

    def refuse(exc: Exception) -> ToolError:
        return ToolError(str(exc))

    class PriorTreatment(BaseModel):
        """A treatment the patient had before, and how it went."""

        treatment: Annotated[str, Field(description="the treatment: IRI, local name or label, e.g. 'surgery'")]
        outcome: Annotated[
            str,
            Field(description="'failure', 'contraindication', 'impossible', 'progression'... or 'none' if not given"),
        ]

    rows_help = f"most rows (or triples) to return; default {DEFAULT_SPARQL_ROWS}, at most {settings.max_rows}"
    iri_help = f"an absolute IRI (e.g. {ID}medicine/lutathera) or a prefixed name (id:medicine/lutathera, rk:Decision)"

    @tool(SPARQL_DOC)
    async def sparql_query(
        query: Annotated[str, Field(description="a SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query")],
        max_rows: Annotated[int | None, Field(ge=1, description=rows_help)] = None,
    ) -> dict[str, Any]:
        try:
            return await backend.sparql_query(query, max_rows)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    @tool(SEARCH_DOC)
    def search(
        q: Annotated[str, Field(description="words to look for: a name, brand, INN, NOR, number or words of a quote")],
        limit: Annotated[int, Field(ge=1, le=200, description="most hits to return")] = 20,
        types: Annotated[
            list[str] | None, Field(description="only resources of these classes, e.g. ['rk:MedicinalProduct']")
        ] = None,
    ) -> dict[str, Any]:
        try:
            return backend.search(q, limit, types)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    @tool(FACTS_DOC)
    def facts(
        q: Annotated[str | None, Field(description="words the facts must contain (French or English)")] = None,
        medicine: Annotated[
            str | None, Field(description="only facts about this medicine: brand, INN, abbreviation or IRI")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=500, description="most facts to return")] = 50,
    ) -> dict[str, Any]:
        try:
            return backend.facts(q, medicine, limit)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    @tool(APPLICABILITY_DOC)
    def applicability(
        medicine: Annotated[str, Field(description="the medicine: brand name, INN or IRI, e.g. 'Lutathera'")],
        date: Annotated[str, Field(description="the day to decide for, YYYY-MM-DD")],
        treatment_start: Annotated[
            str | None, Field(description="the day the treatment was initiated, YYYY-MM-DD")
        ] = None,
        indication: Annotated[
            str | None, Field(description="the indication treated: IRI, or words of its label or abbreviation")
        ] = None,
        imaging: Annotated[
            dict[str, bool] | None,
            Field(description="imaging modality (IRI, local name or label, e.g. 'FDG') -> whether it satisfies"),
        ] = None,
        prior_treatments: Annotated[
            list[PriorTreatment] | None, Field(description="treatments received before, each with its outcome")
        ] = None,
        board_proposal: Annotated[
            bool | None, Field(description="whether the board named by the conditions proposed the treatment")
        ] = None,
        other: Annotated[
            dict[str, bool] | None,
            Field(description="explicit answers to other conditions, keyed by condition IRI, local name or label"),
        ] = None,
    ) -> dict[str, Any]:
        known = Facts(
            treatment_start=treatment_start,
            indication=indication,
            imaging=dict(imaging or {}),
            prior_treatments=[(p.treatment, p.outcome) for p in prior_treatments or []],
            board_proposal=board_proposal,
            other=dict(other or {}),
        )
        try:
            return backend.applicability(medicine, date, known)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    @tool(DESCRIBE_DOC)
    def describe(iri: Annotated[str, Field(description=iri_help)]) -> dict[str, Any]:
        try:
            return backend.describe(iri)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    @tool(LIST_QUERIES_DOC)
    def list_saved_queries() -> dict[str, Any]:
        return backend.list_saved_queries()

    @tool(RUN_QUERY_DOC)
    def run_saved_query(
        name: Annotated[str, Field(description="the saved query's name, as listed by list_saved_queries")],
        parameters: Annotated[
            dict[str, str] | None, Field(description="parameter values by name, e.g. {'medicine': 'Lutathera'}")
        ] = None,
        limit: Annotated[int | None, Field(description="most rows to return (default: the row limit)")] = None,
        offset: Annotated[int, Field(description="rows to skip first (a next page: the answer's next_offset)")] = 0,
    ) -> dict[str, Any]:
        try:
            return backend.run_saved_query(name, parameters, limit, offset)
        except EXPECTED_ERRORS as exc:
            raise refuse(exc) from exc

    # -------------------------------------------------------------- resources

    def list_documents() -> dict[str, Any]:
        return {"documents": backend.documents}

    server.add_resource(FunctionResource.from_function(
        list_documents, uri=DOCUMENTS_URI, name="documents", title="Source documents", mime_type="application/json",
        description="The regulatory texts of the graph: IRI, labels, number, date, types and resource URI of each.",
    ))  # fmt: skip

    def reader(doc: dict[str, Any]) -> Callable[[], str]:
        def read() -> str:
            return json.dumps(document_json(backend.store, doc), ensure_ascii=False, indent=1)

        return read

    by_stem = {doc["uri"].rsplit("/", 1)[1]: doc for doc in backend.documents}
    for stem, doc in by_stem.items():
        title = doc["label"]["en"] or doc["label"]["fr"] or stem
        server.add_resource(FunctionResource.from_function(
            reader(doc), uri=doc["uri"], name=stem, title=title, mime_type="application/json",
            description=f"{title}: metadata and logical structure (each provision with what it says and the "
                        "verbatim quotes).",
        ))  # fmt: skip

    @server.resource(f"{DOCUMENTS_URI}/{{stem}}", name="document", mime_type="application/json",
                     description="A source document by file stem (see regkg://documents).")  # fmt: skip
    def unknown_document(stem: str) -> str:
        # Known documents are concrete resources, found before this template: anything else is unknown.
        raise ResourceNotFoundError(f"no document {stem!r}; known: {', '.join(by_stem) or 'none'}")

    return server


def main(settings: Settings | None = None) -> None:
    """Serve the store over stdio until the client closes standard input."""
    create_server(settings or Settings.from_env()).run("stdio")


if __name__ == "__main__":
    try:
        main(Settings.from_env())
    except (StoreMissing, FileNotFoundError, ValueError) as error:
        print(f"regkg mcp: error: {error}", file=sys.stderr)
        sys.exit(2)
