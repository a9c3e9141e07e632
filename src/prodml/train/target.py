"""Turn the target column into what the candidates learn, refusing targets that cannot train."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prodml.errors import DataError
from prodml.spec import Problem

__all__ = ["PreparedTarget", "prepare_target"]


@dataclass(frozen=True)
class PreparedTarget:
    y: np.ndarray  # bool for binary, float64 for regression; only rows with a label
    rows: np.ndarray  # positions of labelled rows in the input frame
    positive_label: str | None
    notes: list[str] = field(default_factory=list)


def _same_label(values: pd.Series, positive: object) -> np.ndarray:
    """Compare labels as text so ``1``, ``1.0`` and ``"1"`` all match ``positive: 1``."""
    wanted = str(positive).strip().lower()
    if isinstance(positive, float) and positive.is_integer():
        wanted = str(int(positive))
    text = values.astype(str).str.strip().str.lower()
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == values.round())
        text = text.where(~whole, values.fillna(0).astype("int64").astype(str))
    return np.asarray(text == wanted)


def prepare_target(frame: pd.DataFrame, problem: Problem) -> PreparedTarget:
    column = problem.target
    if column not in frame.columns:
        raise DataError(
            f"target column {column!r} is not in the data",
            where="problem.target",
            fix="set problem.target to one of: " + ", ".join(map(str, frame.columns[:30])),
        )
    series = frame[column]
    labelled = series.notna().to_numpy()
    rows = np.flatnonzero(labelled)
    notes: list[str] = []
    if not labelled.all():
        notes.append(
            f"{int((~labelled).sum())} rows without a {column} label are not used for training"
        )
    if len(rows) == 0:
        raise DataError(
            f"target column {column!r} has no values",
            where=column,
            fix="train on data where the outcome is known",
        )
    series = series.iloc[rows]
    if problem.task == "binary":
        levels = sorted(map(str, series.unique()))
        y = _same_label(series, problem.positive)
        if not y.any():
            raise DataError(
                f"positive class {problem.positive!r} never occurs in {column!r} "
                f"(values: {', '.join(levels[:10])})",
                where="problem.positive",
                fix=f"set problem.positive to one of: {', '.join(levels[:10])}",
            )
        if y.all() or len(levels) < 2:
            raise DataError(
                f"target column {column!r} has a single class ({levels[0]}): nothing to learn",
                where=column,
                fix="train on data that contains both outcomes",
            )
        if len(levels) > 2:
            notes.append(
                f"{column} has {len(levels)} values; {problem.positive!r} is treated as positive "
                "and every other value as negative"
            )
        return PreparedTarget(y=y, rows=rows, positive_label=str(problem.positive), notes=notes)
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in series[bad].astype(str).unique()[:3])
        raise DataError(
            f"regression target {column!r} has {int(bad.sum())} non-numeric values ({examples})",
            where=column,
            fix="clean the target column, or use task: binary for a yes/no outcome",
        )
    y_float = numbers.to_numpy(dtype=np.float64)
    if np.nanstd(y_float) == 0:
        raise DataError(
            f"regression target {column!r} is constant: nothing to learn",
            where=column,
            fix="train on data where the target varies",
        )
    return PreparedTarget(y=y_float, rows=rows, positive_label=None, notes=notes)
