"""The local engine: read batches in order, score them on a thread pool, write parts.

Threads, not processes: the heavy steps release the GIL (Arrow reading and writing, numpy
kernels, and the LightGBM booster, called through ctypes), so two threads keep both cores busy
with one copy of the model in memory and nothing to pickle. At most ``2 x workers`` batches are in
flight, so memory stays bounded by a few batches whatever the input size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from prodml.batch._input import BatchInput
    from prodml.batch._output import PartStore
    from prodml.batch._scorer import BatchScorer

__all__ = ["default_workers", "run_local", "status_counts"]

Advance = Callable[[int], None]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_local(
    source: BatchInput,
    scorer: BatchScorer,
    parts: PartStore,
    *,
    batch_size: int,
    workers: int,
    schema: pa.Schema,
    advance: Advance,
) -> None:
    """Score every part of ``source`` not already in ``parts``; completed parts are written."""
    pending: deque[tuple[int, Future[Any]]] = deque()

    def collect() -> None:
        index, future = pending.popleft()
        table = future.result().cast(schema)
        parts.write(index, table, status_counts(table))
        advance(table.num_rows)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prodml-score") as pool:
        try:
            for index, batch in enumerate(source.batches(batch_size)):
                if index in parts.parts:
                    advance(parts.parts[index]["rows"])
                    continue
                pending.append((index, pool.submit(scorer, batch, index * batch_size)))
                while len(pending) >= 2 * workers:
                    collect()
            while pending:
                collect()
        finally:
            for _, future in pending:
                future.cancel()


def status_counts(table: pa.Table) -> dict[str, int]:
    import pyarrow.compute as pc

    counts = {"ok": 0, "repaired": 0, "rejected": 0}
    for item in pc.value_counts(table.column("status")).to_pylist():
        counts[str(item["values"])] = int(item["counts"])
    return counts
