"""Serve N-Quads with rdflib-endpoint, as its own `rdflib-endpoint serve` CLI does (an in-memory rdflib
Dataset with default_union=True behind its FastAPI app, run by uvicorn), but with uvicorn's access log
off, as for regkg, so that neither server pays for per-request logging.

Runs in the rdflib-endpoint venv (bench/out/venvs/rdflib-endpoint), not the project's.
Usage: python serve_rdflib.py DATA.nq --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
import sys
import time

import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", help="N-Quads file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    args = p.parse_args()
    t0 = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(args.data, format="nquads")
    print(f"rdflib-endpoint: {len(dataset)} triples loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    uvicorn.run(SparqlEndpoint(graph=dataset), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
