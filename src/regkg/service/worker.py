"""Query worker: a child process that owns a read-only store handle and evaluates one query
at a time. The parent kills it when a query overruns its time limit, so a runaway query never
keeps a core busy after its timeout. Imports stay light (no web framework) so that respawning
is cheap."""

from __future__ import annotations

import marshal
import os
import signal
import struct
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ..backend import open_worker_store
from ..namespaces import PREFIXES
from ..results import (
    BOOLEAN_FORMATS,
    ENGINE_COUNTED_FORMATS,
    GRAPH_FORMATS,
    SOLUTION_SERIALIZERS,
    ResultTooLarge,
    engine_serialize,
)

ENGINE_BYTE_CAP = 16 << 20  # bytes of engine-serialised results before falling back (at least)


def _byte_cap(max_rows: int) -> int:
    return max(ENGINE_BYTE_CAP, max_rows * 1024)


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
    seconds: float = 0.0  # set by the service: from sending the job to having its outcome (not sent)


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
        if isinstance(results, ox.QuerySolutions) and job.fmt in ENGINE_COUNTED_FORMATS:
            try:  # serialised by the engine, with an exact row count (see regkg.results)
                body, count, truncated = engine_serialize(results, job.fmt, job.max_rows, _byte_cap(job.max_rows))
                return Outcome(200, job.fmt, body, truncated, count, kind="solutions")
            except ResultTooLarge:  # a huge result: evaluated again below, stopping at the row limit
                results = store.query(job.query, **kwargs)
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


# -- the wire between the service and its workers ------------------------------------------------
#
# Frames as multiprocessing's Connection.send_bytes writes them (a big-endian signed 32-bit length,
# or -1 then an unsigned 64-bit length), so the worker reads jobs with Connection.recv_bytes. A job
# is a marshalled tuple; an outcome is its marshalled metadata (length-prefixed) followed by the
# result body exactly as serialised here, which the service relays without decoding it. No pickle:
# nothing but plain values crosses, and the body is never copied into another object.

READY = b"ready"


def encode_job(job: Job) -> bytes:
    return marshal.dumps((job.query, job.fmt, job.max_rows, job.default_graphs, job.named_graphs,
                          job.union_default_graph, job.base_iri))  # fmt: skip


def decode_job(data: bytes) -> Job:
    return Job(*marshal.loads(data))


def frame_header(size: int) -> bytes:
    return struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)


def outcome_parts(outcome: Outcome) -> tuple[bytes, bytes]:
    """The outcome as (length-prefixed metadata, body): the frame's payload is their concatenation."""
    meta = marshal.dumps((outcome.status, outcome.fmt, outcome.truncated, outcome.rows, outcome.error,
                          outcome.kind, tuple(outcome.extra.items())))  # fmt: skip
    return struct.pack("!I", len(meta)) + meta, outcome.body


def decode_outcome(payload: bytes | bytearray | memoryview) -> Outcome:
    view = memoryview(payload)
    (size,) = struct.unpack_from("!I", view)
    status, fmt, truncated, rows, error, kind, extra = marshal.loads(view[4 : 4 + size])
    return Outcome(status, fmt, bytes(view[4 + size :]), truncated, rows, error, kind, dict(extra))


def _send_frame(fd: int, parts: tuple[bytes, ...]) -> None:
    """One frame in one system call (no concatenation of a large body); blocking descriptor."""
    buffers = [frame_header(sum(len(p) for p in parts)), *parts]
    while buffers:
        written = os.writev(fd, buffers)
        while buffers and written >= len(buffers[0]):
            written -= len(buffers[0])
            buffers.pop(0)
        if buffers and written:
            buffers[0] = buffers[0][written:]


def serve(conn: Connection, store_path: str) -> None:
    """Worker main loop: receive jobs, send outcomes, until the pipe closes. ``store_path`` is
    what :func:`regkg.backend.worker_target` gives: the embedded database, or a remote endpoint."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    store = open_worker_store(store_path)
    conn.send_bytes(READY)
    fd = conn.fileno()
    while True:
        try:
            job = decode_job(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            _send_frame(fd, outcome_parts(execute(store, job)))
        except OSError:  # the service closed the pipe (it stops, or gave up on this query)
            return
