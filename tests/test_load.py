"""Timeouts under load: a bounded run of bench/load.py against a real server.

16 clients mixing saved queries, SPARQL, the APIs and pages for 15 s, a pathological query (a
sorted cross product) every 3 s under a 2 s query time limit, /health polled every 0.5 s. No 5xx
other than the pathological query's designed 503, which comes at its limit; health stays quick;
and no core is left busy once the load stops.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from regkg import Store

from .server import running_server

ROOT = Path(__file__).resolve().parents[1]
QUERY_TIMEOUT = 2.0
HEALTH_BOUND = 2.0  # seconds: generous, health answers in tens of ms when all is well
IDLE_BOUND = 0.3  # cores


def _bench_load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regkg_bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_bounded_load_no_5xx_timeouts_at_limit_and_idle_after(built_store: Store) -> None:
    load = _bench_load()
    with running_server(built_store.path, env={"REGKG_QUERY_TIMEOUT": f"{QUERY_TIMEOUT:g}"}) as base_url:
        result = load.run_load(
            str(base_url),
            base_url.pid,
            duration=15.0,
            clients=16,
            pathological_every=3.0,
            query_timeout=QUERY_TIMEOUT,
        )
        log = base_url.log()
    summary, _ = load.report(result, health_bound=HEALTH_BOUND, idle_bound=IDLE_BOUND)

    assert len(result.samples) > 100, summary
    assert not result.unexpected_5xx, f"{summary}\n{log[-3000:]}"
    assert len(result.pathological) >= 4, summary
    assert result.pathological_within(QUERY_TIMEOUT + 3), summary
    assert result.health and all(s.status == 200 for s in result.health), summary
    assert max(s.seconds for s in result.health) < HEALTH_BOUND, summary
    assert result.cpu_cores_after < IDLE_BOUND, summary
