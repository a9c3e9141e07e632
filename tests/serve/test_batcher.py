"""Micro-batching: concurrent requests share one batch; small batches skip the worker thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from prodml.serve._batcher import Batcher


@dataclass(frozen=True)
class Job:
    records: list[int]


def test_requests_queued_behind_a_large_batch_form_one_batch_and_a_lone_small_one_runs_now() -> (
    None
):
    batches: list[tuple[list[Job], bool]] = []

    def run(jobs: Sequence[Job]) -> list[object]:
        on_loop = threading.current_thread() is threading.main_thread()
        batches.append((list(jobs), on_loop))
        return [sum(job.records) for job in jobs]

    async def scenario() -> tuple[list[object], object]:
        batcher = Batcher(run, inline=lambda jobs: sum(len(j.records) for j in jobs) <= 2)
        # the large one goes to the worker thread; the two small ones arrive meanwhile
        together = await asyncio.gather(
            batcher.submit(Job([1, 1, 1])), batcher.submit(Job([2])), batcher.submit(Job([3]))
        )
        alone = await batcher.submit(Job([5]))
        return together, alone

    together, alone = asyncio.run(scenario())
    assert together == [3, 2, 3] and alone == 5
    assert [len(jobs) for jobs, _ in batches] == [3, 1]
    assert [on_loop for _, on_loop in batches] == [False, True]


def test_small_requests_on_an_idle_server_are_scored_at_once_in_their_own_coroutine() -> None:
    order: list[str] = []

    def run(jobs: Sequence[Job]) -> list[object]:
        order.append(f"run {jobs[0].records[0]}")
        return [job.records[0] for job in jobs]

    async def other() -> None:
        order.append("other")

    async def scenario() -> object:
        batcher = Batcher(run, inline=lambda jobs: True)
        task = asyncio.ensure_future(other())
        answer = await batcher.submit(Job([7]))  # no await point before the answer
        await task
        return answer

    assert asyncio.run(scenario()) == 7
    assert order == ["run 7", "other"]


def test_a_failing_small_batch_fails_each_of_its_requests() -> None:
    def run(jobs: Sequence[Job]) -> list[object]:
        raise RuntimeError("the log cannot be written")

    async def scenario() -> None:
        batcher = Batcher(run, inline=lambda jobs: True)
        await batcher.submit(Job([1]))

    with pytest.raises(RuntimeError, match="log cannot be written"):
        asyncio.run(scenario())
