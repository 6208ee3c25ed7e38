"""A pool of query worker processes with a hard per-query time limit.

A query that overruns is stopped by killing its worker process and starting a fresh one
(forked from a pre-loaded fork server, so it is cheap): the work really stops, and no thread or
process is left behind. Waiting on workers uses the event loop (no thread per query).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection

from .worker import Job, Outcome, serve


class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, store_path: str) -> None:
        self.store_path = store_path
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, store_path), daemon=True, name="regkg-query-worker")
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.ready = False

    async def _readable(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, lambda: future.done() or future.set_result(None))
        try:
            await future
        finally:
            loop.remove_reader(fd)
            # uvloop leaves the descriptor non-blocking after add_reader; recv() must block until the
            # whole framed result has arrived, or a large result fails half-read.
            os.set_blocking(fd, True)

    async def call(self, job: Job) -> Outcome:
        if not self.ready:
            await self._readable()
            if self.conn.recv() != "ready":
                raise RuntimeError("query worker failed to start")
            self.ready = True
        self.conn.send(job)
        await self._readable()
        return self.conn.recv()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QueryExecutor:
    """Runs read-only queries in worker processes, at most one per worker at a time."""

    def __init__(self, store_path: str, workers: int = 2, timeout: float = 10.0, queue_timeout: float = 30.0) -> None:
        self.store_path = store_path
        self.size = max(1, workers)
        self.timeout = timeout
        self.queue_timeout = queue_timeout  # how long a query may wait for a free worker
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["regkg.service.worker"])
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
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
        try:
            worker = await asyncio.wait_for(self._idle.get(), max(limit, self.queue_timeout))
        except TimeoutError:
            waited = max(limit, self.queue_timeout)
            return Outcome(503, error=f"the server is busy: no query slot freed up within {waited:g} s")
        try:
            outcome = await asyncio.wait_for(worker.call(job), limit)
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
        return outcome

    async def close(self) -> None:
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
