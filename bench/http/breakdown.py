"""Where regkg's time per request goes: the same requests against variants of the server stack.

Variants (all on the benchmark data, bench/out/stores/), named by what they change:
- oxigraph: `oxigraph serve-read-only` (the engine alone: the floor);
- regkg: `regkg serve` as shipped (uvicorn with h11 and the asyncio loop, FastAPI, CORS and body-limit
  middleware, query workers behind pipes);
- +uvloop: httptools and uvloop importable (uvicorn then uses them). With the shipped executor this
  fails on larger results: uvloop's add_reader leaves the worker pipe non-blocking, so the executor's
  `conn.recv()` raises BlockingIOError on a partly arrived message, read as "the query worker died";
- +fdfix: the worker pipe set back to blocking after each wait;
- +no-limit-mw: regkg's app without its `@app.middleware("http")` body-limit middleware (Starlette's
  BaseHTTPMiddleware, which runs the rest of the app in a task with memory streams);
- +no-mw: without that one nor CORSMiddleware (no middleware of regkg's own);
- +in-process: queries evaluated in the server process (no worker, no pipe, no pickling);
- bare-fastapi: a FastAPI route answering a constant body (the floor of the Python stack).
Only `regkg` and `regkg+uvloop` run regkg's own command; the others are patched at run time (`serve`
below). Nothing in src/ changes.

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

from fastapi import FastAPI, Request  # module level: FastAPI resolves the handler's annotations here
from fastapi.responses import Response
from queries import QUERIES
from run import OUT, PROJECT_PY, VENVS, Client, Server, ensure_data, free_port, running

EXTRAS = OUT / "extras"  # httptools and uvloop, installed with pip --target (not into the project venv)
ROUNDS, SLICE = 3, 100
VARIANTS = [
    "oxigraph",
    "regkg",
    "regkg+uvloop",
    "regkg+uvloop+fdfix",
    "regkg+no-limit-mw",
    "regkg+no-mw",
    "regkg+in-process",
    "regkg+in-process+uvloop",
    "regkg+uvloop+fdfix+no-mw",
    "regkg+in-process+uvloop+no-mw",
    "bare-fastapi",
    "bare-fastapi+uvloop",
]
PROBES = ["ASK { }", "lookup-product", "lookup-entity", "provenance-document"]


def serve(port: int, variant: str) -> None:
    """Run one patched variant of regkg's app (called in a subprocess)."""
    import uvicorn

    if variant.startswith("bare-fastapi"):
        app = FastAPI()
        body = b'{"head":{},"boolean":true}'

        @app.post("/sparql")
        async def sparql(request: Request) -> Response:
            await request.body()
            return Response(body, media_type="application/sparql-results+json")

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return

    import pyoxigraph as ox

    import regkg.service.app as app_module
    from regkg.service.worker import Job, Outcome, execute
    from regkg.settings import Settings

    features = set(variant.split("+")[1:])
    if "fdfix" in features:
        import os

        from regkg.service import executor

        wait = executor._Worker._readable

        async def readable(self: executor._Worker) -> None:
            try:
                await wait(self)
            finally:
                os.set_blocking(self.conn.fileno(), True)

        executor._Worker._readable = readable  # type: ignore[method-assign]
    if "in-process" in features:

        class InProcess:
            """QueryExecutor's interface, evaluating in the event loop's thread."""

            def __init__(self, store_path: str, workers: int = 1, timeout: float = 10.0) -> None:
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
    settings = Settings.from_env(str(OUT / "stores" / "regkg"), port=port)
    app = app_module.create_app(settings)
    if "no-mw" in features:
        app.user_middleware = []
    if "no-limit-mw" in features:
        app.user_middleware = [m for m in app.user_middleware if getattr(m.cls, "__name__", "") != "BaseHTTPMiddleware"]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def variants() -> list[Server]:
    ox_store = next(p for p in (OUT / "stores").glob("oxigraph-*") if p.is_dir())
    fast = {"PYTHONPATH": str(EXTRAS)}
    me = str(Path(__file__).resolve())
    out = []
    for name in VARIANTS:
        path = "/query" if name == "oxigraph" else "/sparql"
        env = fast if "uvloop" in name.split("+") else {}
        port = free_port()
        if name == "oxigraph":
            argv = [str(VENVS / "oxigraph" / "bin" / "oxigraph"), "serve-read-only", "--location", str(ox_store),
                    "--bind", f"127.0.0.1:{port}", "--union-default-graph"]  # fmt: skip
        elif name in ("regkg", "regkg+uvloop"):
            argv = [str(PROJECT_PY.parent / "regkg"), "serve", "--store", str(OUT / "stores" / "regkg"),
                    "--port", str(port), "--log-level", "warning"]  # fmt: skip
        else:
            argv = [str(PROJECT_PY), me, "serve", str(port), name]
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
    opts = p.parse_args(args)
    ensure_data()
    if not EXTRAS.is_dir():
        import subprocess

        subprocess.run([str(PROJECT_PY), "-m", "pip", "install", "--quiet", "--target", str(EXTRAS), "httptools",
                        "uvloop"], check=True)  # fmt: skip
    texts = {q.name: q.text for q in QUERIES}
    servers = variants()
    rows: dict[str, dict[str, tuple[float, float, int]]] = {s.name: {} for s in servers}
    with running(servers, timeout=120):
        for probe in PROBES:
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
          f"{opts.slice} sequential requests; load average after: {load}).\n")  # fmt: skip
    print("| variant | " + " | ".join(PROBES) + " |")
    print("|---|" + "--:|" * len(PROBES))
    for name, per in rows.items():
        cells = [f"{w:.2f} / {c:.2f}" + (f" ({e} errors)" if e else "") for w, c, e in (per[p] for p in PROBES)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
