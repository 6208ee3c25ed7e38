"""Golden facts of each source text, asserted by SPARQL ASK over the built store."""

from __future__ import annotations

from pathlib import Path

import pytest

from regkg import Store

from .golden import read_facts

GOLDEN = Path(__file__).parent / "golden"
SOURCES = sorted(p.stem for p in (Path(__file__).parents[1] / "data" / "sources").glob("*.txt"))
FACTS = [fact for path in sorted(GOLDEN.glob("*.rq")) for fact in read_facts(path)]


@pytest.mark.parametrize("fact", FACTS, ids=[f"{f.source}: {f.description}" for f in FACTS])
def test_golden_fact_holds(built_store: Store, fact) -> None:
    assert bool(built_store.query(fact.query)), (
        f"{fact.source}: not true in the store: {fact.description}\n{fact.query}"
    )


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_text_has_at_least_30_golden_facts(source: str) -> None:
    count = sum(1 for f in FACTS if f.source == source)
    assert count >= 30, f"{source} has only {count} golden facts (want 30 or more in tests/golden/{source}.rq)"
