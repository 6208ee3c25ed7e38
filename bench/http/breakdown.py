"""Where regkg's time per request goes: the same requests against variants of the server stack.

Variants (all on the benchmark data, bench/out/stores/), named by what they change:
- oxigraph: `oxigraph serve-read-only` (the engine alone: the floor);
- regkg: `regkg serve` as shipped (uvicorn with httptools and uvloop, the pure ASGI /sparql route inside
  the CORS and security middleware, query workers behind sockets, results serialised by the engine);
- regkg-h11-asyncio: the same, on uvicorn's pure-Python HTTP parser (h11) and the stdlib event loop;
- regkg-fastapi-route: /sparql answered by its FastAPI route (routing, dependencies, Request) instead
  of the pure ASGI route in front of FastAPI;
- regkg-python-results: SELECT results serialised in Python (regkg.results' own serialisers, a
  Python object per term) instead of by the engine;
- regkg-in-process: queries evaluated in the server process (no worker, no socket: no hard time
  limit either, so not an option; the cost of the process hop);
- raw-asgi: a bare ASGI application under the same uvicorn, answering a constant body (the floor of
  any Python HTTP service here);
- raw-asgi-worker: that bare application evaluating the query through regkg's query workers (the
  floor of a Python service with a hard time limit by killing a process);
- bare-fastapi: a FastAPI route answering a constant body.
Only `regkg` runs regkg's own command; the others are patched at run time (`serve` below). Nothing in
src/ changes.

All variants run at once (idle but for the one measured); each query is sent in interleaved slices
(ROUNDS x SLICE requests per variant) so that background load on a shared machine falls on all alike.
Reported: median of the per-slice p50 wall latency, and the server's CPU time per request (from
/proc, all its processes), which background load disturbs much less than wall time.

Run: .venv/bin/python bench/http/breakdown.py (after run.py has set up bench/out/); prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request  # module level: FastAPI resolves the handler's annotations here
from fastapi.responses import Response
from queries import QUERIES
from run import OUT, PROJECT_PY, VENVS, Client, Server, ensure_data, free_port, running

ROUNDS, SLICE = 3, 100
VARIANTS = [
    "oxigraph",
    "regkg",
    "regkg-h11-asyncio",
    "regkg-fastapi-route",
    "regkg-python-results",
    "regkg-in-process",
    "raw-asgi",
    "raw-asgi-worker",
    "bare-fastapi",
]
PROBES = ["ASK { }", "lookup-product", "lookup-entity", "join-board", "provenance-document"]
STORE = OUT / "stores" / "regkg"
CONSTANT = b'{"head":{},"boolean":true}'


def _raw_app(worker: bool) -> Any:
    """A bare ASGI application: a constant answer, or the query's through regkg's query workers."""
    from regkg.service.executor import QueryExecutor
    from regkg.service.worker import Job

    state: dict[str, QueryExecutor] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if worker:
                        state["executor"] = QueryExecutor(str(STORE / "oxigraph"), 2, 10.0, 30.0)
                        await state["executor"].start()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    if worker:
                        await state["executor"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        out = CONSTANT
        if worker:
            outcome = await state["executor"].run(Job(query=body.decode(), fmt="json", max_rows=10_000))
            out = outcome.body
        headers = [(b"content-type", b"application/sparql-results+json"), (b"content-length", str(len(out)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return app


def serve(port: int, variant: str) -> None:
    """Run one patched variant (called in a subprocess)."""
    import uvicorn

    run: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False}
    if variant.startswith("raw-asgi"):
        uvicorn.run(_raw_app(worker=variant.endswith("worker")), **run)
        return
    if variant == "bare-fastapi":
        app = FastAPI()

        @app.post("/sparql")
        async def sparql(request: Request) -> Response:
            await request.body()
            return Response(CONSTANT, media_type="application/sparql-results+json")

        uvicorn.run(app, **run)
        return

    import pyoxigraph as ox

    import regkg.service.app as app_module
    from regkg.service import sparql as sparql_module
    from regkg.service.executor import QueryExecutor
    from regkg.service.worker import Job, Outcome, execute
    from regkg.settings import Settings

    if variant == "regkg-python-results":
        # the workers are forked from a fork server that preloads these modules: the last one patches the first
        preload = QueryExecutor.__init__

        def init(self: QueryExecutor, *args: Any, **kwargs: Any) -> None:
            preload(self, *args, **kwargs)
            self._ctx.set_forkserver_preload(["regkg.service.worker", "python_results"])

        QueryExecutor.__init__ = init  # type: ignore[method-assign]
    if variant == "regkg-in-process":

        class InProcess:
            """QueryExecutor's interface, evaluating in the event loop's thread."""

            def __init__(self, store_path: str, *args: Any) -> None:
                self.store = ox.Store.read_only(store_path)
                self.size = 1

            async def start(self) -> None:
                return None

            async def run(self, job: Job, timeout: float | None = None) -> Outcome:
                return execute(self.store, job)

            async def reload(self, store_path: str) -> None:
                return None

            async def close(self) -> None:
                return None

        app_module.QueryExecutor = InProcess  # type: ignore[assignment,misc]
    app = app_module.create_app(Settings.from_env(str(STORE), port=port))
    if variant == "regkg-fastapi-route":
        app.user_middleware = [m for m in app.user_middleware if m.cls is not sparql_module.SparqlRoute]
    if variant == "regkg-h11-asyncio":
        run.update(loop="asyncio", http="h11")
    uvicorn.run(app, **run)


def variants() -> list[Server]:
    ox_store = next(p for p in (OUT / "stores").glob("oxigraph-*") if p.is_dir())
    me = str(Path(__file__).resolve())
    out = []
    for name in VARIANTS:
        path = "/query" if name == "oxigraph" else "/sparql"
        port = free_port()
        if name == "oxigraph":
            argv = [str(VENVS / "oxigraph" / "bin" / "oxigraph"), "serve-read-only", "--location", str(ox_store),
                    "--bind", f"127.0.0.1:{port}", "--union-default-graph"]  # fmt: skip
        elif name == "regkg":
            argv = [str(PROJECT_PY.parent / "regkg"), "serve", "--store", str(STORE), "--port", str(port),
                    "--log-level", "warning"]  # fmt: skip
        else:
            argv = [str(PROJECT_PY), me, "serve", str(port), name]
        # the fork server imports its preloaded modules from the default path (Python 3.11): this directory too
        env = {"REGKG_IN_MEMORY_MAX_QUADS": "0"}  # the on-disk store, as Oxigraph server reads it
        if name == "regkg-python-results":
            env["PYTHONPATH"] = str(Path(__file__).parent)
        out.append(Server(name, argv, port, path, env))
    return out


def measure(server: Server, text: str, count: int) -> tuple[list[float], float, int]:
    """Wall latencies (ms) of `count` sequential requests, server CPU ms per request, and errors."""
    client = Client(server)
    client.post(text)
    cpu0 = server.cpu_seconds()
    runs, errors = [], 0
    for _ in range(count):
        t0 = time.perf_counter()
        status, _ = client.post(text)
        runs.append((time.perf_counter() - t0) * 1000)
        errors += status != 200
    cpu = server.cpu_seconds() - cpu0
    client.close()
    return runs, cpu * 1000 / count, errors


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        serve(int(args[1]), args[2])
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--slice", type=int, default=SLICE)
    p.add_argument("--probes", default=",".join(PROBES), help="comma-separated query names (or SPARQL text)")
    opts = p.parse_args(args)
    ensure_data()
    texts = {q.name: q.text for q in QUERIES}
    probes = opts.probes.split(",")
    servers = variants()
    rows: dict[str, dict[str, tuple[float, float, int]]] = {s.name: {} for s in servers}
    with running(servers, timeout=120):
        for probe in probes:
            text = texts.get(probe, probe)
            p50s: dict[str, list[float]] = {s.name: [] for s in servers}
            cpus: dict[str, list[float]] = {s.name: [] for s in servers}
            errors = dict.fromkeys(p50s, 0)
            for _ in range(opts.rounds):
                for server in servers:
                    runs, cpu, failed = measure(server, text, opts.slice)
                    p50s[server.name].append(statistics.median(runs))
                    cpus[server.name].append(cpu)
                    errors[server.name] += failed
            for server in servers:
                name = server.name
                rows[name][probe] = statistics.median(p50s[name]), statistics.median(cpus[name]), errors[name]
            print(f"{probe}: done", file=sys.stderr)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"Per request, milliseconds: wall p50 / server CPU (median of {opts.rounds} interleaved slices of "
          f"{opts.slice} sequential requests; load average after: {load}). Constant-answer variants (raw-asgi, "
          "bare-fastapi) answer the same few bytes whatever the query.\n")  # fmt: skip
    print("| variant | " + " | ".join(probes) + " |")
    print("|---|" + "--:|" * len(probes))
    for name, per in rows.items():
        cells = [f"{w:.2f} / {c:.2f}" + (f" ({e} errors)" if e else "") for w, c, e in (per[p] for p in probes)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
