"""A pool of query worker processes with a hard per-query time limit.

A query that overruns is stopped by killing its worker process and starting a fresh one
(forked from a pre-loaded fork server, so it is cheap): the work really stops, and no thread or
process is left behind. Waiting on workers uses the event loop (no thread per query).

The request path is kept short, as it runs for every query: each worker's socket stays
registered with the event loop for the worker's life (its frames are read as they arrive, no
registration per query), jobs and outcomes cross as bytes (:mod:`.worker`: no pickling), the time
limit is one timer on the waiting task, and the most recently used idle worker takes the next
query (its caches are warm; with sequential clients one worker does all the work).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import socket
import struct
import time
from collections import deque
from multiprocessing.connection import Connection

from .worker import READY, Job, Outcome, decode_outcome, encode_job, frame_header, serve

_RECV_SIZE = 1 << 18


class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, store_path: str) -> None:
        self.store_path = store_path
        ours, theirs = socket.socketpair()
        child = Connection(theirs.detach())
        self.process = ctx.Process(target=serve, args=(child, store_path), daemon=True, name="regkg-query-worker")
        self.process.start()
        child.close()
        ours.setblocking(False)
        self.sock = ours
        self.ready = False
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._frames: deque[bytes] = deque()  # arrived, not yet asked for (the "ready" frame)
        self._waiter: asyncio.Future[bytes] | None = None
        self._error: BaseException | None = None  # the pipe closed or failed: the worker is gone
        self._loop.add_reader(ours.fileno(), self._on_readable)

    # -- reading: called by the event loop whenever the socket has data

    def _on_readable(self) -> None:
        try:
            data = self.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(exc)
            return
        if not data:
            self._fail(EOFError("the query worker closed its pipe"))
            return
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 4:
            (size,) = struct.unpack_from("!i", buffer)
            start = 4
            if size == -1:
                if len(buffer) < 12:
                    return
                (size,) = struct.unpack_from("!Q", buffer, 4)
                start = 12
            end = start + size
            if len(buffer) < end:
                return
            with memoryview(buffer) as view:
                frame = bytes(view[start:end])
            del buffer[:end]
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                self._waiter = None
                waiter.set_result(frame)
            else:
                self._frames.append(frame)

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        self._loop.remove_reader(self.sock.fileno())
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_exception(exc)

    async def _next_frame(self) -> bytes:
        if self._frames:
            return self._frames.popleft()
        if self._error is not None:
            raise self._error
        waiter = self._loop.create_future()
        self._waiter = waiter
        return await waiter

    async def call(self, payload: bytes) -> bytes:
        """Send one job, return the outcome frame."""
        if not self.ready:
            if await self._next_frame() != READY:
                raise RuntimeError("query worker failed to start")
            self.ready = True
        data = frame_header(len(payload)) + payload
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):  # a long query and a full socket buffer: the rest as the worker reads
            await self._loop.sock_sendall(self.sock, data[sent:])
        return await self._next_frame()

    @property
    def gone(self) -> bool:
        """Whether the worker's socket closed (the process ended)."""
        return self._error is not None and not self._frames

    def kill(self) -> None:
        if self._error is None:
            self._loop.remove_reader(self.sock.fileno())
            self._error = EOFError("the query worker was stopped")
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.sock.close()


class QueryExecutor:
    """Runs read-only queries in worker processes, at most one per worker at a time."""

    def __init__(self, store_path: str, workers: int = 2, timeout: float = 10.0, queue_timeout: float = 30.0) -> None:
        self.store_path = store_path
        self.size = max(1, workers)
        self.timeout = timeout
        self.queue_timeout = queue_timeout  # how long a query may wait for a free worker
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["regkg.service.worker"])
        self._idle: asyncio.LifoQueue[_Worker] = asyncio.LifoQueue()  # the last one used is the warmest
        self._all: set[_Worker] = set()
        self.killed = 0

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.store_path)
        self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> _Worker:
        worker.kill()
        self._all.discard(worker)
        self.killed += 1
        return self._spawn()

    async def start(self) -> None:
        for _ in range(self.size):
            self._idle.put_nowait(self._spawn())

    def _renew(self, worker: _Worker) -> _Worker:
        """A worker on the current store in place of one on a previous store."""
        worker.kill()
        self._all.discard(worker)
        return self._spawn()

    async def reload(self, store_path: str) -> None:
        """Serve later queries from another store (after an ingest or a rebuild): idle workers
        are replaced now, busy ones when their query ends (it finishes on the store it began on)."""
        if store_path == self.store_path:
            return
        self.store_path = store_path
        stale: list[_Worker] = []
        while not self._idle.empty():
            stale.append(self._idle.get_nowait())
        for worker in stale:
            self._idle.put_nowait(self._renew(worker))

    async def run(self, job: Job, timeout: float | None = None) -> Outcome:
        """Evaluate a job; 503 when it overruns the time limit or no worker frees up in time."""
        limit = self.timeout if timeout is None else timeout
        if not self._idle.empty():
            worker = self._idle.get_nowait()
        else:
            waited = max(limit, self.queue_timeout)
            try:
                worker = await asyncio.wait_for(self._idle.get(), waited)
            except TimeoutError:
                return Outcome(503, error=f"the server is busy: no query slot freed up within {waited:g} s")
        if worker.gone:  # died while idle (killed from outside, out of memory): a fresh one instead
            worker = self._renew(worker)
        try:
            async with asyncio.timeout(limit):
                began = time.perf_counter()
                frame = await worker.call(encode_job(job))
                seconds = time.perf_counter() - began
        except TimeoutError:
            worker = self._retire(worker)
            return Outcome(503, error=f"query exceeded the {limit:g} s time limit and was stopped")
        except (EOFError, OSError, RuntimeError):
            worker.process.join(timeout=1)
            overflow = worker.process.exitcode in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT)
            worker = self._retire(worker)
            if overflow:  # the engine ran out of stack on this query: chained or nested too deeply
                return Outcome(400, error="the query is too complex to evaluate (chained or nested too deeply)")
            return Outcome(500, error="the query worker died while evaluating the query")
        except BaseException:  # cancelled (client went away): the worker's state is unknown
            worker = self._retire(worker)
            raise
        finally:
            if worker.store_path != self.store_path:
                worker = self._renew(worker)
            self._idle.put_nowait(worker)
        outcome = decode_outcome(frame)
        outcome.seconds = seconds
        return outcome

    async def close(self) -> None:
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
