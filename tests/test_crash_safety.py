"""Crash safety and recovery: a build, a store write and an ingest killed with SIGKILL at various
moments leave the store at the old version or at the new one, never a mix, with the ingest
directory agreeing with it; the service starts again on it (and finishes an interrupted ingest);
``dump`` / ``restore`` round-trip the whole dataset with its named graphs identically."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from regkg import Settings, Store
from regkg.ingest import IngestPaths, expected_digest, read_audit, recover
from regkg.store import canonical_nquads, read_build_info, restore_store, store_lock, write_dump, write_store

from .server import running_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "applicability"
STEM = "ansm-2023-02-14-cpc-fictivumab"
TOKEN = "crash-test-token-0123456789"
RNG = random.Random(20240214)


def clone_store(store: Store, parent: Path) -> Path:
    """A private copy of a built store (its build directory and a link to it)."""
    source = store.path.resolve()
    builds = parent / ".store.builds"
    builds.mkdir(parents=True)
    shutil.copytree(source, builds / source.name)
    (parent / "store").symlink_to(Path(".store.builds") / source.name)
    return parent / "store"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGKG_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def kill_when(
    command: list[str], ready: Callable[[], bool], delay: float, env: dict[str, str], timeout: float = 120
) -> bool:
    """Run a command; SIGKILL it ``delay`` seconds after ``ready()`` first holds. Returns whether
    it was killed (False: it ended first)."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if process.poll() is not None:
                return False
            assert time.monotonic() < deadline, "the trigger never came"
            time.sleep(0.002)
        time.sleep(delay)
        if process.poll() is not None:
            return False
        os.killpg(process.pid, signal.SIGKILL)
        return True
    finally:
        process.wait(30)
        if process.stderr:
            process.stderr.close()


def store_state(path: Path) -> str:
    """The digest of the store a link points to, after checking it is a complete build: a
    finished build directory with its build.json, opening read-only, as many quads as recorded."""
    target = path.resolve()
    assert path.is_symlink() and target.is_dir(), f"{path} is not a link to a build"
    assert not target.name.startswith(".tmp-"), "the link points to an unfinished build"
    info = read_build_info(path)
    assert info is not None, "no build.json"
    store = Store(target)
    assert len(store) == info["quads"], "the store and its build.json disagree"
    assert set(store.graphs()) == set(info["graphs"]) - {""}
    return str(info["digest"])


def sha_lines(data: bytes) -> str:
    h = hashlib.sha256()
    for line in data.decode("utf-8").splitlines(keepends=True):
        h.update(line.encode("utf-8"))
    return h.hexdigest()


