"""The store on a remote SPARQL 1.1 endpoint (``REGKG_STORE=sparql:URL``), tested with OpenLink
Virtuoso 7.2 (Debian's virtuoso-opensource); any SPARQL 1.1 endpoint with the Graph Store
Protocol or SPARQL Update should do.

Reading (:class:`RemoteStore`, and :class:`WorkerEndpoint` in the service's query workers):
queries go through SPARQLWrapper (POST, SPARQL XML results) and come back as genuine pyoxigraph
objects (``parse_query_results`` on the XML; graphs are parsed into an in-memory pyoxigraph store
and read back with a CONSTRUCT), so consumers work unchanged.

- The usual prefixes (:data:`regkg.namespaces.PREFIXES`) are prepended, on the first line, so the
  endpoint's error messages keep the query's own line numbers.
- ``substitutions`` (values bound as RDF terms, as pyoxigraph does) become ``VALUES`` blocks at
  the start of the outermost WHERE group and of the nested groups evaluated before their join
  with it whose FILTER or BIND uses the variable (a UNION branch with a FILTER EXISTS…), never
  in subqueries: the variable then acts as the constant throughout the query, as with
  pyoxigraph (see :func:`bind_values`). Positions come from the project's SPARQL lexer
  (:mod:`regkg.sparql_text`), never from a regular expression on raw text.
- The default graph is the union of regkg's named graphs, kept as one more graph on the
  endpoint, :data:`UNION_GRAPH`, named as the query's only default graph
  (``default-graph-uri``). Virtuoso's own default graph is the union of *all* its graphs, its
  system graphs included (``virtrdf#``, ``ldp#``, the service description, ``DAV/``); restricting
  it to a list of graphs (``FROM``, ``default-graph-uri``, ``input:default-graph-exclude``, graph
  groups) makes Virtuoso 7.2 drop answers of property-path queries as soon as two graphs are
  listed or excluded, while one default graph is evaluated right, at any size. ``GRAPH ?g``
  patterns get a FILTER keeping ``?g`` among regkg's graphs (:data:`GRAPH_NAMESPACE`), so
  neither system graphs nor the union and build info graphs show up as named graphs. The cost:
  the data is stored twice on the endpoint.
- Virtuoso 7.2 stores ``xsd:duration`` literals as numbers (``"P3Y"`` becomes ``"36"``,
  ``"P1D"`` ``"86400.0"``: openlink/virtuoso-opensource#936, no switch). On Virtuoso, regkg
  stores them with the datatype :data:`VIRTUOSO_DURATION` instead, and maps it back to
  ``xsd:duration`` in queries (IRIs, prefixed names, bound values) and in results.

Writing (:func:`publish_remote`): graph by graph, as N-Triples bodies over one persistent HTTP
session, through the Graph Store Protocol (``PUT``/``POST``/``DELETE ?graph=``; Virtuoso:
``/sparql-graph-crud-auth``, digest authentication) or SPARQL Update (``DROP SILENT GRAPH`` +
``INSERT DATA`` in chunks). Only graphs whose content changed are sent (a SHA-256 per graph is
kept with the build info); graphs no longer in the dataset are dropped; the union graph gets
the triples of the changed graphs and loses those no graph holds any more (``DELETE DATA``;
rebuilt whole when there is no update endpoint or a previous publish was interrupted); the
build info graph :data:`INFO_GRAPH` is written last: its digest is what a running service
polls. This is not one transaction: while a publish runs, readers can see some graphs new and
others old.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import time
import urllib.error
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from .canonical import canonical_order
from .namespaces import GRAPH, OUTPUT_PREFIXES, PREFIXES
from .sparql_text import UPDATE_FORMS, Token, form, prefixes, tokens
from .sparql_values import bind_values
from .store import EXPORT_FORMATS, Derived, QueryError, Store, StoreMissing

if TYPE_CHECKING:
    from .settings import Settings

INFO_GRAPH = "urn:x-regkg:build-info"  # one graph holding the build info (never in query answers)
UNION_GRAPH = "urn:x-regkg:union"  # the union of regkg's named graphs: every query's default graph
_INFO_DIGEST = "urn:x-regkg:digest"
_INFO_JSON = "urn:x-regkg:info"
_INFO_UNION = "urn:x-regkg:union-complete"  # the union graph holds exactly the named graphs' union
_INFO_SHA256 = "urn:x-regkg:sha256"  # of a named graph's N-Triples as last sent
_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
EMPTY_GRAPH = "urn:x-regkg:empty"  # an empty default graph, for union_default_graph=False
GRAPH_NAMESPACE = str(GRAPH)  # regkg's named graphs all live under it
XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
VIRTUOSO_DURATION = "urn:x-regkg:xsd-duration"  # how xsd:duration literals are stored on Virtuoso

READ_TIMEOUT = 300.0  # seconds, for the store handle's own reads (indexes, exports); workers use theirs
WRITE_TIMEOUT = 600.0  # seconds per load request
UPDATE_CHUNK_LINES = 2000  # triples per INSERT DATA / DELETE DATA request (SPARQL Update)
GSP_CHUNK_LINES = 200_000  # triples per request when the union graph is sent whole
RESULTS_XML = "application/sparql-results+xml"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class RemoteStoreError(OSError):
    """The SPARQL endpoint did not give a usable answer (see the message)."""


class EndpointUnreachable(RemoteStoreError):
    """The SPARQL endpoint cannot be reached or does not answer (connection refused, timeout,
    HTTP 5xx without a SPARQL error, refused credentials)."""


class PublishError(RuntimeError):
    """Loading the dataset into the endpoint failed (the message says what the endpoint said)."""


# ---------------------------------------------------------------------------- query text


def _sparql_term(term: Any, virtuoso: bool) -> str:
    if isinstance(term, ox.NamedNode):
        return str(term)
    if isinstance(term, ox.Literal):
        if virtuoso and term.datatype.value == XSD_DURATION:
            term = ox.Literal(term.value, datatype=ox.NamedNode(VIRTUOSO_DURATION))
        return str(term)
    raise QueryError(f"only IRIs and literals can be bound on a remote store, not {term!r}")


def _duration_edits(toks: list[Token]) -> list[tuple[int, int, str]]:
    """Edits replacing ``xsd:duration`` (IRI or prefixed name) by :data:`VIRTUOSO_DURATION`."""
    known = {**PREFIXES, **prefixes(toks)}
    edits = []
    for tok in toks:
        if tok.kind == "iri" and tok.text[1:-1] == XSD_DURATION:
            edits.append((tok.start, tok.end, f"<{VIRTUOSO_DURATION}>"))
        elif tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            if known.get(prefix, "\0") + local == XSD_DURATION:
                edits.append((tok.start, tok.end, f"<{VIRTUOSO_DURATION}>"))
    return edits


def _graph_variable_edits(toks: list[Token]) -> list[tuple[int, int, str]]:
    """Edits restricting each ``GRAPH ?g { … }`` to regkg's named graphs: a FILTER on ``?g``
    right after the block, in the group that holds it (so an OPTIONAL or EXISTS around it keeps
    its meaning)."""
    edits = []
    for i, tok in enumerate(toks[:-2]):
        if tok.word != "GRAPH" or toks[i + 1].kind != "var" or toks[i + 2].text != "{":
            continue
        depth = 0
        for close in toks[i + 2 :]:
            depth += (close.text == "{") - (close.text == "}")
            if depth == 0:
                var = toks[i + 1].text
                filter_ = f' FILTER(STRSTARTS(STR({var}), "{GRAPH_NAMESPACE}"))'
                edits.append((close.end, close.end, filter_))
                break
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# ---------------------------------------------------------------------------- results


_XML_REPLACEMENTS = (
    (f'datatype="{VIRTUOSO_DURATION}"'.encode(), f'datatype="{XSD_DURATION}"'.encode()),
    (f"<uri>{VIRTUOSO_DURATION}</uri>".encode(), f"<uri>{XSD_DURATION}</uri>".encode()),
)


class _Rewriting(io.RawIOBase):
    """A byte stream with fixed replacements applied on the fly (across read boundaries)."""

    def __init__(self, source: Any, replacements: tuple[tuple[bytes, bytes], ...]) -> None:
        self._source = source
        self._replacements = replacements
        self._keep = max(len(old) for old, _ in replacements) - 1
        self._pending = b""
        self._out = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out and not self._eof:
            chunk = self._source.read(65536)
            if not chunk:
                self._eof = True
                data, self._pending = self._pending, b""
            else:
                data = self._pending + chunk
                cut = max(0, len(data) - self._keep)
                cut = self._safe_cut(data, cut)
                data, self._pending = data[:cut], data[cut:]
            for old, new in self._replacements:
                data = data.replace(old, new)
            self._out = data
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _safe_cut(self, data: bytes, cut: int) -> int:
        """Move the cut before any occurrence of a pattern it would split."""
        moved = True
        while moved:
            moved = False
            for old, _ in self._replacements:
                at = data.find(old, max(0, cut - len(old) + 1))
                if -1 < at < cut:
                    cut, moved = at, True
        return cut

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            super().close()


def _map_term(term: Any) -> Any:
    if isinstance(term, ox.Literal) and term.datatype.value == VIRTUOSO_DURATION:
        return ox.Literal(term.value, datatype=ox.NamedNode(XSD_DURATION))
    if isinstance(term, ox.NamedNode) and term.value == VIRTUOSO_DURATION:
        return ox.NamedNode(XSD_DURATION)
    return term


def _triples_result(triples: Iterable[ox.Triple]) -> ox.QueryTriples:
    """Triples as a genuine pyoxigraph graph result (through an in-memory store)."""
    memory = ox.Store()
    memory.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return memory.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _endpoint_message(exc: Exception) -> str:
    """What the endpoint said, from a SPARQLWrapper exception (its response body), without the
    echo of the query text Virtuoso appends."""
    text = str(exc)
    body = text
    if "Response:\n" in text:
        raw = text.split("Response:\n", 1)[1].strip()
        try:
            value = ast.literal_eval(raw)
            body = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        except (ValueError, SyntaxError):
            body = raw
    body = body.split("\n\nSPARQL query:", 1)[0]
    return " ".join(body.split()) or text


# ---------------------------------------------------------------------------- the connection


@dataclass(frozen=True)
class Connection:
    """How to query one endpoint for regkg: its URL, its dialect, the time limit of a request."""

    url: str
    dialect: str  # virtuoso | generic
    timeout: float = READ_TIMEOUT
    digest: str = ""  # the build this connection was opened for (workers restart when it changes)

    @property
    def virtuoso(self) -> bool:
        return self.dialect == "virtuoso"

    def config(self) -> dict[str, Any]:
        return {"url": self.url, "dialect": self.dialect, "timeout": self.timeout, "digest": self.digest}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Connection:
        timeout = float(config.get("timeout", READ_TIMEOUT))
        return cls(config["url"], config["dialect"], timeout, config.get("digest", ""))

    # -- the request

    def _send(self, text: str, accept: str, params: list[tuple[str, str]]) -> Any:
        """POST the query (form-encoded) through SPARQLWrapper; the raw HTTP response."""
        from SPARQLWrapper import POST, SELECT, URLENCODED, XML, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import (
            EndPointInternalError,
            EndPointNotFound,
            QueryBadFormed,
            SPARQLWrapperException,
            Unauthorized,
        )

        wrapper = SPARQLWrapper(self.url)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SPARQLWrapper's own guess of the query form: overridden below
            wrapper.setQuery(text)
        wrapper.queryType = SELECT  # never sent as an update, whatever words the query contains
        wrapper.setReturnFormat(XML)
        wrapper.setOnlyConneg(True)  # no format=/output= parameters: Virtuoso would shift its error line numbers
        wrapper.addCustomHttpHeader("Accept", accept)
        wrapper.setTimeout(max(1, round(self.timeout)))
        for name, value in params:
            wrapper.addParameter(name, value)
        try:
            return wrapper.query().response
        except QueryBadFormed as exc:
            raise QueryError(f"malformed SPARQL query: {_endpoint_message(exc)}") from None
        except EndPointInternalError as exc:
            message = _endpoint_message(exc)
            if re.search(r"\b(37000|42000|22023|42S22|SP\d{3}|SR\d{3})\b", message):  # a SPARQL/SQL error
                raise QueryError(f"query failed on the endpoint: {message}") from None
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} failed (HTTP 500): {message}") from None
        except EndPointNotFound:
            raise EndpointUnreachable(f"no SPARQL endpoint at {self.url} (HTTP 404)") from None
        except Unauthorized:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} refused the request (HTTP 401)") from None
        except SPARQLWrapperException as exc:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url}: {_endpoint_message(exc)}") from None
        except urllib.error.HTTPError as exc:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} answered HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} is unreachable: {exc.reason}") from None
        except TimeoutError:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} did not answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} is unreachable: {exc}") from None

    def prepare(
        self,
        sparql: str,
        *,
        union: bool = True,
        substitutions: dict | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        declared: dict[str, str] | None = None,
        dataset: bool = True,
    ) -> tuple[str | None, str, list[tuple[str, str]]]:
        """(query form, the text sent, the protocol parameters) for a query."""
        kind = form(sparql)
        if kind in UPDATE_FORMS:
            raise QueryError("SPARQL Update is not accepted: the store is read-only here")
        text = sparql
        if substitutions:
            text = bind_values(text, {v.value: _sparql_term(t, self.virtuoso) for v, t in substitutions.items()})
        toks = tokens(text)
        edits = _duration_edits(toks) if self.virtuoso else []
        if dataset:
            edits += _graph_variable_edits(toks)
        text = _apply(text, edits)
        prologue = []
        if base_iri and not any(t.word == "BASE" for t in toks):
            prologue.append(f"BASE <{base_iri}>")  # first: Virtuoso refuses BASE after PREFIX
        prologue += [f"PREFIX {p}: <{iri}>" for p, iri in (PREFIXES if declared is None else declared).items()]
        params: list[tuple[str, str]] = []
        if default_graphs is not None or named_graphs is not None:
            params += [("default-graph-uri", g) for g in default_graphs or [EMPTY_GRAPH]]
            params += [("named-graph-uri", g) for g in named_graphs or []]
        elif dataset and not any(t.word == "FROM" for t in toks):
            params.append(("default-graph-uri", UNION_GRAPH if union else EMPTY_GRAPH))
        return kind, " ".join(prologue) + " " + text, params

    def run(self, sparql: str, *, stream: bool = False, **options: Any) -> Any:
        """Evaluate a query on the endpoint; pyoxigraph QuerySolutions, QueryBoolean or
        QueryTriples. With ``stream``, solutions are parsed while they are iterated (a consumer
        that stops early does not read the rest)."""
        kind, text, params = self.prepare(sparql, **options)
        graph = kind in ("CONSTRUCT", "DESCRIBE")
        response = self._send(text, GRAPH_ACCEPT if graph else RESULTS_XML, params)
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if graph:
            try:
                data = response.read()
            finally:
                response.close()
            rdf_format = ox.RdfFormat.from_media_type(media) if media else None
            if rdf_format is None:
                raise EndpointUnreachable(f"SPARQL endpoint {self.url} answered a graph as {media!r}")
            try:
                triples = [ox.Triple(*(_map_term(x) for x in (t.subject, t.predicate, t.object)))
                           if self.virtuoso else t for t in ox.parse(data, rdf_format)]  # fmt: skip
            except SyntaxError as exc:
                raise EndpointUnreachable(f"SPARQL endpoint {self.url} answered unreadable {media}: {exc}") from None
            return _triples_result(triples)
        if media not in (RESULTS_XML, "application/xml", "text/xml"):
            response.close()
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} answered {media!r}, not SPARQL XML results")
        self._check_not_truncated(response)
        source: Any = _Rewriting(response, _XML_REPLACEMENTS) if self.virtuoso else response
        try:
            if stream:
                return ox.parse_query_results(io.BufferedReader(source, 65536), ox.QueryResultsFormat.XML)
            try:
                data = source.read() if not self.virtuoso else io.BufferedReader(source).read()
            finally:
                source.close()
            return ox.parse_query_results(data, ox.QueryResultsFormat.XML)
        except SyntaxError as exc:
            raise EndpointUnreachable(f"SPARQL endpoint {self.url} answered unreadable results: {exc}") from None

    def _check_not_truncated(self, response: Any) -> None:
        """Virtuoso cuts results at its ResultSetMaxRows (saying so only in a header), and an
        "anytime" query at its time limit: an error rather than a silently partial answer."""
        cap = response.headers.get("X-SPARQL-MaxRows")
        state = response.headers.get("X-SQL-State")
        if cap or state:
            response.close()
            why = f"its result limit of {cap.strip()} rows" if cap else f"state {state.strip()}"
            raise RemoteStoreError(
                f"SPARQL endpoint {self.url} cut the answer ({why}): raise [SPARQL] ResultSetMaxRows "
                "(Virtuoso) or the execution time limit"
            )

    def rows(self, sparql: str, **options: Any) -> list[Any]:
        return list(self.run(sparql, **options))


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def detect_dialect(url: str, timeout: float = 30.0) -> str:
    """virtuoso when the endpoint's Server header says so, else generic."""
    response = Connection(url, "generic", timeout)._send("ASK {}", RESULTS_XML, [])
    try:
        server = response.headers.get("Server") or ""
    finally:
        response.close()
    return "virtuoso" if "virtuoso" in server.lower() else "generic"


