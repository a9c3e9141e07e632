"""Adaptive micro-batching: requests that arrive while a batch is scored form the next batch.

There is no waiting window: an idle server scores a small request the moment it arrives, in the
request's own coroutine (no task, no future), so a single client pays nothing. Under concurrent
load, everything that queued up while a batch was scored in the worker thread is scored in the
next one, with one validator call and one model call per variant for all of
them; per-call costs (DataFrame construction in the validator, the booster's call overhead)
are paid once per batch instead of once per request, and throughput grows with concurrency.

Large batches run in a worker thread, one at a time, so the event loop keeps accepting and
parsing requests (and answering health checks) while a batch is scored. A small batch (``inline``
says which: a few records, no explanations) runs on the event loop itself: it is a fraction of a
millisecond of Python work that would hold the GIL in a thread just the same, and the hop to a
thread and back cost as much as the work. Requests that arrive meanwhile still queue up and form
the next batch. A request whose own input is wrong (empty, too many records) fails alone; a
failure of the batch as a whole (no model loaded, the log cannot be written) fails every request
in it with that error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Batcher"]

_MAX_RECORDS = 4096  # records per batch; the rest waits for the next one


class Batcher:
    def __init__(
        self,
        run: Callable[[Sequence[Any]], list[Any]],
        inline: Callable[[Sequence[Any]], bool] = lambda jobs: False,
    ) -> None:
        self._run = run
        self._inline = inline
        self._pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None

    async def submit(self, job: Any) -> Any:
        if not self._draining and self._inline((job,)):
            # idle and cheap: score it now, on the event loop, with no task or future at all
            outcome = self._run((job,))[0]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((job, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._take()
                jobs = [job for job, _ in batch]
                try:
                    if self._inline(jobs):
                        outcomes = self._run(jobs)
                    else:
                        outcomes = await asyncio.to_thread(self._run, jobs)
                except BaseException as exc:  # the whole batch failed: each request says why
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue  # the client went away
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False

    def _take(self) -> list[tuple[Any, asyncio.Future[Any]]]:
        taken: list[tuple[Any, asyncio.Future[Any]]] = []
        records = 0
        while self._pending:
            job = self._pending[0][0]
            size = len(getattr(job, "records", ()))
            if taken and records + size > _MAX_RECORDS:
                break
            taken.append(self._pending.pop(0))
            records += size
        return taken
