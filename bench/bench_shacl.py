"""Micro-benchmark: SHACL validation of synthetic corpora, pyshacl against the compiled validator.

    .venv/bin/python bench/bench_shacl.py                      # N=20 (both) and N=200 (compiled only)
    .venv/bin/python bench/bench_shacl.py --sizes 20 200 2000 --pyshacl-max 20 --slowest 10

For each size N, a synthetic corpus (regkg.synth, seed 7) is written to a temporary directory and
loaded as the build loads it: one named graph per file in an in-memory pyoxigraph store. The
compiled validator (regkg.shacl_compiled) runs over the store; pyshacl (the former implementation,
still the reference oracle of the tests) over an rdflib graph of the same files. Prints a table;
writes no result file.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from regkg.shacl_compiled import FUNCTIONS, check_shapes_compiled, compile_shapes, graph_origin  # noqa: E402
from regkg.synth import synthesize  # noqa: E402

logging.getLogger("rdflib.term").setLevel(logging.ERROR)


def data_files(root: Path) -> list[Path]:
    """The files a build loads, in its order: ontology, reference data, documents."""
    files = [root / "ontology" / "regkg.ttl"]
    files += sorted((root / "data" / "reference").glob("*.ttl"))
    return files + sorted((root / "data" / "documents").glob("*.ttl"))


def load_store(files: list[Path]) -> ox.Store:
    store = ox.Store()
    for index, path in enumerate(files):
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"urn:bench:file:{index}"))
    return store


def run_compiled(
    store: ox.Store, shapes: rdflib.Graph, files: list[Path], slowest: int
) -> tuple[float, float, float, int]:
    """Seconds to compile, to validate (wall clock and CPU), number of problems (and the slowest checks)."""
    started = time.perf_counter()
    checks = compile_shapes(shapes)
    compiled, cpu = time.perf_counter(), time.process_time()
    names = {f"urn:bench:file:{i}": str(p.relative_to(p.parents[2])) for i, p in enumerate(files)}
    problems = check_shapes_compiled(store, checks, graph_origin(store, lambda graph, _focus: names[graph]))
    done, cpu = time.perf_counter(), time.process_time() - cpu
    if slowest:
        timings = []
        for check in checks:
            t = time.perf_counter()
            list(store.query(check.query, use_default_graph_as_union=True, custom_functions=FUNCTIONS))
            timings.append((time.perf_counter() - t, check))
        for seconds, check in sorted(timings, key=lambda item: -item[0])[:slowest]:
            print(f"    {seconds:7.3f} s  {check.shape} {check.component} {check.path}")
    return compiled - started, done - compiled, cpu, len(problems)


def run_pyshacl(files: list[Path], shapes: rdflib.Graph) -> tuple[float, int]:
    from pyshacl import validate

    union = rdflib.Graph()
    for path in files:
        union.parse(path, format="turtle")
    started = time.perf_counter()
    _conforms, results, _text = validate(
        union, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    return time.perf_counter() - started, len(set(results.subjects(rdflib.RDF.type, sh.ValidationResult)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200], help="numbers of synthetic texts")
    parser.add_argument("--pyshacl-max", type=int, default=20, help="run pyshacl only up to this size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slowest", type=int, default=0, help="list the N slowest compiled checks per size")
    args = parser.parse_args()
    shapes = rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle")
    rows = []
    with tempfile.TemporaryDirectory(prefix="regkg-bench-shacl-") as tmp:
        for size in args.sizes:
            root = Path(tmp) / f"n{size}"
            synthesize(root, size, args.seed, project_root=ROOT)
            files = data_files(root)
            started = time.perf_counter()
            store = load_store(files)
            load = time.perf_counter() - started
            triples = len(store)
            print(f"N={size}: {triples} triples, loaded in {load:.2f} s", flush=True)
            compile_s, check_s, cpu_s, problems = run_compiled(store, shapes, files, args.slowest)
            pyshacl_s, results = run_pyshacl(files, shapes) if size <= args.pyshacl_max else (None, None)
            rows.append((size, triples, compile_s, check_s, cpu_s, problems, pyshacl_s, results))
    print()
    print("| N texts | triples | compile (s) | compiled check (s) | its CPU (s) | problems | pyshacl (s) | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, triples, compile_s, check_s, cpu_s, problems, pyshacl_s, results in rows:
        ratio = f"{pyshacl_s / check_s:.0f}×" if pyshacl_s else "—"
        shown = f"{pyshacl_s:.2f} ({results} results)" if pyshacl_s is not None else "—"
        print(
            f"| {size} | {triples} | {compile_s:.3f} | {check_s:.2f} | {cpu_s:.2f} | {problems} | {shown} | {ratio} |"
        )


if __name__ == "__main__":
    main()
