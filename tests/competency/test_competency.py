"""Competency questions: each answered by a saved query, with its expected answer and a
verbatim citation (an exact span of the source text)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from regkg import Store, normalize
from regkg.answers.saved_queries import load_saved_queries, run_saved_query

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS: list[dict[str, Any]] = tomllib.loads((Path(__file__).parent / "questions.toml").read_text("utf-8"))[
    "question"
]
QUERIES = load_saved_queries(ROOT / "queries")
SOURCES = {p.name: normalize(p.read_text(encoding="utf-8")) for p in (ROOT / "data" / "sources").glob("*.txt")}


def plain(row: Any, variables: list[str]) -> dict[str, str]:
    return {v: row[v].value for v in variables if row[v] is not None}


def matches(value: str | None, expected: str) -> bool:
    if value is None:
        return False
    if expected.startswith("*") and expected.endswith("*") and len(expected) > 1:
        return expected.strip("*") in value
    if expected.endswith("*"):
        return value.startswith(expected[:-1])
    return value == expected


def test_there_are_at_least_40_questions_with_unique_ids() -> None:
    ids = [q["id"] for q in QUESTIONS]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("q", QUESTIONS, ids=[f"{q['id']} {q['question']}" for q in QUESTIONS])
def test_competency_question(built_store: Store, q: dict[str, Any]) -> None:
    results = run_saved_query(built_store, QUERIES[q["query"]], q.get("params", {}))
    variables = [v.value for v in results.variables]
    rows = [plain(r, variables) for r in results]
    kept = [r for r in rows if all(matches(r.get(k), v) for k, v in q.get("where", {}).items())]
    assert kept, f"{q['id']}: no row matches {q.get('where')}; rows: {rows[:5]}"
    answers = [r for r in kept if all(matches(r.get(k), v) for k, v in q["expect"].items())]
    assert answers, f"{q['id']}: expected {q['expect']} among {kept[:5]}"
    if "count" in q:
        distinct = {r.get(q["count_column"]) for r in kept}
        assert len(distinct) == q["count"], f"{q['id']}: {len(distinct)} distinct {q['count_column']}: {distinct}"
    cite = q["cite"]
    pool = answers if any(cite["quote"] in (r.get("quote") or "") for r in answers) else kept
    cited = [r for r in pool if cite["quote"] in (r.get("quote") or "")]
    assert cited, f"{q['id']}: no answer row quotes «{cite['quote']}»; quotes: {[r.get('quote') for r in pool][:5]}"
    if "provision" in cite:
        assert any(r.get("provision", "").endswith(cite["provision"]) for r in cited), (
            f"{q['id']}: the quote is not attributed to …{cite['provision']}: {[r.get('provision') for r in cited]}"
        )
    for row in cited:
        assert any(normalize(row["quote"]) in text for text in SOURCES.values()), f"not verbatim: {row['quote']}"
