"""Incremental rebuilds: after an edit, patching the previous store and re-checking what the
change reaches gives the same store, the same dumps and the same refusals as a full build."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from regkg import Settings
from regkg.builder import ValidationFailed, build
from regkg.canonical import graph_of
from regkg.store import Store

from .conftest import ROOT

LUTATHERA = "data/documents/ansm-2022-04-05-cpc-lutathera.ttl"
LUMYKRAS = "data/documents/dgos-dss-2024-148-lumykras.ttl"


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's data, built once (full); each test works on a copy."""
    root = tmp_path_factory.mktemp("incremental-base")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, root / name)
    build(_settings(root), reasoner=False)
    return root


def _settings(root: Path) -> Settings:
    return Settings(root=root, store_path=root / "var" / "store")


def _copy(base: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(base, root, symlinks=True)
    return root


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the edit's anchor is no longer in {file}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _outcome(root: Path, *, full: bool) -> tuple[str, object]:
    try:
        result = build(_settings(root), reasoner=False, full=full)
    except ValidationFailed as exc:
        assert full or "patch" in exc.report.timings, "the refused build did not go the incremental way"
        return "refused", sorted(exc.report.problems)
    return "built", result


def test_nothing_changed_keeps_the_store(built_project: Path, tmp_path: Path) -> None:
    root = _copy(built_project, tmp_path)
    before = (root / "var" / "store").resolve()
    result = build(_settings(root), reasoner=False)
    assert result.unchanged, "a build with no data change should keep the store"
    assert (root / "var" / "store").resolve() == before


def test_a_valid_edit_patches_the_store_like_a_full_build(built_project: Path, tmp_path: Path) -> None:
    root = _copy(built_project, tmp_path)
    _edit(root, LUMYKRAS, '"En-tête : titre et destinataires"@fr', '"En-tête : titre, destinataires"@fr')
    kind, result = _outcome(root, full=False)
    assert kind == "built", f"the edit was refused: {result}"
    assert "incremental" in result.info, "one changed document should be built incrementally"
    assert result.info["incremental"]["changed_graphs"] == 1
    patched = Store(result.build_dir)
    dumps = {name: (result.build_dir / "dumps" / name).read_bytes() for name in ("regkg.nq.gz", "regkg.trig.gz")}
    full_root = _copy(root, tmp_path / "full")
    full = build(_settings(full_root), reasoner=False, full=True)
    assert "incremental" not in full.info
    assert result.info["digest"] == full.info["digest"], "the patched store's digest differs from a full build's"
    assert patched.canonical_nquads() == Store(full.build_dir).canonical_nquads(), "the patched store differs"
    for name, data in dumps.items():
        assert data == (full.build_dir / "dumps" / name).read_bytes(), f"dump {name} differs from a full build's"
    assert gzip.decompress(dumps["regkg.nq.gz"]).decode("utf-8").count("\n") == full.info["quads"]


# Edits that break a check at each distance from what changed: the measure two links above a
# condition, a quote, a document's own shape, a time point, a node typed twice (disjointness).
BREAKING = {
    "condition loses its board (measure two links up)": (LUTATHERA, "    rk:board <board/comete> ;\n", ""),
    "quote no longer a span": (
        LUTATHERA,
        'oa:exact "sur proposition de la RCP nationale Comete"',
        'oa:exact "sur proposition de la RCP Comete"',
    ),
    "time point loses its date": (LUMYKRAS, 'time:inXSDDate "2023-10-24"^^xsd:date ;', ""),
    "document loses its source file name pattern": (
        LUMYKRAS,
        'rk:sourceFile "dgos-dss-2024-148-lumykras.txt"',
        'rk:sourceFile "dgos dss.pdf"',
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKING))
def test_a_breaking_edit_is_refused_as_by_a_full_build(built_project: Path, tmp_path: Path, case: str) -> None:
    root = _copy(built_project, tmp_path)
    before = (root / "var" / "store").resolve()
    _edit(root, *BREAKING[case])
    kind, problems = _outcome(root, full=False)
    assert kind == "refused", f"{case}: the incremental build accepted a breaking edit"
    assert (root / "var" / "store").resolve() == before, "a refused build changed the store"
    assert not list(before.parent.glob(".tmp-*")), "a refused incremental build left its staged copy"
    full_kind, full_problems = _outcome(root, full=True)
    assert full_kind == "refused"
    assert problems == full_problems, f"{case}: incremental and full builds found different problems"


LUTATHERA_TEXT = "data/sources/ansm-2022-04-05-cpc-lutathera.txt"


def test_a_source_text_edit_rechecks_the_quotes_of_its_document(built_project: Path, tmp_path: Path) -> None:
    root = _copy(built_project, tmp_path)
    digest = Store((root / "var" / "store").resolve()).info["digest"]
    text = root / LUTATHERA_TEXT
    text.write_text(text.read_text(encoding="utf-8") + "\n(page 3/3)\n", encoding="utf-8")  # quotes still spans
    kind, result = _outcome(root, full=False)
    assert kind == "built", f"a harmless text edit was refused: {result}"
    assert result.info["incremental"]["changed_sources"] == 1 and result.info["incremental"]["changed_graphs"] == 0
    assert result.info["incremental"]["nodes_checked"] >= 1, "the document naming the text was not re-checked"
    assert result.info["digest"] == digest, "a source text is not part of the dataset"
    assert build(_settings(root), reasoner=False).unchanged, "nothing changed since: the store is kept"
    quote = "métaiodobenzylguanidine-(I131)"
    text.write_text(text.read_text(encoding="utf-8").replace(quote, "MIBG"), encoding="utf-8")
    kind, problems = _outcome(root, full=False)
    assert kind == "refused", "a text no longer holding a quote was accepted"
    full_kind, full_problems = _outcome(root, full=True)
    assert full_kind == "refused" and problems == full_problems, "incremental and full builds found different problems"
    assert any(quote in str(p) for p in problems), problems


def test_the_dump_sha256_is_the_build_digest(built_project: Path, tmp_path: Path) -> None:
    root = _copy(built_project, tmp_path)
    store = Store((root / "var" / "store").resolve())
    data = store.canonical_nquads()
    assert hashlib.sha256(data).hexdigest() == store.info["digest"], "regkg dump's SHA-256 is not the build digest"
    downloaded = gzip.decompress((store.path / "dumps" / "regkg.nq.gz").read_bytes())
    assert downloaded == data, "the build's N-Quads dump differs from regkg dump"
    assert [graph_of(line) for line in data.decode().splitlines()] == sorted(
        graph_of(line) for line in data.decode().splitlines()
    ), "the dump is not graph by graph"


def test_random_edits_of_a_synthetic_corpus_match_full_builds(tmp_path: Path) -> None:
    """Cross-document data (shared medicines, companies, signers, update chains): deleting a
    statement at random, the incremental build refuses or accepts exactly as a full build does."""
    import random

    import pyoxigraph as ox

    from regkg.synth import synthesize

    base = tmp_path / "base"
    synthesize(base, 24, seed=11, project_root=ROOT)
    build(_settings(base), reasoner=False)
    rng = random.Random(5)
    docs = sorted((base / "data" / "documents").glob("synth-*.ttl"))
    outcomes = []
    for trial in range(6):
        root = tmp_path / f"trial-{trial}"
        shutil.copytree(base, root, symlinks=True)
        path = root / "data" / "documents" / rng.choice(docs).name
        lines = path.read_text(encoding="utf-8").split("\n")
        statements = [i for i, line in enumerate(lines) if line.rstrip().endswith(";") and ":" in line]
        while True:  # a deletion that leaves valid Turtle
            i = rng.choice(statements)
            edited = "\n".join(lines[:i] + lines[i + 1 :])
            try:
                list(ox.parse(edited.encode(), ox.RdfFormat.TURTLE, base_iri="https://w3id.org/regkg/id/"))
                break
            except SyntaxError:
                continue
        path.write_text(edited, encoding="utf-8")
        incremental = _outcome(root, full=False)
        full = _outcome(root, full=True)
        label = f"deleting {lines[i].strip()!r} from {path.name}"
        assert incremental[0] == full[0], f"{label}: incremental {incremental[0]}, full {full[0]}"
        if incremental[0] == "refused":
            assert incremental[1] == full[1], f"{label}: different problems"
        else:
            assert incremental[1].info["digest"] == full[1].info["digest"], f"{label}: different stores"
            assert "incremental" in incremental[1].info
        outcomes.append(incremental[0])
    assert "refused" in outcomes, "no trial broke a check: the test no longer exercises refusals"


def test_an_ingest_patches_the_store_like_a_full_build(tmp_path: Path) -> None:
    """An ingested document goes the incremental way when the corpus is large enough (here 2
    changed graphs of 30: the document's and the revisions'), and gives what a full build gives."""
    from regkg.ingest import IngestError, expected_digest, ingest_document
    from regkg.synth import synthesize

    stem = "ansm-2023-02-14-cpc-fictivumab"
    fixtures = ROOT / "tests" / "fixtures" / "applicability"
    turtle, text = ((fixtures / f"{stem}.{ext}").read_text(encoding="utf-8") for ext in ("ttl", "txt"))
    synthesize(tmp_path, 24, seed=11, project_root=ROOT)
    settings = Settings(root=tmp_path, store_path=tmp_path / "var" / "store", ingest_reasoner=False)
    build(settings, reasoner=False)
    quote = turtle[turtle.index('oa:exact "') + len('oa:exact "') :].split('"', 1)[0]
    broken = turtle.replace(quote, quote + " (not in the text)", 1)
    with pytest.raises(IngestError) as refused:
        ingest_document(settings, stem, broken, text)
    assert refused.value.status == 422 and any("not in the text" in str(p) for p in refused.value.problems)
    ingest_document(settings, stem, turtle, text)
    info = Store(settings.store_path).info
    assert info.get("incremental", {}).get("changed_graphs") == 2, f"rebuilt in full: {info.get('incremental')}"
    assert info["digest"] == expected_digest(settings)
    full = build(settings, reasoner=False, full=True)
    assert full.info["digest"] == info["digest"], "the patched store differs from a full build's"
