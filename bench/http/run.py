"""HTTP benchmark: regkg against bare Oxigraph server and rdflib-endpoint, same data, same queries.

Each server runs as its own process on 127.0.0.1 (a free port each), over the same N-Quads
(bench/out/data.nq from make_data.py): regkg from the project venv; Oxigraph server
(`oxigraph serve-read-only --union-default-graph`, the same engine without a Python layer) and
rdflib-endpoint from their own venvs in bench/out/venvs/. All three answer with the default graph
as the union of the named graphs. Before any timing, every query's results are fetched from every
server and compared as multisets of rows; a mismatch stops the run.

Then, one server at a time (the others idle): a warm-up, sequential latency per query (one
keep-alive connection, POST application/sparql-query, JSON results, the whole body read), and
throughput with 8 concurrent clients (threads, one keep-alive connection each: a bounded client)
cycling through the query mix for a fixed duration. All servers are stopped at the end, whatever
happens. Writes bench/results-http.md (and refreshes bench/results.md). Run: make bench-http.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import make_data
from queries import QUERIES, Query

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
VENVS = OUT / "venvs"
RESULTS = ROOT / "bench" / "results-http.md"
CLIENT_TIMEOUT = 60.0  # seconds a client waits for one answer; a server slower than that "did not finish"
PROJECT_PY = Path(sys.executable)
RDFLIB_ENDPOINT_VERSION = "0.6.3"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CONCURRENCY = 8
ROUNDS = 2  # measurements are interleaved across servers in this many rounds

Row = tuple[tuple[str, tuple[str, ...]], ...]


# ---------------------------------------------------------------------------- setup


def _run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, text=True, **kwargs)


def ensure_venv(name: str, requirements: list[str]) -> Path:
    """A venv in bench/out/venvs/NAME holding `requirements` (the project venv stays untouched)."""
    venv = VENVS / name
    stamp = venv / ".bench-installed"
    wanted = " ".join(requirements)
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return venv
    print(f"setting up {venv} ({wanted})", file=sys.stderr)
    _run([str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", "--clear", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *requirements])
    stamp.write_text(wanted, encoding="utf-8")
    return venv


def ensure_data() -> dict[str, Any]:
    if not (OUT / "data.nq").is_file() or not (OUT / "data.json").is_file():
        make_data.main([])
    return json.loads((OUT / "data.json").read_text(encoding="utf-8"))


def ensure_regkg_store(info: dict[str, Any]) -> Path:
    """The data as a regkg store (bench/out/stores/regkg), rebuilt when the data changed."""
    from regkg.store import write_store

    path = OUT / "stores" / "regkg"
    build = path / "build.json"
    if build.is_file() and json.loads(build.read_text(encoding="utf-8")).get("digest") == info["digest"]:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"digest": info["digest"], "quads": info["quads"], "graphs": info["graphs"]}
    write_store(path, (OUT / "data.nq").read_bytes(), meta)
    return path


def ensure_oxigraph_store(venv: Path, info: dict[str, Any]) -> Path:
    """The data loaded by the `oxigraph` CLI into its own database directory."""
    path = OUT / "stores" / f"oxigraph-{info['digest'][:16]}"
    marker = path.with_name(path.name + ".loaded")
    if not marker.is_file():
        for old in (OUT / "stores").glob("oxigraph-*"):
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        _run([str(venv / "bin" / "oxigraph"), "load", "--location", str(path), "--file", str(OUT / "data.nq")],
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        marker.touch()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    path: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return OUT / "logs" / f"{self.name}.log"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            client = Client(self)
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = client.post("ASK { }")
                if status == 200:
                    client.close()
                    return
            client.close()
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:g} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the live processes in the server's process group."""
        if self.process is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.process.pid:  # pgrp
                    total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self) -> None:
        """SIGTERM to the server's process group (the server and its own children), then SIGKILL."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        for _ in range(50):  # children (regkg's query workers) may outlive the leader briefly
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        self.process = None


class Client:
    """One keep-alive HTTP/1.1 connection; POST application/sparql-query, JSON results."""

    def __init__(self, server: Server, timeout: float = CLIENT_TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)

    def post(self, query: str) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
        try:
            self.conn.request("POST", self.server.path, body=query.encode("utf-8"), headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def running(servers: list[Server], timeout: float) -> Iterator[list[Server]]:
    """Start every server, wait until each answers, and stop them all on the way out."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(timeout)
        yield servers
    finally:
        for server in servers:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------- results