def _dialect(settings: Settings) -> str:
    if settings.sparql_dialect in ("virtuoso", "generic"):
        return settings.sparql_dialect
    return detect_dialect(settings.store.url)


# ---------------------------------------------------------------------------- build info


@dataclass
class _State:
    digest: str
    info: dict[str, Any]
    graph_digests: dict[str, str]  # SHA-256 of each named graph's N-Triples as last sent
    union_complete: bool  # the union graph holds exactly the union of the named graphs


def _read_state(conn: Connection) -> _State | None:
    rows = conn.rows(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFO_GRAPH}> {{ ?s ?p ?o }} }}", declared={}, dataset=False)
    values = {r["p"].value: r["o"].value for r in rows if r["s"].value == INFO_GRAPH}
    if _INFO_DIGEST not in values:
        return None
    try:
        info = json.loads(values.get(_INFO_JSON, "{}"))
    except ValueError:
        info = {"digest": values[_INFO_DIGEST]}
    digests = {r["s"].value: r["o"].value for r in rows if r["p"].value == _INFO_SHA256}
    return _State(values[_INFO_DIGEST], info, digests, values.get(_INFO_UNION) in ("true", "1"))


def _missing(url: str) -> StoreMissing:
    return StoreMissing(
        f"no regkg dataset on the SPARQL endpoint {url} (no build info graph <{INFO_GRAPH}>); "
        f"run `regkg build` with REGKG_STORE=sparql:{url}"
    )


