"""Benchmark: build phases, and query latency of the embedded store against rdflib's engine.

Same data (the shipped dataset), same queries. Writes bench/results-build.md. Run: make bench.
"""

from __future__ import annotations

import platform
import runpy
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rdflib

from regkg import Settings, Store, build
from regkg.datafiles import project_files
from regkg.namespaces import PREFIXES
from regkg.validation import validate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results-build.md"
PROLOGUE = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

QUERIES: dict[str, str] = {
    "lookup": "SELECT DISTINCT ?n WHERE { ?m rk:productName ?n }",
    "boards per indication": """SELECT DISTINCT ?ind ?board WHERE {
        ?m rk:framework <https://w3id.org/regkg/id/framework/cpc> ; rk:hasIndication ?ind .
        ?ind rk:hasCondition/rk:board ?board }""",
    "provenance": """SELECT DISTINCT ?x ?quote ?prov WHERE {
        ?x rk:citation ?c . ?c oa:hasSelector/oa:exact ?quote ; rk:provision ?prov }""",
    "cross-document join": """SELECT DISTINCT ?doc ?org WHERE {
        ?doc a/rdfs:subClassOf* rk:LegalDocument ; rk:emitter|eli:passed_by ?org .
        ?org rdfs:label ?l FILTER(LANG(?l) = "fr") }""",
    "aggregate": "SELECT DISTINCT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    "date filter": """SELECT DISTINCT ?p ?end WHERE { ?p time:hasEnd/time:inXSDDate ?end
        FILTER(?end >= "2024-01-01"^^xsd:date) }""",
    "text filter": """SELECT DISTINCT ?s ?l WHERE { ?s rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "tumeur")) }""",
}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    settings = Settings(root=ROOT, store_path=Path(tempfile.mkdtemp(prefix="regkg-bench-")) / "store")
    lines = [
        f"# Build and query benchmark\n\nMachine: {platform.machine()}, {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}. Data: the shipped dataset.\n"
    ]

    t0 = time.perf_counter()
    report, _ = validate(project_files(settings), settings, reasoner=False)
    t_checks = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = build(settings)
    t_build = time.perf_counter() - t0
    assert report.ok
    lines += [
        "## Build\n",
        "| step | seconds |",
        "|---|---|",
        f"| parse + privacy + quotes + SHACL | {t_checks:.2f} |",
        f"| full build (above + HermiT + skolemise + store) | {t_build:.2f} |",
        f"\n{result.info['quads']} quads.\n",
    ]

    store = Store(settings.store_path)
    union = rdflib.Dataset(default_union=True)
    union.parse(data=store.export("nquads"), format="nquads")
    lines += [
        "## Query latency, embedded pyoxigraph vs rdflib's SPARQL engine (same data, in process)\n",
        "Median of repeated runs, milliseconds.\n",
        "| query | rows | pyoxigraph p50 | rdflib p50 | ratio |",
        "|---|---|---|---|---|",
    ]
    for name, query in QUERIES.items():
        rows_ox = len(list(store.query(query)))
        rows_rdf = len(list(union.query(PROLOGUE + query)))
        assert rows_ox == rows_rdf, f"{name}: engines disagree ({rows_ox} vs {rows_rdf})"
        ox = statistics.median(timed(lambda q=query: list(store.query(q)), 50))
        rd = statistics.median(timed(lambda q=query: list(union.query(PROLOGUE + q)), 5))
        lines.append(f"| {name} | {rows_ox} | {ox:.2f} | {rd:.1f} | {rd / ox:.0f}x |")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "bench" / "combine.py"), run_name="__main__")
    print(OUT.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
