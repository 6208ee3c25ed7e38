"""Load test: timeouts and load on a real `regkg serve` over loopback.

One server (``python -m regkg.cli serve`` on a free 127.0.0.1 port, via tests/server.py's
``running_server``, stopped whatever happens) with REGKG_QUERY_TIMEOUT set to ``--timeout``. For
``--duration`` seconds:

* ``--clients`` threads, one keep-alive httpx client each (bounded timeouts), cycle through a mix
  of saved queries, SPARQL (GET and POST), the facts, search and applicability APIs and an HTML
  page;
* one thread sends a pathological SPARQL query (a cross product, sorted) every
  ``--pathological-every`` seconds: its designed answer is a 503 problem at the time limit;
* one thread polls GET /health every 0.5 s and measures its latency.

Afterwards the CPU time of the server and all its processes (query workers...) is sampled from
/proc for 3 s: a runaway query must not leave a core busy. Reports, per request kind, the count,
the answers by status class and p50/p99 latency; the throughput; the 5xx count (the pathological
query's 503 is counted apart; any other 5xx, and any transport error, is an error); the health
latency. Writes bench/results-load.md (``--output``).

Run: ``.venv/bin/python bench/load.py`` (defaults: 60 s, 32 clients, one pathological query
every 5 s, a 3 s query time limit; a store is built into bench/out/load-store if missing).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import runpy
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/server.py: the real-server helper the tests use
    sys.path.insert(0, str(ROOT))
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from tests.server import cpu_ticks, descendants, running_server  # noqa: E402

PATHOLOGICAL = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
SPARQL_SIMPLE = "SELECT ?s ?t WHERE { ?s a ?t } LIMIT 20"
SPARQL_JOIN = (
    "PREFIX rk: <https://w3id.org/regkg/ontology#> "
    "SELECT DISTINCT ?m ?n WHERE { ?m rk:productName ?n } ORDER BY ?n LIMIT 50"
)
HEALTH_EVERY = 0.5  # seconds between health checks
CPU_WINDOW = 3.0  # seconds of CPU sampling after the load


@dataclass(frozen=True)
class Request:
    """One kind of request of the client mix."""

    kind: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, str] | None = None
    content: str | None = None


MIX: tuple[Request, ...] = (
    Request("saved: indications", "GET", "/api/queries/indications", {"medicine": "Lutathera"}),
    Request("sparql GET", "GET", "/sparql", {"query": SPARQL_SIMPLE}, {"Accept": "application/sparql-results+json"}),
    Request("saved: boards", "GET", "/api/queries/boards"),
    Request("facts", "GET", "/api/facts", {"medicine": "Lutathera"}),
    Request(
        "sparql POST",
        "POST",
        "/sparql",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        content=SPARQL_JOIN,
    ),
    Request("saved: periods", "GET", "/api/queries/periods", {"medicine": "Lumykras"}),
    Request("search", "GET", "/api/search", {"q": "PPGL"}),
    Request("page (HTML)", "GET", "/id/measure/lutathera-cpc-2022/indication/ppgl", headers={"Accept": "text/html"}),
    Request(
        "applicability",
        "POST",
        "/api/applicability",
        json={"medicine": "Lumykras", "date": "2024-06-01", "treatment_start": "2023-09-01"},
    ),
)


@dataclass
class Sample:
    kind: str
    status: int | None  # None: a transport error (timeout, connection reset...)
    seconds: float
    error: str = ""


@dataclass
class LoadResult:
    """What one load run measured."""

    duration: float  # seconds the load actually ran
    clients: int
    pathological_every: float
    query_timeout: float
    samples: list[Sample]  # the client mix
    pathological: list[Sample]
    health: list[Sample]
    cpu_cores_after: float  # CPU of the server and its processes after the load, in cores
    server_processes: int

    @property
    def unexpected_5xx(self) -> list[Sample]:
        """5xx answers other than the pathological query's designed 503, and transport errors."""
        bad = [s for s in self.samples + self.health if s.status is None or s.status >= 500]
        bad += [s for s in self.pathological if not designed_timeout(s)]
        return bad

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.duration if self.duration else 0.0

    def pathological_within(self, bound: float) -> bool:
        return all(designed_timeout(s) and s.seconds <= bound for s in self.pathological)


