"""``score``: one registered model over a whole input, to one output, on an engine.

Checks everything it can before scoring a row: the model exists and loads, the repair policies
fit it, the input opens and has every feature column, the output name is usable and its folder
writable. Then it streams the input through the engine into resumable parts and renames the
finished output into place (see :mod:`prodml.batch._output`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prodml.errors import DataError, UserError

if TYPE_CHECKING:
    from prodml.project import Project

__all__ = ["DEFAULT_BATCH_SIZE", "ENGINES", "ScoreSummary", "score"]

DEFAULT_BATCH_SIZE = 65_536
ENGINES = ("local", "ray")
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ScoreSummary:
    """What a ``score`` run did: rows by status, where they went, how fast."""

    output: str
    model_version: int
    engine: str
    rows: int
    ok: int
    repaired: int
    rejected: int
    resumed_rows: int
    seconds: float
    fast_path: bool

    @property
    def rows_per_second(self) -> float:
        scored = self.rows - self.resumed_rows
        return scored / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "model_version": self.model_version,
            "engine": self.engine,
            "rows": self.rows,
            "ok": self.ok,
            "repaired": self.repaired,
            "rejected": self.rejected,
            "resumed_rows": self.resumed_rows,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "fast_path": self.fast_path,
        }


def score(
    project: Project,
    source: str,
    output: str,
    *,
    model: str | int = "champion",
    engine: str = "local",
    ray_address: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
    query: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> ScoreSummary:
    """Score ``source`` with a registered model into ``output`` (see ``Project.score``)."""
    from prodml.batch._input import open_input
    from prodml.batch._local import default_workers, run_local
    from prodml.batch._output import PartStore, plan_output
    from prodml.batch._scorer import BatchScorer, output_schema
    from prodml.data.repair import Policies

    note = say or (lambda _message: None)
    if engine not in ENGINES:
        raise UserError(
            f"unknown engine {engine!r}", where="--engine", fix="use local or ray (pip install "
            "'prodml[ray]' for ray)"
        )  # fmt: skip
    if batch_size < 1:
        raise UserError(
            f"batch size {batch_size} is not positive", where="--batch-size", fix="use e.g. 65536"
        )
    spec = project.spec
    record = project.store.metadata.resolve(model)
    bundle_bytes = project.store.artifacts.get_bytes(record.bundle_sha)
    policies = Policies.from_spec(spec.data)
    source_input = open_input(source, query=query)
    id_column = spec.data.id_column if spec.data.id_column in source_input.columns else None
    scorer = BatchScorer(
        bundle_bytes, version=record.version, policies=policies, id_column=id_column
    )
    missing = scorer.missing_columns(source_input.columns)
    if missing:
        raise DataError(
            f"the input does not match model version {record.version}'s contract: missing "
            f"feature column(s) {', '.join(missing)}",
            where=source_input.where,
            fix="score data with the columns the model was trained on (see prodml models); "
            f"the input has: {', '.join(source_input.columns[:30])}",
        )
    target = plan_output(output, overwrite=overwrite)
    id_type = None
    if id_column is not None and source_input.schema is not None:
        id_type = source_input.schema.field(id_column).type
    schema = output_schema(scorer.bundle.task, id_column, id_type)
    settings = {
        "input": source_input.fingerprint,
        "model_version": record.version,
        "bundle_sha": record.bundle_sha,
        "batch_size": batch_size,
        "spec_data": spec.data.model_dump(mode="json"),
        "engine": engine,
    }
    parts = PartStore(target, settings, say=note)
    if engine == "ray" and parts.parts:
        note("the ray engine scores the whole input again (only the local engine resumes)")
        parts.parts.clear()
    total = source_input.total_rows
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    started = time.perf_counter()
    resumed = parts.resumed_rows
    try:
        if engine == "ray":
            from prodml.batch._ray import run_ray

            run_ray(
                source,
                source_input,
                scorer,
                parts,
                schema=schema,
                address=ray_address,
                batch_size=batch_size,
                advance=advance,
                say=note,
            )
        else:
            run_local(
                source_input,
                scorer,
                parts,
                batch_size=batch_size,
                workers=workers or default_workers(),
                schema=schema,
                advance=advance,
            )
    except BaseException:
        with contextlib.suppress(Exception):
            parts.close()
        raise
    counts = parts.counts()
    if counts["rows"] == 0:
        _discard(parts)
        raise DataError(
            "the input is empty: it has no rows",
            where=source_input.where,
            fix="point IN at the data itself, or widen the query so it returns rows",
        )
    parts.finish(schema)
    return ScoreSummary(
        output=output,
        model_version=record.version,
        engine=engine,
        rows=counts["rows"],
        ok=counts["ok"],
        repaired=counts["repaired"],
        rejected=counts["rejected"],
        resumed_rows=resumed,
        seconds=time.perf_counter() - started,
        fast_path=scorer.fast,
    )


def _discard(parts: Any) -> None:
    with contextlib.suppress(Exception):
        parts.close()
    with contextlib.suppress(OSError):
        parts.target.fs.delete_dir(parts.target.work)
