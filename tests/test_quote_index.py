"""The quote index narrows the `quotes` saved query without changing its answers; the per-handle
cache builds each derived item once; VALUES blocks restrict a variable to a set of terms."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from regkg.answers import quote_index as quote_index_module
from regkg.answers.quote_index import QuoteIndex, quote_index
from regkg.answers.saved_queries import load_saved_queries, run_saved_query
from regkg.sparql_values import bind_values
from regkg.store import Derived, Store

ROOT = Path(__file__).resolve().parents[1]
QUOTES = load_saved_queries(ROOT / "queries")["quotes"]

NEEDLES = [
    "date certaine",  # the header example
    "LUTATHERA",  # case
    "médicament",  # accents (LCASE keeps them)
    "ÉTABLISSEMENTS",  # an upper-case accented letter
    "2023",  # digits
    "l'",  # a quote character
    '"} ; DROP ALL',  # injection-looking text: only data
    "no quote says this 0x5f3759df",  # no hit
    "e",  # many hits
]


def _rows(results: ox.QuerySolutions) -> list[tuple[str | None, ...]]:
    variables = [v.value for v in results.variables]
    return [tuple(None if row[v] is None else str(row[v]) for v in variables) for row in results]


@pytest.mark.parametrize("needle", NEEDLES)
def test_quotes_query_gives_the_same_rows_with_and_without_the_index(built_store: Store, needle: str) -> None:
    narrowed = _rows(run_saved_query(built_store, QUOTES, {"text": needle}))
    plain = _rows(built_store.query(QUOTES.evaluated, substitutions={ox.Variable("text"): ox.Literal(needle)}))
    assert narrowed == plain, f"{needle!r}: {len(narrowed)} rows through the index, {len(plain)} by the engine's scan"


def test_the_index_finds_each_quote_once_and_case_insensitively(built_store: Store) -> None:
    index = quote_index(built_store)
    assert index is not None, "the real data's selectors are IRIs: the index must be built"
    assert quote_index(built_store) is index, "the index is built once per store handle"
    hits = index.matching("LUTATHERA")
    assert hits and len(hits) == len(set(hits)), f"each selector once: {hits}"
    rows = built_store.query(f"SELECT ?q WHERE {{ VALUES ?s {{ {' '.join(hits)} }} ?s oa:exact ?q }}")
    assert all("lutathera" in row["q"].value.lower() for row in rows)


def test_the_index_declines_what_it_cannot_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    index = QuoteIndex(["<urn:a>", "<urn:b>", "<urn:c>"], [0, 4, 8], "abc\x00abd\x00xyz\x00")
    assert index.matching("AB") == ["<urn:a>", "<urn:b>"]
    assert index.matching("c\x00a") is None, "a needle holding the separator: the engine scans"
    assert index.matching("q") == []
    monkeypatch.setattr(quote_index_module, "MAX_HITS", 1)
    assert index.matching("ab") is None, "too many hits: the engine scans"


def test_values_restrict_a_variable_to_a_set_of_terms() -> None:
    text = "SELECT ?s ?t WHERE {\n { ?s <urn:p> ?q FILTER(CONTAINS(?q, ?t)) }\n ?s <urn:r> ?o }"
    bound = bind_values(text, {"s": ["<urn:a>", "<urn:b>"], "t": '"x"'})
    assert bound.count("VALUES ?s { <urn:a> <urn:b> }") == 2, bound  # outermost group and the filtered group
    assert bound.count('VALUES (?t) { ("x") }') == 2, bound
    assert len(bound.splitlines()) == len(text.splitlines())
    assert len(list(ox.Store().query(bound))) == 0  # valid SPARQL


def test_derived_items_are_built_once_and_do_not_wait_on_each_other() -> None:
    derived = Derived()
    calls: list[str] = []
    slow_started, release = threading.Event(), threading.Event()

    def slow() -> str:
        calls.append("slow")
        slow_started.set()
        release.wait(10)
        return "slow"

    threads = [threading.Thread(target=derived.get, args=("slow", slow)) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert slow_started.wait(10)
    quick = threading.Thread(target=derived.get, args=("quick", lambda: "quick"))
    quick.start()
    quick.join(10)
    finished_while_slow_builds = not quick.is_alive()
    release.set()
    for thread in threads:
        thread.join()
    assert finished_while_slow_builds, "another key waited for a slow build to end"
    assert calls == ["slow"], f"built {len(calls)} times"
    assert derived.get("slow", lambda: "again") == "slow"