def designed_timeout(sample: Sample) -> bool:
    """The pathological query's designed answer: a 503 problem saying the time limit stopped it
    (not a 503 for want of a free query slot)."""
    return sample.status == 503 and "problem+json" in sample.error and "time limit" in sample.error


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def status_class(sample: Sample) -> str:
    return "transport" if sample.status is None else f"{sample.status // 100}xx"


def _send(client: httpx.Client, base: str, request: Request) -> Sample:
    start = time.perf_counter()
    try:
        response = client.request(
            request.method,
            base + request.path,
            params=request.params or None,
            headers=request.headers or None,
            json=request.json,
            content=request.content,
        )
        response.read()
        code = response.status_code
        status: int | None = code
        error = "" if code < 500 else f"{response.headers.get('content-type', '')} {response.text[:200]}"
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    return Sample(request.kind, status, time.perf_counter() - start, error)


def _timeouts(query_timeout: float) -> httpx.Timeout:
    """Bounded client timeouts: a query may wait for a slot and then run, each up to the limit."""
    return httpx.Timeout(2 * query_timeout + 15, connect=5.0)


def run_load(
    base_url: str,
    server_pid: int,
    *,
    duration: float,
    clients: int,
    pathological_every: float,
    query_timeout: float,
) -> LoadResult:
    """Run the load against a running server; returns what was measured."""
    stop = threading.Event()
    lock = threading.Lock()
    samples: list[Sample] = []
    pathological: list[Sample] = []
    health: list[Sample] = []

    def client_loop(index: int) -> None:
        local: list[Sample] = []
        mix: Iterator[Request] = itertools.islice(itertools.cycle(MIX), index % len(MIX), None)
        with httpx.Client(timeout=_timeouts(query_timeout)) as client:
            for request in mix:
                if stop.is_set():
                    break
                local.append(_send(client, base_url, request))
        with lock:
            samples.extend(local)

    def pathological_loop() -> None:
        request = Request(
            "pathological",
            "POST",
            "/sparql",
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
            content=PATHOLOGICAL,
        )
        with httpx.Client(timeout=_timeouts(query_timeout)) as client:
            next_at = time.monotonic() + 1.0
            while not stop.wait(max(0.0, next_at - time.monotonic())):
                next_at += pathological_every
                pathological.append(_send(client, base_url, request))

    def health_loop() -> None:
        with httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
            while not stop.is_set():
                started = time.monotonic()
                health.append(_send(client, base_url, Request("health", "GET", "/health")))
                stop.wait(max(0.0, HEALTH_EVERY - (time.monotonic() - started)))

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    threads += [
        threading.Thread(target=pathological_loop, daemon=True),
        threading.Thread(target=health_loop, daemon=True),
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:  # requests under way finish (bounded by the client timeouts)
        thread.join()
    elapsed = time.perf_counter() - started
    cores, processes = server_cpu(server_pid, CPU_WINDOW)
    return LoadResult(
        elapsed, clients, pathological_every, query_timeout, samples, pathological, health, cores, processes
    )


def server_cpu(pid: int, window: float) -> tuple[float, int]:
    """CPU used by a process and all its descendants over ``window`` seconds, in cores; and how
    many processes that is (processes that came or went during the window are left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    before = {p: cpu_ticks(p) for p in {pid} | descendants(pid)}
    time.sleep(window)
    after = {p: cpu_ticks(p) for p in {pid} | descendants(pid)}
    common = before.keys() & after.keys()
    used = sum(max(0, after[p] - before[p]) for p in common)
    return used / tick / window, len(common)


# -- the report ----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _row(kind: str, group: list[Sample]) -> str:
    classes = Counter(status_class(s) for s in group)
    latencies = [s.seconds for s in group]
    cells = [str(classes.get(c, 0)) for c in ("2xx", "3xx", "4xx", "5xx", "transport")]
    return (
        f"| {kind} | {len(group)} | {' | '.join(cells)} | {_ms(percentile(latencies, 50))} "
        f"| {_ms(percentile(latencies, 99))} | {_ms(max(latencies, default=0.0))} |"
    )


def report(result: LoadResult, *, health_bound: float, idle_bound: float) -> tuple[str, bool]:
    """The Markdown report and the verdict (True: every criterion met)."""
    by_kind: dict[str, list[Sample]] = {}
    for sample in result.samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    health_latencies = [s.seconds for s in result.health]
    health_max = max(health_latencies, default=0.0)
    unexpected = result.unexpected_5xx
    path_bound = result.query_timeout + 3
    checks = [
        (f"unexpected 5xx / transport errors: {len(unexpected)}", not unexpected),
        (
            f"pathological queries answered 503 within {path_bound:g} s: "
            f"{sum(designed_timeout(s) and s.seconds <= path_bound for s in result.pathological)}"
            f"/{len(result.pathological)}",
            bool(result.pathological) and result.pathological_within(path_bound),
        ),
        (f"health max latency {_ms(health_max)} ms < {_ms(health_bound)} ms", health_max < health_bound),
        (
            f"server CPU {CPU_WINDOW:g} s after the load: {result.cpu_cores_after:.2f} cores < {idle_bound:g}",
            result.cpu_cores_after < idle_bound,
        ),
    ]
    ok = all(passed for _, passed in checks)
    header = "| kind | requests | 2xx | 3xx | 4xx | 5xx | transport | p50 ms | p99 ms | max ms |"
    lines = [
        "# Load benchmark: timeouts and load",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}. Date: {time.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
        f"Settings: {result.duration:.1f} s of load, {result.clients} concurrent clients (threads, one keep-alive "
        f"httpx connection each) over loopback, one pathological query every {result.pathological_every:g} s, "
        f"REGKG_QUERY_TIMEOUT={result.query_timeout:g} s, REGKG_WORKERS default, health checked every "
        f"{HEALTH_EVERY:g} s. Produced by `bench/load.py`.",
        "",
        f"Pathological query: `{PATHOLOGICAL}` (its 503 at the time limit is the designed answer).",
        "",
        "## Client mix",
        "",
        header,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(kind, group) for kind, group in sorted(by_kind.items())),
        _row("**all**", result.samples),
        "",
        f"Throughput: {result.throughput:.1f} requests/s ({len(result.samples)} requests in {result.duration:.1f} s).",
        "",
        "## Pathological query and health",
        "",
        header,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        _row("pathological (503 expected)", result.pathological),
        _row("health", result.health),
        "",
        f"After the load: {result.cpu_cores_after:.2f} cores used over {CPU_WINDOW:g} s by the server and its "
        f"{result.server_processes - 1} child processes.",
        "",
        "## Verdict",
        "",
        *(f"- {'PASS' if passed else 'FAIL'}: {text}" for text, passed in checks),
        "",
        f"**{'PASS' if ok else 'FAIL'}**",
    ]
    if unexpected:
        lines += ["", "Unexpected errors (first 10):", ""]
        lines += [f"- {s.kind}: {s.status} {s.error}" for s in unexpected[:10]]
    return "\n".join(lines) + "\n", ok


def ensure_store(path: Path) -> Path:
    """A store at ``path``, built from the shipped data (no reasoner) if there is none."""
    if not (path / "oxigraph").is_dir():
        from regkg import Settings, build

        print(f"building a store into {path} ...", flush=True)
        build(Settings(root=ROOT, store_path=path), reasoner=False)
    return path


def serve(store: Path, query_timeout: float) -> AbstractContextManager[Any]:
    return running_server(store, env={"REGKG_QUERY_TIMEOUT": f"{query_timeout:g}"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--pathological-every", type=float, default=5.0, help="seconds between pathological queries")
    parser.add_argument("--timeout", type=float, default=3.0, help="the server's REGKG_QUERY_TIMEOUT (default 3)")
    parser.add_argument("--store", type=Path, default=ROOT / "bench" / "out" / "load-store", help="store directory")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results-load.md", help="report file")
    parser.add_argument("--health-bound", type=float, default=2.0, help="max health latency in seconds (default 2)")
    parser.add_argument("--idle-bound", type=float, default=0.3, help="max cores busy after the load (default 0.3)")
    args = parser.parse_args(argv)

    store = ensure_store(args.store.resolve())
    with serve(store, args.timeout) as base_url:
        print(f"server {base_url} (pid {base_url.pid}); {args.duration:g} s of load ...", flush=True)
        result = run_load(
            str(base_url),
            base_url.pid,
            duration=args.duration,
            clients=args.clients,
            pathological_every=args.pathological_every,
            query_timeout=args.timeout,
        )
    text, ok = report(result, health_bound=args.health_bound, idle_bound=args.idle_bound)
    args.output.write_text(text, encoding="utf-8")
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "bench" / "combine.py"), run_name="__main__")
    print(text)
    print(f"written to {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
