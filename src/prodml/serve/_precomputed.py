"""Hybrid serving: answer ``/predict`` from batch scores when a fresh one exists.

``prodml serve --precomputed scores.parquet`` loads the output of ``prodml score`` (id column,
prediction, probability, decision, model_version, status) into an in-memory index by entity id
when the server starts. A record is answered from it when all of these hold, else it is scored
live, as without the file:

* the record carries the project's ``data.id_column`` and the file has a scored row for it
  (rows the batch run rejected have no score);
* the record is routed to the champion (a challenger's share is scored live by the challenger,
  so an A/B test compares like with like), no version is pinned and no explanation is asked;
* the scores come from the version that is the champion now: after a promotion the file's
  scores mean another model's decisions, so they are not used;
* the file is younger than ``serving.precomputed_max_age`` (its modification time, i.e. when
  ``prodml score`` renamed it into place; checked on every request, so a server running for
  days stops using a file that has gone stale).

Only the columns needed are read, and at most :data:`MAX_ROWS` rows, so that a wrong file
cannot exhaust the server's memory. Ids are compared as text, the way the router and the
prediction log spell them (``7`` and ``7.0`` are the same entity).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.spec import Spec

__all__ = ["MAX_ROWS", "Precomputed", "load_precomputed", "precomputed_for"]

MAX_ROWS = 20_000_000
_REQUIRED = ("prediction", "decision", "model_version")


@dataclass(frozen=True)
class Hit:
    """One entity's batch score, as the live path would have answered it."""

    score: float
    decision: Any  # bool (binary) or the decided value (regression)
    label: Any
    status: str
    version: int


@dataclass(frozen=True)
class Precomputed:
    """Batch scores by entity id, with the file's age and the version that scored them."""

    path: Path
    version: int
    task: str
    scored_at: float  # the file's modification time (seconds since the epoch)
    max_age_s: float
    _index: pd.Index
    _score: np.ndarray
    _decision: np.ndarray
    _label: np.ndarray
    _status: np.ndarray

    def __len__(self) -> int:
        return len(self._index)

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.scored_at)

    def usable(self, champion: int) -> bool:
        """Fresh enough, and scored by the version that is the champion now."""
        return self.version == champion and self.age_s <= self.max_age_s

    def lookup(self, ids: list[str | None]) -> list[Hit | None]:
        """The batch score of each id (None where there is none)."""
        import pandas as pd

        keys = [i for i in ids if i is not None]
        if not keys:
            return [None] * len(ids)
        positions = iter(self._index.get_indexer(pd.Index(keys, dtype=object)).tolist())
        out: list[Hit | None] = []
        for entity in ids:
            k = -1 if entity is None else next(positions)
            if k < 0:
                out.append(None)
                continue
            decision = self._decision[k]
            out.append(
                Hit(
                    score=float(self._score[k]),
                    decision=bool(decision) if self.task == "binary" else float(decision),
                    label=self._label[k] if self.task == "binary" else float(self._score[k]),
                    status=str(self._status[k]),
                    version=self.version,
                )
            )
        return out


def precomputed_for(spec: Spec, path: str | Path) -> Precomputed:
    """The batch scores at ``path``, for this project's id column, task and staleness limit."""
    return load_precomputed(
        path,
        id_column=spec.data.id_column,
        task=spec.problem.task,
        max_age_s=spec.serving.precomputed_max_age_s,
    )


def load_precomputed(
    path: str | Path, *, id_column: str | None, task: str, max_age_s: float
) -> Precomputed:
    """Read a ``prodml score`` output into an index by id; a clear UserError for anything else."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = f"--precomputed {path}"
    source = Path(path).expanduser()
    if id_column is None:
        raise UserError(
            "precomputed scores are looked up by entity id, and the project names no id column",
            where="data.id_column",
            fix="set data.id_column in prodml.yaml (and score with it), or serve without "
            "--precomputed",
        )
    if not source.is_file():
        raise UserError(
            "precomputed scores file not found",
            where=where,
            fix="give the Parquet file prodml score wrote (e.g. prodml score in.parquet "
            "scores.parquet)",
        )
    try:
        reader = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(
            f"not a readable Parquet file ({exc})",
            where=where,
            fix="give the Parquet output of prodml score (a .parquet file, not CSV)",
        ) from exc
    names = set(reader.schema_arrow.names)
    score_column = "probability" if task == "binary" else "prediction"
    needed = [id_column, score_column, *_REQUIRED, "status"]
    missing = [name for name in needed if name not in names]
    if missing:
        raise UserError(
            f"not a prodml score output for this project: no column {', '.join(missing)}",
            where=where,
            fix=f"score with this project's model (prodml score IN {source.name}); the input "
            f"must have the id column {id_column!r} so the output keeps it",
        )
    rows = int(reader.metadata.num_rows)
    if rows > MAX_ROWS:
        raise UserError(
            f"{rows:,} precomputed scores: more than the {MAX_ROWS:,} a server holds in memory",
            where=where,
            fix="score only the entities served in real time, or serve them all live",
        )
    try:
        table = reader.read(columns=list(dict.fromkeys(needed)))
    except (pa.ArrowException, OSError) as exc:
        raise UserError(
            f"the file is unreadable part-way ({exc})", where=where, fix="run prodml score again"
        ) from exc
    return _index(table, source, id_column, score_column, task, max_age_s, where)


def _index(
    table: Any,
    source: Path,
    id_column: str,
    score_column: str,
    task: str,
    max_age_s: float,
    where: str,
) -> Precomputed:
    import pandas as pd
    import pyarrow.compute as pc

    versions = pc.unique(table.column("model_version").drop_null()).to_pylist()
    if len(versions) > 1:
        raise UserError(
            f"the file mixes scores of model versions {sorted(versions)}",
            where=where,
            fix="serve the output of one prodml score run",
        )
    scored = table.filter(pc.invert(pc.is_null(table.column(score_column))))
    scored = scored.filter(pc.invert(pc.is_null(scored.column(id_column))))
    ids = pd.Index(_id_texts(scored.column(id_column).to_pylist()), dtype=object)
    if not ids.is_unique:
        # the last score of an id wins, as a later row of a batch run is the later decision
        keep = ~ids.duplicated(keep="last")
        scored = scored.filter(keep)
        ids = ids[keep]
    return Precomputed(
        path=source,
        version=int(versions[0]) if versions else -1,
        task=task,
        scored_at=source.stat().st_mtime,
        max_age_s=max_age_s,
        _index=ids,
        _score=scored.column(score_column).to_numpy(zero_copy_only=False),
        _decision=scored.column("decision").to_numpy(zero_copy_only=False),
        _label=np.asarray(scored.column("prediction").to_pylist(), dtype=object),
        _status=np.asarray(scored.column("status").to_pylist(), dtype=object),
    )


def _id_texts(values: list[Any]) -> list[str]:
    """Ids as the server spells a request's id (see ``Service._entities``)."""
    out = []
    for value in values:
        if isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value)[:200])
    return out
