"""Time each compiled SHACL check (regkg.shacl_compiled) over built stores of several sizes, to find
the checks whose cost grows faster than the data.

Each store's N-Quads dump is loaded into an in-memory pyoxigraph store (as ``regkg build``
validates), every check runs once, and the table lists the slowest checks with their growth
between consecutive sizes (10x the data should cost about 10x).

Run: ``.venv/bin/python bench/scale/shacl_profile.py 100000 1000000`` (sizes whose stores
bench/scale/run.py built under bench/out/scale/); writes bench/out/scale/shacl-profile.json and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "scale"
sys.path.insert(0, str(ROOT / "src"))

from regkg.settings import Settings  # noqa: E402
from regkg.shacl import compiled  # noqa: E402
from regkg.shacl_compiled import FUNCTIONS  # noqa: E402


def profile(size: int, checks: list) -> dict[str, float]:
    """Seconds per check (keyed by shape, component and path) over the store of that size."""
    store = ox.Store()
    with gzip.open(OUT / f"store-{size}" / "dumps" / "regkg.nq.gz", "rb") as data:
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    seconds: dict[str, float] = {}
    for i, check in enumerate(checks):
        key = f"{i:03d} {check.shape or '-'} {check.component} {check.path}".strip()
        started = time.perf_counter()
        for _ in store.query(check.query, use_default_graph_as_union=True, custom_functions=FUNCTIONS):
            pass
        seconds[key] = time.perf_counter() - started
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    import rdflib

    checks = compiled(rdflib.Graph().parse(settings.shapes_file, format="turtle"))
    results = {}
    for size in args.sizes:
        results[size] = profile(size, checks)
        print(f"{size:,} triples: {sum(results[size].values()):.1f} s over {len(checks)} checks", file=sys.stderr)
    (OUT / "shacl-profile.json").write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    last = args.sizes[-1]
    header = " | ".join(f"{s:,} s" for s in args.sizes)
    growth = " | ".join(f"{a:,}→{b:,}" for a, b in itertools.pairwise(args.sizes))
    print(f"| check | {header} | {growth} |")
    print("|---|" + "--:|" * (len(args.sizes) * 2 - 1))
    for key in sorted(results[last], key=lambda k: -results[last][k])[: args.top]:
        times = [results[s][key] for s in args.sizes]
        ratios = [f"{b / a:.0f}x" if a > 0.001 else "–" for a, b in itertools.pairwise(times)]
        print(f"| {key} | " + " | ".join(f"{t:.2f}" for t in times) + " | " + " | ".join(ratios) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