def builds_under(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.builds/*"))


# ---------------------------------------------------------------------------- builds


def test_kill_9_during_a_build_leaves_the_old_or_the_new_store(built_store: Store, project_copy: Path) -> None:
    store_path = clone_store(built_store, project_copy / "var")
    old = store_state(store_path)
    lutathera = project_copy / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl"
    lutathera.write_text(
        lutathera.read_text(encoding="utf-8").replace('"Legal basis (visa)"@en', '"Legal bases (visas)"@en', 1),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "regkg.cli", "build", "--store", str(store_path), "--no-reasoner"]
    env = child_env(REGKG_HOME=str(project_copy))
    writing = lambda: any(p.name.startswith(".tmp-") for p in builds_under(store_path))  # noqa: E731
    seen = set()
    for delay in (0.0, RNG.uniform(0.05, 0.6)):
        kill_when(command, writing, delay, env)
        seen.add(state := store_state(store_path))
        assert state == old or state != old  # complete either way (store_state checked it)
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr
    new = store_state(store_path)
    assert new != old and seen <= {old, new}
    assert not [p for p in builds_under(store_path) if p.name.startswith(".tmp-")], "leftovers cleaned"
    with running_server(store_path) as url:
        assert httpx.get(f"{url}/health").json()["digest"] == new


WRITER = """
import sys
from pathlib import Path
from regkg.store import store_lock, write_store
path, data, digest = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), sys.argv[3]
count = data.count(b"\\n")
with store_lock(path):
    write_store(path, data, {"digest": digest, "quads": count, "graphs": {sys.argv[4]: count}})
"""


def test_kill_9_at_any_moment_of_a_store_write(built_store: Store, tmp_path: Path) -> None:
    """A larger dataset (20 000 quads) written by write_store, killed at spread moments."""
    store_path = clone_store(built_store, tmp_path)
    old = store_state(store_path)
    graph = "https://w3id.org/regkg/id/graph/synthetic"
    lines = sorted(
        f"<https://w3id.org/regkg/id/synthetic/s{i}> <http://www.w3.org/2000/01/rdf-schema#label> "
        f'"synthetic label {i}" <{graph}> .\n'
        for i in range(20_000)
    )
    data = "".join(lines).encode("utf-8")
    (tmp_path / "big.nq").write_bytes(data)
    new = sha_lines(data)
    command = [sys.executable, "-c", WRITER, str(store_path), str(tmp_path / "big.nq"), new, graph]
    writing = lambda: any(p.name.startswith(".tmp-") for p in builds_under(store_path))  # noqa: E731
    outcomes = []
    for delay in (0.0, 0.15, 0.5, RNG.uniform(0.5, 1.5), RNG.uniform(1.5, 3.0)):
        killed = kill_when(command, writing, delay, child_env())
        state = store_state(store_path)
        assert state in (old, new)
        outcomes.append((delay, killed, state == new))
        if state == new:  # start again from the old store for the next moment
            shutil.rmtree(store_path.parent / ".store.builds")
            store_path.unlink()
            store_path = clone_store(built_store, tmp_path / f"again-{len(outcomes)}")
            command[3] = str(store_path)
    print("store write kills (delay, killed, new):", outcomes)
    assert any(killed and not is_new for _, killed, is_new in outcomes), "no kill landed during a write"
    with store_lock(store_path):
        write_store(store_path, data, {"digest": new, "quads": len(lines), "graphs": {graph: len(lines)}})
    assert store_state(store_path) == new
    assert len(builds_under(store_path)) <= 2, "a write removes what interrupted writes left"
    assert Store(store_path).canonical_nquads() == data


# ---------------------------------------------------------------------------- ingests

INGEST = f"""
import os, sys
from pathlib import Path
from regkg import Settings
import regkg.ingest as ingest
import regkg.store as store
settings = Settings(root=Path({str(ROOT)!r}), store_path=Path(sys.argv[1]), ingest_reasoner=False)
real = store.commit  # the swap of the store link, whether the store is patched or written in full
if sys.argv[2] == "die-before-swap":
    store.commit = lambda *a, **k: os._exit(9)
elif sys.argv[2] == "die-after-swap":
    def swap_then_die(*a, **k):
        real(*a, **k)
        os._exit(9)
    store.commit = swap_then_die
fixtures = Path({str(FIXTURES)!r})
ingest.ingest_document(settings, {STEM!r}, (fixtures / "{STEM}.ttl").read_text(encoding="utf-8"),
                       (fixtures / "{STEM}.txt").read_text(encoding="utf-8"))
"""


def consistent(settings: Settings) -> str:
    """The store's digest, after checking the store is complete and is what the files say."""
    state = store_state(settings.store_path)
    assert expected_digest(settings) == state, "the store and the ingest directory disagree"
    has_graph = f"https://w3id.org/regkg/id/graph/{STEM}" in (read_build_info(settings.store_path) or {})["graphs"]
    assert has_graph == (settings.ingest_dir / "documents" / f"{STEM}.ttl").is_file()
    assert not list(IngestPaths(settings.ingest_dir).pending.glob("*")), "a pending write is left"
    return state


def run_ingest(store_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", INGEST, str(store_path), mode]
    return subprocess.run(command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=180)


def test_an_ingest_that_dies_before_the_swap_is_rolled_back(built_store: Store, tmp_path: Path) -> None:
    settings = Settings(root=ROOT, store_path=clone_store(built_store, tmp_path))
    old = store_state(settings.store_path)
    assert run_ingest(settings.store_path, "die-before-swap").returncode == 9
    pending = list(IngestPaths(settings.ingest_dir).pending.glob("*/manifest.json"))
    assert len(pending) == 1, "validated and staged, not swapped"
    assert store_state(settings.store_path) == old
    with store_lock(settings.store_path):
        assert set(recover(settings).values()) == {"rolled back"}
    assert consistent(settings) == old
    assert read_audit(settings)[-1]["result"] == "interrupted"


def test_an_ingest_that_dies_after_the_swap_is_finished_when_the_service_starts(
    built_store: Store, tmp_path: Path
) -> None:
    settings = Settings(root=ROOT, store_path=clone_store(built_store, tmp_path))
    old = store_state(settings.store_path)
    assert run_ingest(settings.store_path, "die-after-swap").returncode == 9
    new = store_state(settings.store_path)
    assert new != old, "swapped"
    assert not (settings.ingest_dir / "documents" / f"{STEM}.ttl").exists(), "not yet applied"
    with running_server(settings.store_path) as url:  # its startup finishes the interrupted ingest
        assert httpx.get(f"{url}/health").json()["digest"] == new
        stems = {d["stem"] for d in httpx.get(f"{url}/api/documents").json()["documents"]}
        assert STEM in stems
    assert consistent(settings) == new
    entry = read_audit(settings)[-1]
    assert entry["result"] == "created" and entry["recovered"] is True and entry["store_digest_after"] == new

    # dump / restore keep the ingested graph and the revisions graph, identically
    dump = Store(settings.store_path).canonical_nquads()
    restored = tmp_path / "restored" / "store"
    restore_store(restored, dump, origin="test")
    assert Store(restored).canonical_nquads() == dump
    assert "https://w3id.org/regkg/id/graph/revisions" in Store(restored).graphs()
    assert read_build_info(restored)["digest"] == new


def test_kill_9_at_random_moments_of_an_ingest(built_store: Store, tmp_path: Path) -> None:
    outcomes = []
    for n, (phase, delay) in enumerate((("staged", RNG.uniform(0.0, 2.0)), ("writing", RNG.uniform(0.0, 0.4)))):
        settings = Settings(root=ROOT, store_path=clone_store(built_store, tmp_path / f"case-{n}"))
        old = store_state(settings.store_path)
        paths = IngestPaths(settings.ingest_dir)
        triggers = {
            "staged": lambda paths=paths: any(paths.pending.glob("*/manifest.json")),
            "writing": lambda s=settings: any(p.name.startswith(".tmp-") for p in builds_under(s.store_path)),
        }
        command = [sys.executable, "-c", INGEST, str(settings.store_path), "plain"]
        killed = kill_when(command, triggers[phase], delay, child_env())
        with store_lock(settings.store_path):
            recover(settings)
        state = consistent(settings)
        outcomes.append((phase, round(delay, 2), killed, "new" if state != old else "old"))
    print("ingest kills (phase, delay, killed, outcome):", outcomes)


def test_kill_9_of_the_service_during_an_ingest_then_restart(built_store: Store, tmp_path: Path) -> None:
    settings = Settings(root=ROOT, store_path=clone_store(built_store, tmp_path))
    old = store_state(settings.store_path)
    env = {"REGKG_INGEST_TOKEN": TOKEN, "REGKG_INGEST_REASONER": "false", "REGKG_WORKERS": "2"}
    body = {
        "turtle": (FIXTURES / f"{STEM}.ttl").read_text(encoding="utf-8"),
        "source_text": (FIXTURES / f"{STEM}.txt").read_text(encoding="utf-8"),
    }
    with running_server(settings.store_path, env=env) as url:
        errors: list[BaseException] = []

        def send() -> None:
            try:
                httpx.put(
                    f"{url}/api/documents/{STEM}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
                )
            except httpx.HTTPError as exc:  # the server dies under it
                errors.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".tmp-") for p in builds_under(settings.store_path)):
            assert time.monotonic() < deadline, "the ingest never reached its build"
            time.sleep(0.002)
        time.sleep(RNG.uniform(0.0, 1.0))  # while the new store is written, swapped or applied
        os.kill(url.pid, signal.SIGKILL)
        sender.join(60)
    with running_server(settings.store_path, env=env) as url:
        served = httpx.get(f"{url}/health").json()["digest"]
        listed = {d["stem"] for d in httpx.get(f"{url}/api/documents").json()["documents"]}
    state = consistent(settings)
    assert served == state and (STEM in listed) == (state != old)
    print("service killed during an ingest:", "new" if state != old else "old", "errors:", len(errors))