def _term(term: dict[str, str]) -> tuple[str, ...]:
    if term["type"] == "uri":
        return ("uri", term["value"])
    if term["type"] == "bnode":
        return ("bnode",)
    lang = term.get("xml:lang", "").lower()
    datatype = term.get("datatype", XSD_STRING) if not lang else ""
    return ("literal", term["value"], lang, "" if datatype == XSD_STRING else datatype)


def canonical(body: bytes) -> list[Row]:
    """SPARQL JSON results as a sorted list of rows, each a sorted tuple of (variable, term)."""
    doc = json.loads(body)
    rows = [tuple(sorted((var, _term(t)) for var, t in b.items())) for b in doc["results"]["bindings"]]
    return sorted(rows)


def wait_idle(server: Server, limit: float = 600.0) -> None:
    """Wait until a server answers a trivial query again (after a query it did not finish in time)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        client = Client(server, timeout=limit)
        try:
            if client.post("ASK {}")[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(1)
        finally:
            client.close()
    raise SystemExit(f"{server.name} still busy {limit:g} s after a query it did not finish")


def verify(servers: list[Server], queries: list[Query]) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Row counts per query, and the (server, query) pairs a server other than the first did not
    answer within the client timeout; raises when any server's results differ from the first's."""
    counts: dict[str, int] = {}
    unfinished: set[tuple[str, str]] = set()
    problems = []
    clients = {s.name: Client(s) for s in servers}
    for query in queries:
        answers = {}
        for name, client in clients.items():
            try:
                status, body = client.post(query.text)
            except TimeoutError as exc:
                if name == servers[0].name:
                    raise SystemExit(f"{query.name}: {name} did not answer within {client.timeout:g} s") from exc
                print(f"{query.name}: {name} did not answer within {client.timeout:g} s; left out of its timings",
                      file=sys.stderr)  # fmt: skip
                unfinished.add((name, query.name))
                server = next(s for s in servers if s.name == name)
                wait_idle(server)
                clients[name] = Client(server)
                continue
            if status != 200:
                problems.append(f"{query.name}: {name} answered HTTP {status}: {body[:200]!r}")
                continue
            answers[name] = canonical(body)
        reference_name = servers[0].name
        reference = answers.get(reference_name, [])
        counts[query.name] = len(reference)
        for name, rows in answers.items():
            if rows != reference:
                missing = len([r for r in reference if r not in rows])
                extra = len([r for r in rows if r not in reference])
                problems.append(f"{query.name}: {name} has {len(rows)} rows, {reference_name} {len(reference)} "
                                f"({missing} missing, {extra} extra)")  # fmt: skip
    for client in clients.values():
        client.close()
    if problems:
        raise RuntimeError("servers disagree:\n  " + "\n  ".join(problems))
    return counts, unfinished


# ---------------------------------------------------------------------------- measurements


