"""Query worker: a child process that owns a read-only store handle and evaluates one query
at a time. The parent kills it when a query overruns its time limit, so a runaway query never
keeps a core busy after its timeout. Imports stay light (no web framework) so that respawning
is cheap."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..results import BOOLEAN_FORMATS, GRAPH_FORMATS, SOLUTION_SERIALIZERS


@dataclass
class Job:
    query: str
    fmt: str
    max_rows: int
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    union_default_graph: bool = True
    base_iri: str | None = None  # against which relative IRIs in the query resolve


@dataclass
class Outcome:
    status: int
    fmt: str = ""
    body: bytes = b""
    truncated: bool = False
    rows: int = 0
    error: str = ""
    kind: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def execute(store: ox.Store, job: Job) -> Outcome:
    """Evaluate one query and serialise at most job.max_rows rows in job.fmt."""
    kwargs: dict[str, object] = {"prefixes": PREFIXES}
    if job.base_iri:
        kwargs["base_iri"] = job.base_iri
    if job.default_graphs is not None or job.named_graphs is not None:
        try:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
        except ValueError as exc:
            return Outcome(400, error=f"default-graph-uri and named-graph-uri must be absolute IRIs: {exc}")
    else:
        kwargs["use_default_graph_as_union"] = job.union_default_graph
    try:
        results = store.query(job.query, **kwargs)
        if isinstance(results, ox.QueryBoolean):
            return Outcome(200, job.fmt, results.serialize(format=BOOLEAN_FORMATS[job.fmt]), kind="boolean")
        rows: list = []
        truncated = False
        if isinstance(results, ox.QuerySolutions):
            variables = [v.value for v in results.variables]
            width = len(variables)
            for solution in results:
                if len(rows) == job.max_rows:
                    truncated = True
                    break
                rows.append([solution[i] for i in range(width)])
            body = SOLUTION_SERIALIZERS[job.fmt](variables, rows)
            return Outcome(200, job.fmt, body, truncated, len(rows), kind="solutions")
        for triple in results:
            if len(rows) == job.max_rows:
                truncated = True
                break
            rows.append(triple)
        body = ox.serialize(rows, format=GRAPH_FORMATS[job.fmt]) or b""
        return Outcome(200, job.fmt, body, truncated, len(rows), kind="graph")
    except SyntaxError as exc:
        return Outcome(400, error=f"malformed SPARQL query: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:
        return Outcome(500, error=f"query evaluation failed: {exc}")


def serve(conn: Connection, store_path: str) -> None:
    """Worker main loop: receive jobs, send outcomes, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    store = ox.Store.read_only(store_path)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(execute(store, job))
