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


def test_concurrent_requests_form_one_batch_and_a_lone_small_one_runs_on_the_loop() -> None:
    batches: list[tuple[list[Job], bool]] = []

    def run(jobs: Sequence[Job]) -> list[object]:
        on_loop = threading.current_thread() is threading.main_thread()
        batches.append((list(jobs), on_loop))
        return [sum(job.records) for job in jobs]

    async def scenario() -> tuple[list[object], object]:
        batcher = Batcher(run, inline=lambda jobs: sum(len(j.records) for j in jobs) <= 2)
        together = await asyncio.gather(*(batcher.submit(Job([i, i])) for i in range(3)))
        alone = await batcher.submit(Job([5]))
        return together, alone

    together, alone = asyncio.run(scenario())
    assert together == [0, 2, 4] and alone == 5
    assert [len(jobs) for jobs, _ in batches] == [3, 1]
    assert [on_loop for _, on_loop in batches] == [False, True]


def test_a_failing_small_batch_fails_each_of_its_requests() -> None:
    def run(jobs: Sequence[Job]) -> list[object]:
        raise RuntimeError("the log cannot be written")

    async def scenario() -> None:
        batcher = Batcher(run, inline=lambda jobs: True)
        await batcher.submit(Job([1]))

    with pytest.raises(RuntimeError, match="log cannot be written"):
        asyncio.run(scenario())
