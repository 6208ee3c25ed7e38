"""The regkg command line: outputs, exit codes and messages on broken input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from regkg import Store


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regkg.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=300,
    )


@pytest.fixture(scope="module")
def store_env(built_store: Store) -> dict[str, str]:
    return {"REGKG_STORE": str(built_store.path)}


def test_query_returns_sparql_json(store_env: dict[str, str]) -> None:
    out = run("query", "SELECT ?n WHERE { ?m rk:productName ?n } ORDER BY ?n", env=store_env)
    assert out.returncode == 0, out.stderr
    names = [b["n"]["value"] for b in json.loads(out.stdout)["results"]["bindings"]]
    assert names == ["LUMYKRAS", "Lutathera"]


def test_query_csv_and_file_and_stdin(store_env: dict[str, str], tmp_path: Path) -> None:
    q = tmp_path / "boards.rq"
    q.write_text("SELECT ?b WHERE { ?b a rk:MultidisciplinaryBoard } ORDER BY ?b", encoding="utf-8")
    out = run("query", str(q), "--format", "csv", env=store_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "b" and len(out.stdout.splitlines()) == 4
    out = run("query", "-", "--format", "tsv", env=store_env, stdin="ASK { ?s a rk:Decision }")
    assert out.returncode == 0 and "true" in out.stdout


def test_construct_query_gives_turtle(store_env: dict[str, str]) -> None:
    out = run("query", "CONSTRUCT { ?m rk:productName ?n } WHERE { ?m rk:productName ?n }", env=store_env)
    assert out.returncode == 0, out.stderr
    assert "LUMYKRAS" in out.stdout and "Lutathera" in out.stdout


def test_malformed_query_is_a_clear_error(store_env: dict[str, str]) -> None:
    out = run("query", "SELECT ?x WHERE { ?x ", env=store_env)
    assert out.returncode == 2
    assert "malformed SPARQL query" in out.stderr
    assert "Traceback" not in out.stderr


def test_update_is_refused_by_query(store_env: dict[str, str]) -> None:
    out = run("query", "DROP ALL", env=store_env)
    assert out.returncode == 2, "SPARQL Update must not be accepted by `regkg query`"


def test_missing_store_says_to_build(tmp_path: Path) -> None:
    out = run("query", "ASK {}", env={"REGKG_STORE": str(tmp_path / "nowhere")})
    assert out.returncode == 2
    assert "run `regkg build` first" in out.stderr


@pytest.mark.parametrize(
    "fmt,needle",
    [
        ("nquads", "/graph/reference> ."),
        ("trig", "/graph/reference> {"),
        ("turtle", "@prefix rk:"),
        ("jsonld", "@graph"),
    ],
)
def test_export_formats(store_env: dict[str, str], fmt: str, needle: str) -> None:
    out = run("export", "--format", fmt, env=store_env)
    assert out.returncode == 0, out.stderr
    assert needle in out.stdout


def test_validate_the_shipped_documents_passes(root: Path) -> None:
    out = run("validate", *map(str, sorted((root / "data" / "documents").glob("*.ttl"))), "--no-reasoner")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("OK")


def test_validate_reports_malformed_turtle_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix rk: <https://w3id.org/regkg/ontology#> .\n<a> rk:p "unterminated .\n', encoding="utf-8")
    out = run("validate", str(bad), "--no-reasoner")
    assert out.returncode == 1
    assert "broken.ttl" in out.stderr and "not valid Turtle" in out.stderr and "line" in out.stderr


def test_validate_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    out = run("validate", str(tmp_path / "nope.ttl"))
    assert out.returncode == 2 and "no such file" in out.stderr


def test_validate_reports_a_shape_violation_for_the_curator(tmp_path: Path, root: Path) -> None:
    src = (root / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl").read_text(encoding="utf-8")
    broken = tmp_path / "ansm-2022-04-05-cpc-lutathera.ttl"
    broken.write_text(src.replace("rk:board <board/omega>", "rk:board <org/ansm>"), encoding="utf-8")
    out = run("validate", str(broken), "--no-reasoner")
    assert out.returncode == 1
    assert "id:measure/lutathera-cpc-2022/indication/meningioma/condition/board-proposal rk:board" in out.stderr
    assert "board-proposal condition needs exactly one board" in out.stderr


def test_build_with_broken_data_exits_1_and_keeps_the_store(project_copy: Path) -> None:
    env = {"REGKG_HOME": str(project_copy), "REGKG_STORE": str(project_copy / "var" / "store")}
    ok = run("build", "--no-reasoner", env=env)
    assert ok.returncode == 0, ok.stderr
    target = os.readlink(project_copy / "var" / "store")
    doc = project_copy / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace("exploité par le laboratoire", "exploitée par"),
        encoding="utf-8",
    )
    out = run("build", "--no-reasoner", env=env)
    assert out.returncode == 1
    assert "quote is not an exact span" in out.stderr and "store was not changed" in out.stderr
    assert os.readlink(project_copy / "var" / "store") == target
