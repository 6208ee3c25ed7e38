"""Run a real ``regkg serve`` process for tests, and look at it from outside (/proc).

Usage::

    from .server import running_server

    with running_server(store_path, env={"REGKG_MAX_ROWS": "5"}) as base_url:
        httpx.get(f"{base_url}/sparql", params={"query": "ASK {}"})
        base_url.pid  # the server process, for /proc inspection

The server is started as ``sys.executable -m regkg.cli serve`` on 127.0.0.1 with a free port, in
its own session (process group), with its output in a log file. On exit it gets SIGTERM (a
graceful uvicorn shutdown, which stops the query workers), then SIGKILL if it does not stop in
time; any process it started that is still there afterwards (query workers, the multiprocessing
fork server) is killed by pid, so nothing is left behind. On Linux the server also gets SIGTERM if
the thread that started it dies first (PR_SET_PDEATHSIG): start it from the main thread (pytest
fixtures are), not from a short-lived worker thread.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

# Settings a test should not inherit by accident from the environment it runs in.
_SCRUBBED = (
    "REGKG_STORE",
    "REGKG_HOST",
    "REGKG_PORT",
    "REGKG_BASE_URL",
    "REGKG_QUERY_TIMEOUT",
    "REGKG_MAX_ROWS",
    "REGKG_WORKERS",
    "REGKG_SERVICE_ALLOWLIST",
    "REGKG_MAX_REQUEST_BYTES",
    "REGKG_INGEST_TOKEN",
    "REGKG_INGEST_DIR",
    "REGKG_INGEST_REASONER",
    "REGKG_SPARQL_UPDATE_URL",
    "REGKG_GSP_URL",
    "REGKG_SPARQL_USER",
    "REGKG_SPARQL_PASSWORD",
    "REGKG_SPARQL_AUTH",
    "REGKG_SPARQL_DIALECT",
)


class ServerURL(str):
    """The base URL of a running server (``http://127.0.0.1:PORT``), with its process."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        """What the server wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- /proc helpers (Linux) -------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, comes first)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def parents() -> dict[int, int]:
    """pid -> parent pid of every process, zombies included."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[0] != "X":
                parent_of[int(entry.name)] = int(fields[1])
    return parent_of


def descendants(pid: int, *, include_zombies: bool = False) -> set[int]:
    """All processes below ``pid`` (children, grandchildren...); zombies only if asked."""
    parent_of = parents()
    if not include_zombies:
        parent_of = {child: parent for child, parent in parent_of.items() if pid_alive(child)}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> str:
    """The command line of a process ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def session_members(sid: int) -> set[int]:
    """Living processes of the session ``sid`` (a server runs in a session of its own)."""
    members = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[0] not in ("Z", "X") and int(fields[3]) == sid:
                members.add(int(entry.name))
    return members


def thread_count(pid: int) -> int:
    """Threads of a process (/proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError(f"no thread count for pid {pid}")


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (0 once it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)


# -- the server --------------------------------------------------------------------------------


try:  # Linux: a server whose test process dies without stopping it gets SIGTERM (PR_SET_PDEATHSIG)
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (ImportError, OSError, AttributeError):  # pragma: no cover - not Linux
    _prctl = None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _wait_healthy(url: ServerURL, deadline: float) -> None:
    last_error = ""
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if url.process.poll() is not None:
                raise RuntimeError(f"regkg serve exited with {url.process.returncode}:\n{url.log()[-4000:]}")
            try:
                response = client.get(f"{url}/health")
                if response.status_code == 200:
                    return
                last_error = f"/health answered {response.status_code}"
            except httpx.HTTPError as exc:
                last_error = repr(exc)
            time.sleep(0.1)
    raise TimeoutError(f"regkg serve not healthy in time ({last_error}):\n{url.log()[-4000:]}")


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, wait, SIGKILL; then kill by pid whatever of its session is left."""
    sid = process.pid  # start_new_session=True: the server leads its own session
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    deadline = time.monotonic() + 5
    while (left := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.05)  # workers and the fork server exit when their pipes close
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def running_server(
    store_path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    *,
    args: tuple[str, ...] = (),
    startup_timeout: float = 60.0,
    grace: float = 10.0,
) -> Iterator[ServerURL]:
    """Start ``regkg serve`` over ``store_path``; yields its base URL (a :class:`ServerURL`).

    ``env`` adds or overrides environment variables (REGKG_QUERY_TIMEOUT, REGKG_MAX_ROWS...);
    REGKG_* settings of the calling environment are not inherited. ``args`` are extra
    ``regkg serve`` options.
    """
    remote = str(store_path).startswith("sparql:")  # a remote store (tests/test_backends.py), already published
    if not remote and not (Path(store_path) / "oxigraph").is_dir():  # `regkg serve` would build one: not in a test
        raise FileNotFoundError(f"no regkg store at {store_path}")
    child_env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    child_env["PYTHONUNBUFFERED"] = "1"
    src = str(ROOT / "src")
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (src, child_env.get("PYTHONPATH", "")) if p)
    child_env.update(env or {})
    with tempfile.NamedTemporaryFile(prefix="regkg-serve-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    last_failure: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between the probe and the bind
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "regkg.cli",
            "serve",
            "--store",
            str(store_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ]
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        url = ServerURL(f"http://127.0.0.1:{port}")
        url.process = process
        url.log_path = log_path
        try:
            _wait_healthy(url, time.monotonic() + startup_timeout)
        except RuntimeError as exc:  # exited early: maybe the port; try another one
            _stop(process, grace)
            last_failure = exc
            if "address already in use" not in url.log().lower():
                break
            continue
        except BaseException:
            _stop(process, grace)
            raise
        try:
            yield url
        finally:
            _stop(process, grace)
            log_path.unlink(missing_ok=True)
        return
    log_path.unlink(missing_ok=True)
    raise RuntimeError(f"could not start regkg serve: {last_failure}")
