"""The Ray engine: Ray Data ``read_parquet`` -> ``map_batches`` (actors) -> ordered parts.

Each actor gets the driver's own :class:`~prodml.batch._scorer.BatchScorer`, already built and
parity-checked, in the light form :meth:`~prodml.batch._scorer.BatchScorer.portable` gives
(the compiled fast path, no fitted pipeline: an actor imports neither scikit-learn nor joblib),
shipped once through the object store and unpickled once per actor, so every batch is scored
exactly as the local engine scores it. The driver takes the scored batches back in input order
(``preserve_order``) and writes the run's parts itself, numbering the rows as they come; the
output is the local engine's, row for row. (An earlier version let Ray write Parquet files and
re-read them sorted by name; Ray's file names do not follow input order once a write task
splits its output, and the rows came back shuffled.) Writing is not where the time goes: a
71k-row part costs the driver ~20 ms of CPU, and the driver waits for Ray between parts.

Where a run's time goes, on 2 cores (measured per process, 1M rows in one file, linear model,
against a running cluster): every Ray worker process boots Ray (~0.5 s of CPU) and imports Ray
Data (~0.8 s) before it does anything. The driver's ``read_parquet`` first samples a footer in
a task (on one of the two workers Ray starts for a new job: 1.1-1.7 s of wall time from
connecting, mostly that worker's start), then one scoring actor per two CPUs starts (Ray Data,
prodml and the scorer: 1.3-1.9 s until its first batch, on the other worker), reads and scores
(~0.9 s), and the driver ends the job (``ray.shutdown``, ~0.3 s). On 2 cores the actor also
reads: a file is read and scored in the actor, one batch after another (see :func:`fuses`),
so a job starts two processes, not three or four (read tasks; one actor per CPU, as before).
The first job on a new Ray starts four more (Ray Data's detached helper actors: stats,
autoscaling coordinator, actor locations, usage). An actor used to rebuild the scorer from the
bundle (unpickling the scikit-learn pipeline, checking the fast path against it: 2.8 s of CPU
more per actor, 6-7 s of wall time on the shared machine). ``ray.init`` itself (cold) starts
Ray's own services: 5-13 s.

Fused, the scorer's batches are the Parquet reader's: ``batch_size`` rows, fewer at the end of
a row group. Where those cuts differ from the local engine's (every ``batch_size`` rows) a few
probabilities may differ in the last bit (~1e-16): BLAS sums a batch's tail rows in another
order. (On the benchmark's 1M rows the outputs are identical.) Read tasks (a larger cluster)
cut blocks by bytes (``target_max_block_size``, kept small so that every actor thread gets
work: with Ray's 128 MiB default a 1M-row file was one block, scored by one thread while the
others waited), so there the last-bit differences are likelier. (Re-cutting blocks to exactly
``batch_size`` rows with ``repartition(target_num_rows_per_block=...)`` removed them, but
stalled on 10M rows: the repartition task held the CPU the reads needed.)

Ray is started by prodml with two CPUs when no ``--ray-address`` is given (and shut down after;
a new one even when ``ray start`` runs a cluster on the machine), or joined at the address
given. The Ray engine reads Parquet (a file, a folder or a URL). A
failed Ray job is retried by Ray task by task; an interrupted one starts again from the
beginning (the local engine resumes part by part).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prodml.errors import ProdmlError, UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from prodml.batch._input import BatchInput
    from prodml.batch._output import PartStore
    from prodml.batch._scorer import BatchScorer

__all__ = ["LOCAL_CPUS", "RayScorer", "fuses", "run_ray"]

LOCAL_CPUS = 2
_IO_CPUS = 0.1
# batches an actor scores at once, each in its own thread of the actor process: the scorer
# releases the GIL in its heavy steps (the local engine scores on threads for the same reason),
# so one actor with two threads scores about as fast as two actors, and a job starts one worker
# process fewer (each costs ~1.5 s of CPU to boot and import Ray Data, measured on 2 cores)
_THREADS = 2
# logical CPUs an actor reserves, below its thread count: Ray counts CPUs logically, and the
# tasks that list and read files need some left over
_ACTOR_CPUS = 1.0
# blocks Ray Data splits its reads into (default 128 MiB: one block for a 1M-row file, so one
# busy actor); a few row groups each give every actor work. Above a batch's size, so that a
# fused read hands the scorer whole batches
_READ_BYTES = 16 * 1024 * 1024


def fuses(files: int, cpus: int) -> bool:
    """Whether the reads run inside the scoring actors (one task per file, read and scored
    there) rather than in tasks of their own that split the files into blocks for the actors.

    Fused, a job starts no process to read, and no block crosses the object store on its way
    to the scorer: on 2 cores, 1M rows in one file, a job took 3.4-4.0 s against 4.4-4.7 s
    split; 10M rows 11.3-11.8 s against 13.5-13.8 s (measured, load 2-5). But a file is then
    read and scored by one actor thread: only when the files give every actor one at least
    (``files >= cpus / threads``) do they keep a larger cluster busy."""
    return files * _THREADS >= cpus


class RayScorer:
    """The callable class Ray Data instantiates once per actor: the driver's scorer, unpickled
    once per actor (see :meth:`BatchScorer.portable`), called from the actor's threads at once
    (a scorer is shared by threads: the local engine's scoring threads share one)."""

    def __init__(self, scorer: BatchScorer) -> None:
        self.scorer = scorer

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.scorer(batch)


def run_ray(
    location: str,
    source: BatchInput,
    scorer: BatchScorer,
    parts: PartStore,
    *,
    schema: pa.Schema,
    address: str | None,
    batch_size: int,
    advance: Callable[[int], None],
    say: Callable[[str], None],
) -> None:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise UserError(
            "the ray engine needs Ray Data",
            where="--engine ray",
            fix="pip install 'prodml[ray]', or use --engine local",
        ) from exc
    kind = source.fingerprint.get("kind")
    if kind not in ("parquet", "parquet-dir"):
        raise UserError(
            f"the ray engine reads Parquet; {source.where} is {kind}",
            where="--engine ray",
            fix="convert the input to Parquet, or use --engine local (CSV and SQL stream there)",
        )
    from prodml.batch._input import filesystem

    started_here = False
    if not ray.is_initialized():
        say(f"starting Ray ({'at ' + address if address else f'local, {LOCAL_CPUS} CPUs'})")
        try:
            ray.init(
                # "local": a new Ray even when `ray start` left a cluster on this machine (Ray
                # would join that one, and refuse num_cpus for it)
                address=address or "local",
                num_cpus=None if address else LOCAL_CPUS,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(
                f"cannot start or reach Ray ({exc})",
                where=f"--ray-address {address}" if address else "--engine ray",
                fix="check the cluster address (ray://host:10001 or host:6379), or omit "
                "--ray-address to start a local Ray",
            ) from exc
        started_here = True
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        context.target_max_block_size = _READ_BYTES
        # Ray Data's second Parquet reader lists files with a pool of footer-reading actors:
        # on 2 cores, starting those processes took ~20 s before the first row was read
        # (measured); the first reads footers in the read tasks
        context.use_datasource_v2 = False
        fs, path = filesystem(location)
        paths: Any = path
        if kind == "parquet-dir":
            paths = [entry[0] for entry in source.fingerprint["files"]]
        cpus = int(ray.cluster_resources().get("CPU", LOCAL_CPUS))
        actors = max(1, cpus // _THREADS)
        files = len(paths) if isinstance(paths, list) else 1
        if fuses(files, cpus):
            # Ray fuses a read into the actors when both reserve the same CPUs, the read is not
            # split (one block per file requested) and the scorer takes whole blocks
            # (batch_size=None); the Parquet reader then cuts the batches, batch_size rows at
            # most (fewer at a row group's end)
            dataset = ray.data.read_parquet(
                paths,
                filesystem=fs,
                num_cpus=_ACTOR_CPUS,
                override_num_blocks=files,
                batch_size=batch_size,
            )
            batches: int | None = None
        else:
            # Ray counts CPUs logically: with a CPU per thread, the scoring actors on a
            # two-CPU Ray leave none for the tasks that list and read files, and the job
            # waits forever (measured); so an actor reserves one CPU for its two threads and
            # reads a sliver
            dataset = ray.data.read_parquet(paths, filesystem=fs, num_cpus=_IO_CPUS)
            batches = batch_size
        scored = dataset.map_batches(
            RayScorer,
            fn_constructor_kwargs={"scorer": scorer.portable()},
            batch_size=batches,
            batch_format="pyarrow",
            # a fixed pool, all actors from the start: an autoscaling pool began with one and
            # the second came late, after paying its start-up in the middle of the run; and a
            # pool allowed to shrink (min_size=1) stopped an actor that waited for input and
            # started a new one (~3 s of CPU for its imports) later in the same run (measured)
            compute=ray.data.ActorPoolStrategy(
                size=actors,
                max_concurrent_calls_per_actor=_THREADS,
                enable_true_multi_threading=True,
            ),
            num_cpus=_ACTOR_CPUS,
        )
        _collect(
            parts,
            scored.iter_batches(batch_size=None, batch_format="pyarrow"),
            schema,
            batch_size,
            advance,
        )
    except ray.exceptions.RayError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, ProdmlError):
            raise cause from exc
        raise ProdmlError(
            f"the Ray job failed: {str(exc).strip().splitlines()[-1]}",
            where="--engine ray",
            fix="see the Ray logs (/tmp/ray/session_latest/logs); rerun, or use --engine local",
        ) from exc
    finally:
        if started_here:
            ray.shutdown()


def _collect(
    parts: PartStore,
    scored: Iterable[pa.Table],
    schema: pa.Schema,
    batch_size: int,
    advance: Callable[[int], None],
) -> None:
    """Ray's scored batches, in input order, re-cut into the run's parts with the row number."""
    import numpy as np
    import pyarrow as pa

    from prodml.batch._input import _rechunk
    from prodml.batch._local import status_counts

    start = 0
    for index, table in enumerate(_rechunk(iter(scored), batch_size)):
        rows = pa.array(np.arange(start, start + table.num_rows, dtype=np.int64))
        table = table.add_column(0, "row", rows).select(schema.names).cast(schema)
        parts.write(index, table, status_counts(table))
        advance(table.num_rows)
        start += table.num_rows
