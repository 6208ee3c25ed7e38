"""Quick A/B of regkg's per-request latency against Oxigraph server, on a few queries of the mix.

A much shorter check than run.py (a minute or two): Oxigraph server and one or more regkg servers
(`regkg serve`, each optionally from another source tree given as NAME=PATH/TO/src, to compare a
change with a copy of the code before it) run at once, idle but for the one measured; each query is
sent in interleaved slices of sequential requests to each server in turn, so that background load
falls on all alike. Prints, per query, the median over the slices of the p50 wall latency and of
the server CPU per request, and the ratio of each regkg to Oxigraph server.

Run (after run.py or make_data.py has set up bench/out/):

    .venv/bin/python bench/http/compare.py [--rounds 5] [--slice 100] [--get] [base=/tmp/base/src ...]
    .venv/bin/python bench/http/compare.py nospin=,REGKG_WORKERS=2   # the same tree, another setting
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from queries import QUERIES
from run import CONCURRENCY, OUT, PROJECT_PY, VENVS, Client, Server, ensure_data, free_port, running, throughput

PROBES = ["ASK { }", "lookup-product", "lookup-entity", "join-updates", "join-board", "provenance-product",
          "provenance-document"]  # fmt: skip


class GetClient(Client):
    """The same requests as GET /sparql?query=… (a query in the URL)."""

    def post(self, query: str) -> tuple[int, bytes]:
        path = self.server.path + "?query=" + quote(query, safe="")
        try:
            self.conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            response = self.conn.getresponse()
            return response.status, response.read()
        except OSError:
            self.conn.close()
            raise


def measure(server: Server, text: str, count: int, get: bool) -> tuple[float, float, int]:
    client = (GetClient if get else Client)(server)
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
    return statistics.median(runs), cpu * 1000 / count, errors


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--slice", type=int, default=100)
    p.add_argument("--get", action="store_true", help="GET with the query in the URL (default: POST)")
    p.add_argument("--throughput", type=float, default=0.0, metavar="SECONDS",
                   help="also run.py's throughput run (8 clients, the whole mix), this long per server, in 2 "
                        "interleaved rounds")  # fmt: skip
    p.add_argument("--probes", default=",".join(PROBES), help="comma-separated query names (or SPARQL text)")
    p.add_argument(
        "trees",
        nargs="*",
        help="NAME=[PATH][,VAR=VALUE...]: another regkg server, from the source tree "
        "PATH (PYTHONPATH) and/or with these environment variables",
    )
    opts = p.parse_args(argv)
    ensure_data()
    texts = {q.name: q.text for q in QUERIES}
    ox_store = next(p for p in (OUT / "stores").glob("oxigraph-*") if p.is_dir())
    port = free_port()
    servers = [Server("oxigraph", [str(VENVS / "oxigraph" / "bin" / "oxigraph"), "serve-read-only", "--location",
                                   str(ox_store), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                      port, "/query")]  # fmt: skip
    for name, spec in [("regkg", ""), *(t.split("=", 1) for t in opts.trees)]:
        port = free_port()
        argv_ = [str(PROJECT_PY), "-m", "regkg.cli", "serve", "--store", str(OUT / "stores" / "regkg"), "--port",
                 str(port), "--log-level", "warning"]  # fmt: skip
        src, *assignments = spec.split(",") if spec else [""]
        env = {"REGKG_IN_MEMORY_MAX_QUADS": "0", **dict(a.split("=", 1) for a in assignments)}  # on disk by default
        if src:
            env["PYTHONPATH"] = src
        servers.append(Server(name, argv_, port, "/sparql", env))
    probes = opts.probes.split(",")
    rows = []
    with running(servers, timeout=120):
        for probe in probes:
            text = texts.get(probe, probe)
            p50s: dict[str, list[float]] = {s.name: [] for s in servers}
            cpus: dict[str, list[float]] = {s.name: [] for s in servers}
            errors = dict.fromkeys(p50s, 0)
            for _ in range(opts.rounds):
                for server in servers:
                    p50, cpu, failed = measure(server, text, opts.slice, opts.get)
                    p50s[server.name].append(p50)
                    cpus[server.name].append(cpu)
                    errors[server.name] += failed
            cells = {s.name: (statistics.median(p50s[s.name]), statistics.median(cpus[s.name]), errors[s.name])
                     for s in servers}  # fmt: skip
            rows.append((probe, cells))
            ox = cells["oxigraph"][0]
            line = "  ".join(f"{n} {w:.2f}/{c:.2f}" + (f" ({w / ox:.2f}x)" if n != "oxigraph" else "")
                             + (f" {e} errors" if e else "") for n, (w, c, e) in cells.items())  # fmt: skip
            print(f"{probe[:22]:22s} {line}", file=sys.stderr)
        rates: dict[str, list[float]] = {s.name: [] for s in servers}
        if opts.throughput > 0:
            for _ in range(2):
                for server in servers:
                    t = throughput(server, QUERIES, opts.throughput / 2, CONCURRENCY)
                    rates[server.name].append(t.requests / t.seconds)
                    print(f"{server.name}: {t.requests / t.seconds:.1f} requests/s, {t.errors} errors", file=sys.stderr)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    names = [s.name for s in servers]
    print(f"\nwall p50 / server CPU per request, ms (median of {opts.rounds} interleaved slices of {opts.slice}; "
          f"{'GET' if opts.get else 'POST'}; load average after: {load})\n")  # fmt: skip
    print("| query | " + " | ".join(names) + " | " + " | ".join(f"{n} / oxigraph" for n in names[1:]) + " |")
    print("|---|" + "--:|" * (2 * len(names) - 1))
    for probe, cells in rows:
        ox = cells["oxigraph"][0]
        print(f"| {probe[:22]} | " + " | ".join(f"{w:.2f} / {c:.2f}" for w, c, _ in cells.values()) + " | "
              + " | ".join(f"{cells[n][0] / ox:.2f}x" for n in names[1:]) + " |")  # fmt: skip
    if opts.throughput > 0:
        ox_rate = statistics.mean(rates["oxigraph"])
        print(
            f"\nthroughput, {CONCURRENCY} clients, requests/s (mean of 2 interleaved rounds): "
            + ", ".join(f"{n} {statistics.mean(r):.1f} ({statistics.mean(r) / ox_rate:.2f}x)" for n, r in rates.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