@dataclass
class Latency:
    runs: list[float]  # milliseconds
    cpu: float = 0.0  # server CPU seconds over all the runs (all its processes)

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request, ms: less disturbed than wall time by other load on the machine."""
        return self.cpu * 1000 / len(self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(self.runs)

    @property
    def p99(self) -> float:
        if len(self.runs) < 2:
            return self.runs[0]
        return statistics.quantiles(self.runs, n=100, method="inclusive")[98]


@dataclass
class Throughput:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    client_cpu: float
    other_cpu: float  # CPU used meanwhile by the rest of the machine (other sessions, the idle servers)
    cut: bool = False  # stopped by the time limit before every client finished its cycle

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(self.requests + other.requests, self.errors + other.errors, self.seconds + other.seconds,
                          self.latencies + other.latencies, self.server_cpu + other.server_cpu,
                          self.client_cpu + other.client_cpu, self.other_cpu + other.other_cpu,
                          self.cut or other.cut)  # fmt: skip


def sequential(server: Server, query: Query, budget: float, max_runs: int, min_runs: int) -> Latency:
    """Back-to-back requests on one connection: at most `max_runs` or `budget` seconds (at least `min_runs`)."""
    client = Client(server)
    runs: list[float] = []
    cpu0 = server.cpu_seconds()
    started = time.perf_counter()
    while len(runs) < max_runs and (len(runs) < min_runs or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        status, _ = client.post(query.text)
        runs.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{server.name} answered HTTP {status} to {query.name}")
    cpu = server.cpu_seconds() - cpu0
    client.close()
    return Latency(runs, cpu)


def system_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores) since boot, idle and I/O wait excluded."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def throughput(server: Server, queries: list[Query], duration: float, clients: int, limit: float = 150.0) -> Throughput:
    """`clients` threads, one connection each, each running whole cycles of the query mix (from a different
    starting query) until `duration` has passed; a cycle under way then is finished, so that every query
    weighs the same in the result, however slow. Requests/s = requests / time until the last client is done.
    (Counting only what completes within a fixed window would favour the cheap queries of a slow server.)
    `limit` bounds the run: past it, clients stop after their current request."""
    done: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)

    def worker(index: int) -> None:
        client = Client(server)
        start.wait()
        while time.perf_counter() < soft:
            for k in range(len(queries)):
                query = queries[(index + k) % len(queries)]
                t0 = time.perf_counter()
                try:
                    status, _ = client.post(query.text)
                except (OSError, http.client.HTTPException):
                    status = 0
                if status == 200:
                    done[index].append((time.perf_counter() - t0) * 1000)
                else:
                    errors[index] += 1
                if time.perf_counter() > hard:
                    client.close()
                    return
        client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    cpu0, client0, busy0 = server.cpu_seconds(), time.process_time(), system_busy_seconds()
    t0 = time.perf_counter()
    soft, hard = t0 + duration, t0 + limit  # read by the workers, which start at the barrier
    start.wait()
    for thread in threads:
        thread.join(timeout=limit + 60)
    elapsed = time.perf_counter() - t0
    cpu, client_cpu = server.cpu_seconds() - cpu0, time.process_time() - client0
    other = max(0.0, system_busy_seconds() - busy0 - cpu - client_cpu)
    latencies = [x for per in done for x in per]
    return Throughput(len(latencies), sum(errors), elapsed, latencies, cpu, client_cpu, other, elapsed > limit)


# ---------------------------------------------------------------------------- report


def _venv_versions(python: Path, packages: list[str]) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        f"out = {{}}\nfor p in {packages!r}:\n"
        "    try: out[p] = m.version(p)\n    except m.PackageNotFoundError: out[p] = '-'\n"
        "print(json.dumps(out))"
    )
    return json.loads(_run([str(python), "-c", code], capture_output=True).stdout)


def _git_state() -> str:
    """The commit under test, and whether src/ differs from it (others may be editing it)."""
    try:
        head = _run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True).stdout.strip()
        dirty = _run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"`{head}`" + (" with uncommitted changes in src/" if dirty else "")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


@dataclass
class Report:
    servers: list[str]
    info: dict[str, Any]
    counts: dict[str, int]
    latency: dict[str, dict[str, Latency]]  # server -> query -> latency
    load: dict[str, Throughput]
    versions: list[str]
    settings: list[str]
    started: datetime
    elapsed: float
    breakdown: str = ""
    unfinished: set[tuple[str, str]] = field(default_factory=set)  # (server, query) past the client timeout

    def _p(self, server: str, query: str, which: str) -> str:
        """A latency cell: the value, or that the server did not answer within the client timeout."""
        if (server, query) in self.unfinished:
            return f"> {CLIENT_TIMEOUT:g} s"
        return _ms(getattr(self.latency[server][query], which))

    def markdown(self) -> str:
        regkg, oxi, rdfl = "regkg", "oxigraph", "rdflib-endpoint"
        lines = [
            "# HTTP benchmark: regkg, Oxigraph server, rdflib-endpoint\n",
            "Generated by `bench/http/run.py` (`make bench-http`); how to run and read it: `bench/http/README.md`.\n",
            f"- Date: {self.started:%Y-%m-%d %H:%M} UTC; run time {self.elapsed:.0f} s.",
            f"- Machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}. Client and servers share the machine.",
            *(f"- {v}" for v in self.versions),
            f"- Data: {self.info['quads']} quads ({self.info['synthetic_quads']} synthetic from "
            f"`bench/http/make_data.py`, {self.info['real_quads']} real from `regkg export`) in "
            f"{len(self.info['graphs'])} named graphs; digest `{self.info['digest'][:16]}`.",
            *(f"- {s}" for s in self.settings),
            "",
            (
                "All three servers return the same rows for every query (checked before timing: multisets of rows "
                "compared, row counts below).\n"
            )
            if not self.unfinished
            else (
                "The servers return the same rows for every query they answered (checked before timing: multisets of "
                "rows compared, row counts below). Not answered within the client's "
                f"{CLIENT_TIMEOUT:g} s, hence neither compared nor timed: "
                + ", ".join(f"`{q}` on {s}" for s, q in sorted(self.unfinished))
                + ".\n"
            ),
            "## Sequential latency (one client, keep-alive connection)\n",
            "Milliseconds from sending the request to having read the whole response; n = runs per query and server "
            "(time-boxed, so fewer for slow servers: p99 of few runs is close to the maximum).\n",
            "| query | kind | rows | regkg p50 | regkg p99 | Oxigraph p50 | Oxigraph p99 | rdflib-endpoint p50 "
            "| rdflib-endpoint p99 | regkg / Oxigraph (p50) | rdflib-endpoint / regkg (p50) | n |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
        ]
        failing = []
        for q in QUERIES:
            lat = {s: self.latency[s].get(q.name) for s in self.servers}
            r_ox = lat[regkg].p50 / lat[oxi].p50
            if (rdfl, q.name) in self.unfinished:
                r_rd_text = f"> {_ratio(CLIENT_TIMEOUT * 1000 / lat[regkg].p50)}"
            else:
                r_rd_text = _ratio(lat[rdfl].p50 / lat[regkg].p50)
            if r_ox > 2:
                failing.append(f"{q.name} ({_ratio(r_ox)})")
            n = "/".join(str(len(lat[s].runs)) if lat[s] else "-" for s in self.servers)
            cells = " | ".join(f"{self._p(s, q.name, 'p50')} | {self._p(s, q.name, 'p99')}" for s in (regkg, oxi, rdfl))
            lines.append(
                f"| {q.name} | {q.kind} | {self.counts[q.name]} | {cells} | {_ratio(r_ox)} | {r_rd_text} | {n} |"
            )
        geo = statistics.geometric_mean([self.latency[regkg][q.name].p50 / self.latency[oxi][q.name].p50
                                         for q in QUERIES])  # fmt: skip
        lines += [
            f"\nGeometric mean of regkg / Oxigraph p50 over the {len(QUERIES)} queries: {_ratio(geo)}.\n",
            "### Server CPU per request (same runs)\n",
            "CPU seconds used by all of a server's processes over the sequential runs, per request, in ms (from "
            "/proc, 10 ms ticks): much less disturbed than wall time by other load on the machine. The difference "
            "regkg - Oxigraph is what the Python layer adds to the same engine's work.\n",
            "| query | regkg | Oxigraph | rdflib-endpoint | regkg - Oxigraph | regkg / Oxigraph |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for q in QUERIES:
            cpu = {s: self.latency[s][q.name].cpu_ms for s in (regkg, oxi)}
            rd_cpu = "-" if (rdfl, q.name) in self.unfinished else _ms(self.latency[rdfl][q.name].cpu_ms)
            lines.append(f"| {q.name} | {_ms(cpu[regkg])} | {_ms(cpu[oxi])} | {rd_cpu} "
                         f"| {cpu[regkg] - cpu[oxi]:+.2f} | {_ratio(cpu[regkg] / max(cpu[oxi], 0.01))} |")  # fmt: skip
        lines += [
            "",
            "Queries (text in `bench/http/queries.py`):\n",
            *(f"- `{q.name}`: {q.about}." for q in QUERIES),
            "",
            f"## Throughput ({CONCURRENCY} concurrent clients, mixed queries)\n",
            f"Each of {CONCURRENCY} client threads holds one keep-alive connection and cycles through the "
            f"{len(QUERIES)} queries (starting at a different one), in whole cycles, until the duration has passed "
            "and every client has finished its cycle: each query weighs the same whatever its cost (a fixed window "
            "would favour a slow server's cheap queries). regkg and Oxigraph: two rounds of half the duration, "
            "interleaved; rdflib-endpoint: one round (a whole cycle of its 8 clients takes a minute or more). "
            "CPU: seconds "
            "used by the server's processes, by the client, and by everything else on the machine during the run, "
            "per second of run (2.00 = both cores busy)."
            + "".join(
                f" `{q}` is left out of every server's mix ({s} did not answer it within {CLIENT_TIMEOUT:g} s),"
                " so that all run the same mix."
                for s, q in sorted(self.unfinished)
            )
            + "\n",
            "| server | requests | errors | requests/s | vs Oxigraph | p50 ms under load | p99 ms under load "
            "| server CPU | client CPU | other CPU |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for s in self.servers:
            t = self.load[s]
            loaded = Latency(t.latencies or [0.0])
            cut = " (cut at the time limit)" if t.cut else ""
            lines.append(
                f"| {s}{cut} | {t.requests} | {t.errors} | {t.rate:.1f} | {_ratio(t.rate / self.load[oxi].rate)} "
                f"| {_ms(loaded.p50)} | {_ms(loaded.p99)} | {t.server_cpu / t.seconds:.2f} "
                f"| {t.client_cpu / t.seconds:.2f} | {t.other_cpu / t.seconds:.2f} |"
            )
        cpu_ratios = {q.name: self.latency[regkg][q.name].cpu_ms / max(self.latency[oxi][q.name].cpu_ms, 0.01)
                      for q in QUERIES}  # fmt: skip
        worst_cpu = max(cpu_ratios.values())
        cpu_failing = [f"{name} ({_ratio(r)})" for name, r in cpu_ratios.items() if r > 2]
        tp_ox = self.load[regkg].rate / self.load[oxi].rate
        tp_rd = self.load[regkg].rate / max(self.load[rdfl].rate, 1e-9)
        met = "**met**"
        missed = "**not met**"
        lines += [
            "\n## Verdict against the targets (2-core machine)\n",
            "| target | measured | |",
            "|---|---|---|",
            f"| regkg p50 within 2x of Oxigraph server on every query | worst "
            f"{_ratio(max(self.latency[regkg][q.name].p50 / self.latency[oxi][q.name].p50 for q in QUERIES))}"
            f"{'; over 2x: ' + ', '.join(failing) if failing else ''} | {missed if failing else met} |",
            f"| regkg throughput at least half of Oxigraph server's | {_ratio(tp_ox)} of it "
            f"| {met if tp_ox >= 0.5 else missed} |",
            f"| regkg throughput at least 10x rdflib-endpoint's | {_ratio(tp_rd)} | {met if tp_rd >= 10 else missed} |",
            f"| (cross-check, not a target) regkg CPU per request within 2x of Oxigraph's on every query | worst "
            f"{_ratio(worst_cpu)}{'; over 2x: ' + ', '.join(cpu_failing) if cpu_failing else ''} "
            f"| {'within' if not cpu_failing else 'over'} |",
            "",
        ]
        other = sum(t.other_cpu for t in self.load.values()) / sum(t.seconds for t in self.load.values())
        if other > 0.3:
            lines += [
                f"Other work on the machine used {other:.2f} of its 2 cores on average during the throughput runs "
                "(and the load average was high before the run): wall times are inflated, most for the server with "
                "the most processes and hand-offs per request (regkg: event loop, then a worker process). The CPU "
                "per request table is the steadier comparison.\n",
            ]
        if self.breakdown:
            lines += [
                "## Where regkg's time per request goes\n",
                "`bench/http/breakdown.py`: the same sequential requests against variants of regkg's stack, patched "
                "at run time (src/ unchanged); see that file for what each variant changes.\n",
                self.breakdown.strip(),
                "",
            ]
        return "\n".join(lines)


def run_breakdown(timeout: float = 420.0) -> str:
    """The table of bench/http/breakdown.py, or why there is none (it patches regkg internals, which may move)."""
    argv = [str(PROJECT_PY), str(Path(__file__).with_name("breakdown.py"))]
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"(breakdown.py did not finish within {timeout:g} s)"
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        return f"(breakdown.py failed with exit code {done.returncode}:)\n\n```\n{tail}\n```"
    return done.stdout


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0, help="throughput run per server, seconds (default 10)")
    p.add_argument("--budget", type=float, default=3.0, help="sequential time box per query and server, seconds")
    p.add_argument("--runs", type=int, default=300, help="most sequential runs per query and server")
    p.add_argument("--min-runs", type=int, default=4, help="fewest sequential runs per query and server")
    p.add_argument("--output", type=Path, default=RESULTS)
    p.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="skip the breakdown of regkg's per-request cost (bench/http/breakdown.py, about 2 minutes)",
    )
    args = p.parse_args(argv)
    started, t_start = datetime.now(UTC), time.perf_counter()

    info = ensure_data()
    pyoxigraph_version = metadata.version("pyoxigraph")
    ox_venv = ensure_venv("oxigraph", [f"oxigraph=={pyoxigraph_version}"])
    rd_venv = ensure_venv("rdflib-endpoint", [f"rdflib-endpoint[cli]=={RDFLIB_ENDPOINT_VERSION}"])
    regkg_store = ensure_regkg_store(info)
    ox_store = ensure_oxigraph_store(ox_venv, info)
    data = str(OUT / "data.nq")

    port_regkg, port_ox, port_rd = free_port(), free_port(), free_port()
    serve_rdflib = str(Path(__file__).with_name("serve_rdflib.py"))
    servers = [
        Server("regkg", [str(PROJECT_PY.parent / "regkg"), "serve", "--store", str(regkg_store),
                         "--port", str(port_regkg), "--log-level", "warning"], port_regkg, "/sparql",
               env={"REGKG_IN_MEMORY_MAX_QUADS": "0"}),  # on disk, as Oxigraph server reads it
        Server("oxigraph", [str(ox_venv / "bin" / "oxigraph"), "serve-read-only", "--location", str(ox_store),
                            "--bind", f"127.0.0.1:{port_ox}", "--union-default-graph"], port_ox, "/query"),
        Server("rdflib-endpoint", [str(rd_venv / "bin" / "python"), serve_rdflib, data, "--host", "127.0.0.1",
                                   "--port", str(port_rd)], port_rd, "/"),
    ]  # fmt: skip

    regkg_v = _venv_versions(PROJECT_PY, ["regkg", "pyoxigraph", "fastapi", "starlette", "uvicorn", "httptools",
                                          "uvloop"])  # fmt: skip
    rd_v = _venv_versions(rd_venv / "bin" / "python", ["rdflib-endpoint", "rdflib", "fastapi", "uvicorn", "httptools",
                                                       "uvloop"])  # fmt: skip
    ox_v = _run([str(ox_venv / "bin" / "oxigraph"), "--version"], capture_output=True).stdout.strip()
    versions = [
        f"regkg code: commit {_git_state()}.",
        "Project venv (regkg): " + ", ".join(f"{k} {v}" for k, v in regkg_v.items()) + " ('-': not installed).",
        f"Oxigraph server: {ox_v} (PyPI package `oxigraph`: the same engine version as regkg's pyoxigraph).",
        "rdflib-endpoint venv: " + ", ".join(f"{k} {v}" for k, v in rd_v.items()) + ".",
    ]
    settings = [
        "regkg: `regkg serve --log-level warning` with REGKG_IN_MEMORY_MAX_QUADS=0 (the on-disk store, as Oxigraph "
        "server reads it; by default regkg would answer from an in-memory copy of a store this small), default "
        "settings otherwise "
        f"(REGKG_WORKERS={os.environ.get('REGKG_WORKERS', 'default: 2 per core')}, timeout 10 s, max rows 10000).",
        "Oxigraph: `oxigraph serve-read-only --union-default-graph`. rdflib-endpoint: its `SparqlEndpoint` over "
        "`Dataset(default_union=True)` (as its CLI does) under uvicorn with `log_level=warning` "
        "(`bench/http/serve_rdflib.py`).",
        f"Sequential: up to {args.runs} runs or {args.budget:g} s per query and server (at least {args.min_runs}), "
        f"after a warm-up, interleaved across the servers in {ROUNDS} rounds so that background load falls on all "
        f"alike; throughput: {CONCURRENCY} clients for {args.duration:g} s per server.",
        "Load average before the run (1, 5, 15 min): "
        + " ".join(Path("/proc/loadavg").read_text().split()[:3])
        + f" on {os.cpu_count()} cores.",
    ]

    latency: dict[str, dict[str, Latency]] = {s.name: {} for s in servers}
    load: dict[str, Throughput] = {}
    with running(servers, timeout=180):
        print("verifying that the servers agree ...", file=sys.stderr)
        counts, unfinished = verify(servers, QUERIES)
        mix = {s.name: [q for q in QUERIES if (s.name, q.name) not in unfinished] for s in servers}
        # throughput: the same mix for every server, the queries they all answered
        common = [q for q in QUERIES if not any((s.name, q.name) in unfinished for s in servers)]
        for server in servers:
            warm = Client(server)
            for query in mix[server.name] * 2:
                warm.post(query.text)
            warm.close()
        # Interleaved (each query: a slice of each server in turn, ROUNDS times), so that background load on a
        # shared machine falls on all servers alike.
        for query in QUERIES:
            parts: dict[str, list[Latency]] = {s.name: [] for s in servers}
            for _ in range(ROUNDS):
                for server in servers:
                    if (server.name, query.name) in unfinished:
                        continue
                    parts[server.name].append(sequential(server, query, args.budget / ROUNDS, args.runs // ROUNDS,
                                                         -(-args.min_runs // ROUNDS)))  # fmt: skip
            line = []
            for server in servers:
                if (server.name, query.name) in unfinished:
                    line.append(f"{server.name} > {CLIENT_TIMEOUT:g} s")
                    continue
                runs = [x for part in parts[server.name] for x in part.runs]
                lat = Latency(runs, sum(part.cpu for part in parts[server.name]))
                latency[server.name][query.name] = lat
                line.append(f"{server.name} {lat.p50:.2f}/{lat.p99:.2f} ms (n={len(runs)}, cpu {lat.cpu_ms:.2f})")
            print(f"{query.name:22s} p50/p99 " + ", ".join(line), file=sys.stderr)
        # rdflib-endpoint takes a minute or more per whole cycle of the 8 clients: one round only.
        for round_ in range(ROUNDS):
            for server in servers:
                rounds = 1 if server.name == "rdflib-endpoint" else ROUNDS
                if round_ >= rounds:
                    continue
                t = throughput(server, common, args.duration / rounds, CONCURRENCY)
                load[server.name] = load[server.name] + t if server.name in load else t
                print(f"{server.name}: {CONCURRENCY} clients: {t.rate:.1f} requests/s, {t.errors} errors",
                      file=sys.stderr)  # fmt: skip

    breakdown = ""
    if args.breakdown:
        print("breakdown of regkg's per-request cost (bench/http/breakdown.py) ...", file=sys.stderr)
        breakdown = run_breakdown()
    report = Report([s.name for s in servers], info, counts, latency, load, versions, settings, started,
                    time.perf_counter() - t_start, breakdown, unfinished)  # fmt: skip
    args.output.write_text(report.markdown(), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    runpy.run_path(str(ROOT / "bench" / "combine.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