# ---------------------------------------------------------------------------- dump and restore


def test_dump_and_restore_round_trip_the_dataset_identically(built_store: Store, tmp_path: Path) -> None:
    dump = built_store.canonical_nquads()
    assert sha_lines(dump) == built_store.info["digest"], "the dump is the canonical dataset the build digested"
    out = tmp_path / "regkg.nq.gz"
    write_dump(dump, out)
    assert gzip.decompress(out.read_bytes()) == dump
    write_dump(dump, tmp_path / "again.nq.gz")
    assert out.read_bytes() == (tmp_path / "again.nq.gz").read_bytes(), "deterministic gzip"

    store_path = tmp_path / "restored" / "store"
    _, info = restore_store(store_path, out.read_bytes(), origin=str(out))
    restored = Store(store_path)
    assert restored.canonical_nquads() == dump
    assert info["digest"] == built_store.info["digest"] and len(restored) == len(built_store)
    assert {g: n for g, n in info["graphs"].items()} == built_store.info["graphs"]
    assert restored.graphs() == built_store.graphs()

    # restoring over a store swaps atomically; a bad file changes nothing
    restore_store(store_path, dump)
    assert store_state(store_path) == info["digest"]
    with pytest.raises(ValueError, match="N-Quads"):
        restore_store(store_path, dump + b"<not> <a quad\n")
    assert store_state(store_path) == info["digest"]
    assert canonical_nquads(dump) == dump.decode("utf-8").splitlines(keepends=True)


def _cli_has(command: str) -> bool:
    from regkg.cli import parser

    return command in parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


@pytest.mark.skipif(not _cli_has("dump") or not _cli_has("restore"), reason="regkg dump/restore not wired in the CLI")
def test_cli_dump_and_restore(built_store: Store, tmp_path: Path) -> None:
    env = child_env()
    out = tmp_path / "dump.nq.gz"

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "regkg.cli", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)

    assert run("dump", "--store", str(built_store.path), "--out", str(out)).returncode == 0
    assert run("restore", str(out), "--store", str(tmp_path / "r" / "store")).returncode == 0
    assert run("dump", "--store", str(tmp_path / "r" / "store")).stdout == built_store.canonical_nquads()
    assert json.loads((tmp_path / "r" / "store" / "build.json").read_text())["digest"] == built_store.info["digest"]