def _endpoint_graphs(conn: Connection) -> set[str]:
    # GROUP BY, not DISTINCT: Virtuoso 7.2 times out on SELECT DISTINCT ?g over all its quads
    rows = conn.rows("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", declared={}, dataset=False)
    return {r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)}


# ---------------------------------------------------------------------------- the store


class RemoteStore:
    """A read-only handle on the regkg dataset of a SPARQL endpoint, with the interface of
    :class:`regkg.store.Store` (see :class:`regkg.backend.StoreBackend`). One handle stands for
    one build (its digest); the service opens a new one when the digest changes."""

    serialize = Store.serialize  # results are pyoxigraph objects: the same serialisation

    def __init__(self, conn: Connection, info: dict[str, Any]) -> None:
        self.path = conn.url
        self._conn = conn
        self._info = info
        self.derived = Derived()
        self._len: int | None = None

    @classmethod
    def open(cls, settings: Settings) -> RemoteStore:
        """Read the build info (no other request: workers open theirs from :meth:`worker_config`)."""
        base = Connection(settings.store.url, _dialect(settings))
        state = _read_state(base)
        if state is None:
            raise _missing(base.url)
        conn = replace(base, digest=state.digest)
        return cls(conn, state.info)

    @staticmethod
    def current_digest(settings: Settings) -> str:
        """The digest of the build on the endpoint now (one small query)."""
        conn = Connection(settings.store.url, "generic", timeout=30.0)
        rows = conn.rows(
            f"SELECT ?d WHERE {{ GRAPH <{INFO_GRAPH}> {{ <{INFO_GRAPH}> <{_INFO_DIGEST}> ?d }} }}",
            declared={},
            dataset=False,
        )
        if not rows:
            raise _missing(conn.url)
        return str(rows[0]["d"].value)

    @staticmethod
    def dataset_present(settings: Settings) -> bool:
        try:
            RemoteStore.current_digest(settings)
        except EndpointUnreachable:
            raise
        except StoreMissing:
            return False
        return True

    @property
    def info(self) -> dict[str, Any]:
        return self._info

    @property
    def connection(self) -> Connection:
        return self._conn

    def worker_config(self) -> dict[str, Any]:
        """What a query worker needs to query the same dataset (no request at its start)."""
        return {**self._conn.config(), "timeout": self._conn.timeout}

    def query(self, sparql: str, *, union_default_graph: bool = True, substitutions: dict | None = None) -> Any:
        return self._conn.run(sparql, union=union_default_graph, substitutions=substitutions)

    def graphs(self) -> list[str]:
        rows = self._conn.rows("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")  # see _endpoint_graphs
        return sorted(r["g"].value for r in rows)

    def __len__(self) -> int:
        if self._len is None:
            rows = self._conn.rows("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
            self._len = int(rows[0]["n"].value) if rows else 0
        return self._len

    def dump_path(self, name: str) -> None:
        """No prebuilt dumps on a remote store (``regkg dump`` builds one from the endpoint)."""
        return None

    def _snapshot(self) -> ox.Store:
        """The whole dataset in an in-memory pyoxigraph store."""
        memory = ox.Store()
        rows = self._conn.run("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", stream=True)
        memory.extend(ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)
        return memory

    def export(self, fmt: str) -> bytes:
        """The whole dataset; formats without named graphs get the union of all graphs."""
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        memory = self._snapshot()
        rdf_format = EXPORT_FORMATS[fmt]
        if fmt in ("nquads", "trig"):
            return memory.dump(format=rdf_format, prefixes=OUTPUT_PREFIXES if fmt == "trig" else None)
        if fmt == "jsonld":
            return memory.dump(format=rdf_format)
        union = ox.Store()
        union.extend(ox.Quad(q.subject, q.predicate, q.object) for q in memory)
        prefixes_ = OUTPUT_PREFIXES if fmt == "turtle" else None
        return union.dump(format=rdf_format, from_graph=ox.DefaultGraph(), prefixes=prefixes_)

    def canonical_nquads(self) -> bytes:
        lines = (self._snapshot().dump(format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8").splitlines(keepends=True)
        return "".join(canonical_order(lines)).encode("utf-8")


class WorkerEndpoint:
    """What a service query worker evaluates on: pyoxigraph's ``Store.query`` signature over
    the endpoint. Malformed queries raise SyntaxError (HTTP 400), others OSError/RuntimeError."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._conn = Connection.from_config(config)

    def query(
        self,
        query: str,
        *,
        prefixes: dict[str, str] | None = None,
        base_iri: str | None = None,
        default_graph: list[Any] | None = None,
        named_graphs: list[Any] | None = None,
        use_default_graph_as_union: bool = False,
        substitutions: dict | None = None,
    ) -> Any:
        try:
            return self._conn.run(
                query,
                stream=True,
                union=use_default_graph_as_union,
                substitutions=substitutions,
                default_graphs=None if default_graph is None else [g.value for g in default_graph],
                named_graphs=None if named_graphs is None else [g.value for g in named_graphs],
                base_iri=base_iri,
                declared=prefixes,
            )
        except QueryError as exc:
            message = str(exc)
            raise SyntaxError(message.removeprefix("malformed SPARQL query: ")) from None


# ---------------------------------------------------------------------------- publishing

_TERM = r'(?:<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)'
_QUAD = re.compile(rf"({_TERM}) ({_TERM}) ({_TERM})(?: ({_TERM}))? \.\s*$")
_DURATION_SUFFIX = f"^^<{XSD_DURATION}>"


def split_graphs(nquads: bytes | Iterable[str], virtuoso: bool) -> dict[str, list[str]]:
    """N-Quads (canonical lines, or bytes) as N-Triples lines per named graph. On Virtuoso,
    ``xsd:duration`` literals get :data:`VIRTUOSO_DURATION`. Raises ValueError for a triple in
    the default graph (a remote store holds named graphs only)."""
    lines: Iterable[str] = nquads.decode("utf-8").splitlines(keepends=True) if isinstance(nquads, bytes) else nquads
    graphs: dict[str, list[str]] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _QUAD.match(line)
        if m is None:  # not in canonical form: let pyoxigraph read it
            quads = list(ox.parse(line, ox.RdfFormat.N_QUADS))
            parts = [
                (str(q.subject), str(q.predicate), str(q.object),
                 None if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name))
                for q in quads
            ]  # fmt: skip
        else:
            parts = [(m[1], m[2], m[3], m[4])]
        for s, p, o, g in parts:
            if g is None or not g.startswith("<"):
                raise ValueError(f"a remote store holds named graphs only; this quad is not in one: {line.strip()}")
            if virtuoso and o.endswith(_DURATION_SUFFIX) and o.startswith('"'):
                o = o[: -len(_DURATION_SUFFIX)] + f"^^<{VIRTUOSO_DURATION}>"
            graphs.setdefault(g[1:-1], []).append(f"{s} {p} {o} .\n")
    return graphs


class _Loader:
    """Writes graphs to the endpoint over one persistent HTTP session: the Graph Store Protocol
    when there is a GSP endpoint, SPARQL Update otherwise (and to delete single triples)."""

    def __init__(self, settings: Settings, dialect: str) -> None:
        import requests
        from requests.auth import HTTPBasicAuth, HTTPDigestAuth

        self.session = requests.Session()
        if settings.sparql_user:
            auth_class = HTTPBasicAuth if settings.sparql_auth == "basic" else HTTPDigestAuth
            self.session.auth = auth_class(settings.sparql_user, settings.sparql_password)
        self.gsp_url = settings.gsp_url
        self.update_url = settings.sparql_update_url
        if dialect == "virtuoso" and not self.gsp_url and not self.update_url:
            # Virtuoso's authenticated SPARQL endpoint (digest authentication, SPARQL_UPDATE role):
            # SPARQL Update, several graphs per request, loads twice as fast as its Graph Store
            # Protocol (/sparql-graph-crud-auth, one graph per request), which REGKG_GSP_URL selects.
            self.update_url = _with_path(settings.store.url, "/sparql-auth")
        if not self.gsp_url and not self.update_url:
            raise PublishError(
                "loading a remote store needs REGKG_GSP_URL (Graph Store Protocol) or REGKG_SPARQL_UPDATE_URL"
            )
        self.requests = 0

    @property
    def can_delete_triples(self) -> bool:
        return bool(self.update_url)

    def _check(self, response: Any, what: str, ok: tuple[int, ...]) -> None:
        if response.status_code in ok:
            return
        body = " ".join(response.text.split("\n\nSPARQL query:", 1)[0].split())[:600]
        hint = ""
        if response.status_code == 401:
            hint = " (check REGKG_SPARQL_USER / REGKG_SPARQL_PASSWORD)"
        elif "SR186" in body or response.status_code == 403:
            hint = " (the user needs the right to update, e.g. Virtuoso's SPARQL_UPDATE role)"
        raise PublishError(f"{what}: HTTP {response.status_code}{hint}: {body}")

    def _request(self, method: str, url: str, what: str, ok: tuple[int, ...] = (200, 201, 204), **kw: Any) -> None:
        import requests

        for attempt in range(4):
            self.requests += 1
            try:
                response = self.session.request(method, url, timeout=(10, WRITE_TIMEOUT), **kw)
            except requests.RequestException as exc:
                raise EndpointUnreachable(f"{what}: {url} is unreachable: {exc}") from None
            if response.status_code >= 500 and "40001" in response.text and attempt < 3:  # Virtuoso deadlock
                time.sleep(0.2 * (attempt + 1))
                continue
            self._check(response, what, ok)
            return

    def _gsp(self, method: str, graph: str, what: str, body: bytes | None = None) -> None:
        headers = {"Content-Type": "application/n-triples; charset=utf-8"} if body is not None else {}
        ok = (200, 201, 204, 404) if method == "DELETE" else (200, 201, 204)
        self._request(method, self.gsp_url, what, ok, params={"graph": graph}, data=body, headers=headers)

    def _update(self, text: str, what: str) -> None:
        self._request("POST", self.update_url, what, data=text.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update; charset=utf-8"})  # fmt: skip

    def _update_chunks(self, operation: str, graph: str, lines: list[str], what: str) -> None:
        for start in range(0, len(lines), UPDATE_CHUNK_LINES):
            chunk = "".join(lines[start : start + UPDATE_CHUNK_LINES])
            self._update(f"{operation} {{ GRAPH <{graph}> {{\n{chunk}}} }}", what)

    def put(self, graph: str, lines: list[str]) -> None:
        """Replace a graph's content."""
        if self.gsp_url:
            for start in range(0, max(1, len(lines)), GSP_CHUNK_LINES):
                body = "".join(lines[start : start + GSP_CHUNK_LINES]).encode("utf-8")
                self._gsp("PUT" if start == 0 else "POST", graph, f"loading <{graph}>", body)
            return
        self._update(f"DROP SILENT GRAPH <{graph}>", f"clearing <{graph}>")
        self._update_chunks("INSERT DATA", graph, lines, f"loading <{graph}>")

    def put_graphs(self, items: list[tuple[str, list[str]]]) -> None:
        """Replace the content of these graphs: one GSP PUT each, or SPARQL Update requests that
        each replace as many whole graphs as fit in :data:`UPDATE_CHUNK_LINES` triples."""
        if self.gsp_url:
            for graph, lines in items:
                self.put(graph, lines)
            return
        batch: list[tuple[str, list[str]]] = []
        size = 0
        for graph, lines in [*items, ("", [])]:  # a last empty item flushes the batch
            if batch and (not graph or size + len(lines) > UPDATE_CHUNK_LINES):
                drops = " ; ".join(f"DROP SILENT GRAPH <{g}>" for g, _ in batch)
                data = " ".join(f"GRAPH <{g}> {{\n{''.join(ls)}}}" for g, ls in batch)
                self._update(f"{drops} ; INSERT DATA {{ {data} }}", f"loading {len(batch)} graphs")
                batch, size = [], 0
            if not graph:
                break
            if len(lines) > UPDATE_CHUNK_LINES:
                self.put(graph, lines)
            else:
                batch.append((graph, lines))
                size += len(lines)

    def add(self, graph: str, lines: list[str]) -> None:
        """Add triples to a graph (those already there stay once)."""
        if self.gsp_url:
            for start in range(0, len(lines), GSP_CHUNK_LINES):
                body = "".join(lines[start : start + GSP_CHUNK_LINES]).encode("utf-8")
                self._gsp("POST", graph, f"adding to <{graph}>", body)
        else:
            self._update_chunks("INSERT DATA", graph, lines, f"adding to <{graph}>")

    def remove(self, graph: str, lines: list[str]) -> None:
        """Remove triples from a graph (SPARQL Update)."""
        self._update_chunks("DELETE DATA", graph, lines, f"removing from <{graph}>")

    def drop(self, graph: str) -> None:
        if self.gsp_url:
            self._gsp("DELETE", graph, f"dropping <{graph}>")
        else:
            self._update(f"DROP SILENT GRAPH <{graph}>", f"dropping <{graph}>")


def _info_lines(digest: str, info: dict[str, Any], graph_digests: dict[str, str], union_complete: bool) -> list[str]:
    """The build info graph: the digest, whether the union graph is complete, a SHA-256 per named
    graph, then the build info as JSON. Short lines first: Virtuoso's Graph Store Protocol cannot
    tell the type of a body whose first 64 KiB hold no line break."""
    s = ox.NamedNode(INFO_GRAPH)
    triples = [
        ox.Triple(s, ox.NamedNode(_INFO_DIGEST), ox.Literal(digest)),
        ox.Triple(s, ox.NamedNode(_INFO_UNION), ox.Literal("true" if union_complete else "false", datatype=_BOOLEAN)),
    ]
    triples += [ox.Triple(ox.NamedNode(g), ox.NamedNode(_INFO_SHA256), ox.Literal(d)) for g, d in graph_digests.items()]
    triples.append(ox.Triple(s, ox.NamedNode(_INFO_JSON), ox.Literal(json.dumps(info, sort_keys=True))))
    return [f"{t.subject} {t.predicate} {t.object} .\n" for t in triples]


def _stored_lines(conn: Connection, graph: str) -> set[str]:
    """A graph's triples as stored (N-Triples lines in pyoxigraph's form, datatypes as stored)."""
    response = conn._send(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", "application/n-triples", []
    )
    try:
        data = response.read()
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    finally:
        response.close()
    rdf_format = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
    return {f"{t.subject} {t.predicate} {t.object} .\n" for t in ox.parse(data, rdf_format)}


@dataclass
class PublishReport:
    """What a publish did."""

    endpoint: str
    dialect: str
    loaded: list[str] = field(default_factory=list)  # named graphs (re)written
    dropped: list[str] = field(default_factory=list)  # named graphs removed
    unchanged: int = 0
    union: str = ""  # how the union graph was brought up to date: rebuilt, updated, unchanged
    triples: int = 0  # triples sent (named graphs and union graph)
    requests: int = 0
    seconds: float = 0.0


def publish_remote(
    settings: Settings, nquads: bytes | Iterable[str], info: dict[str, Any], *, force: bool = False
) -> PublishReport:
    """Load a built dataset into the endpoint: each named graph whose content changed (all with
    ``force``), then drop regkg graphs no longer in it, then bring the union graph up to date,
    then write the build info. Not atomic: readers may see a mix of old and new until it ends."""
    started = time.perf_counter()
    url = settings.store.url
    dialect = _dialect(settings)
    conn = Connection(url, dialect)
    graphs = split_graphs(nquads, dialect == "virtuoso")
    if not graphs:
        raise PublishError("nothing to publish: the dataset has no named graph")
    digests = {g: hashlib.sha256("".join(lines).encode("utf-8")).hexdigest() for g, lines in graphs.items()}
    previous = _read_state(conn)
    known = previous.graph_digests if previous and not force else {}
    present = {g for g in _endpoint_graphs(conn) if g.startswith(GRAPH_NAMESPACE)} | set(known)
    to_load = sorted(g for g in graphs if known.get(g) != digests[g] or g not in present)
    to_drop = sorted(present - set(graphs))
    loader = _Loader(settings, dialect)
    incremental = bool(previous and previous.union_complete and not force and loader.can_delete_triples)
    report = PublishReport(url, dialect, to_load, to_drop, len(graphs) - len(to_load))
    union_lines: set[str] = set()
    for lines in graphs.values():
        union_lines.update(lines)
    removed: set[str] = set()
    if incremental:
        for graph in (g for g in [*to_load, *to_drop] if g in present):
            removed |= _stored_lines(conn, graph) - union_lines
    if previous and (to_load or to_drop or not incremental):
        # First forget the digests of the graphs about to change, and mark the union graph as
        # being rewritten: a publish interrupted halfway is finished by the next one (it reloads
        # those graphs and rebuilds the union graph), while the digest served stays the old one.
        kept = {g: d for g, d in known.items() if g not in set(to_load) | set(to_drop)}
        loader.put(INFO_GRAPH, _info_lines(previous.digest, previous.info, kept, False))
    loader.put_graphs([(g, graphs[g]) for g in to_load])
    report.triples += sum(len(graphs[g]) for g in to_load)
    for graph in to_drop:
        loader.drop(graph)
    if not incremental:
        everything = sorted(union_lines)
        loader.put(UNION_GRAPH, everything)
        report.union, report.triples = "rebuilt", report.triples + len(everything)
    elif to_load or removed:
        loader.remove(UNION_GRAPH, sorted(removed))
        added = sorted({line for g in to_load for line in graphs[g]})
        loader.add(UNION_GRAPH, added)
        report.union, report.triples = "updated", report.triples + len(added)
    else:
        report.union = "unchanged"
    loader.put(INFO_GRAPH, _info_lines(info["digest"], info, digests, True))
    report.requests = loader.requests
    report.seconds = time.perf_counter() - started
    return report
