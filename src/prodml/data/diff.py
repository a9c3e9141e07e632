"""What changed between two dataset snapshots: schema, row counts, per-column distribution shift.

``prodml data diff A B`` answers "why does the retrained model behave differently?" before anyone
opens a notebook: columns added, removed or retyped, and for each shared column how far its
distribution moved.

Shift statistics, per shared column:

* **PSI** (population stability index) for every column: numbers are put in the deciles of
  snapshot A (edges deduplicated), categories are their levels (the 50 most frequent in A, the rest
  pooled), and missing values are a bin of their own; ``sum((b - a) * ln(b / a))`` over bins, with
  shares floored at 1e-4. The usual reading: below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 a
  major shift (:data:`PSI_MODERATE`, :data:`PSI_MAJOR`).
* **KS** (two-sample Kolmogorov-Smirnov distance, 0 to 1) for numbers, over non-missing values.
* missing rates, means (numbers), levels new in B and gone from B (categories).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

__all__ = ["PSI_MAJOR", "PSI_MODERATE", "ColumnShift", "DatasetDiff", "diff_frames"]

PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
_BINS = 10
_TOP_LEVELS = 50
_FLOOR = 1e-4
_LEVEL_EXAMPLES = 10


@dataclass(frozen=True)
class ColumnShift:
    """How one column shared by both snapshots moved from A to B."""

    name: str
    kind: str  # numeric | categorical
    psi: float
    missing_a: float
    missing_b: float
    ks: float | None = None
    mean_a: float | None = None
    mean_b: float | None = None
    new_levels: list[str] = field(default_factory=list)
    gone_levels: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.psi >= PSI_MAJOR:
            return "major"
        if self.psi >= PSI_MODERATE:
            return "moderate"
        return "stable"


@dataclass(frozen=True)
class DatasetDiff:
    """Schema and distribution differences from snapshot ``a`` to snapshot ``b``."""

    a: str
    b: str
    rows_a: int
    rows_b: int
    added: dict[str, str]
    removed: dict[str, str]
    retyped: dict[str, tuple[str, str]]
    shifts: list[ColumnShift]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "rows_a": self.rows_a,
            "rows_b": self.rows_b,
            "added": dict(self.added),
            "removed": dict(self.removed),
            "retyped": {k: list(v) for k, v in self.retyped.items()},
            "columns": [{**asdict(s), "verdict": s.verdict} for s in self.shifts],
        }


def diff_frames(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    types_a: dict[str, str],
    types_b: dict[str, str],
    name_a: str = "a",
    name_b: str = "b",
) -> DatasetDiff:
    """Compare two frames whose canonical column types are ``types_a`` / ``types_b``."""
    added = {c: t for c, t in types_b.items() if c not in types_a}
    removed = {c: t for c, t in types_a.items() if c not in types_b}
    retyped = {
        c: (types_a[c], types_b[c]) for c in types_a if c in types_b and types_a[c] != types_b[c]
    }
    shifts = [
        _shift(c, a[c], b[c]) for c in types_a if c in types_b and c in a.columns and c in b.columns
    ]
    return DatasetDiff(
        a=name_a,
        b=name_b,
        rows_a=len(a),
        rows_b=len(b),
        added=added,
        removed=removed,
        retyped=retyped,
        shifts=shifts,
    )


def _shift(name: str, a: pd.Series, b: pd.Series) -> ColumnShift:
    missing_a = float(a.isna().mean()) if len(a) else 0.0
    missing_b = float(b.isna().mean()) if len(b) else 0.0
    numeric = all(is_numeric_dtype(s.dtype) and not is_bool_dtype(s.dtype) for s in (a, b))
    if numeric:
        x = a.to_numpy(dtype=np.float64, na_value=np.nan)
        y = b.to_numpy(dtype=np.float64, na_value=np.nan)
        x_present, y_present = x[np.isfinite(x)], y[np.isfinite(y)]
        return ColumnShift(
            name=name,
            kind="numeric",
            psi=_numeric_psi(x, y, x_present),
            missing_a=missing_a,
            missing_b=missing_b,
            ks=_ks(x_present, y_present),
            mean_a=float(x_present.mean()) if len(x_present) else None,
            mean_b=float(y_present.mean()) if len(y_present) else None,
        )
    keys_a = a.astype(object).where(a.notna(), None).astype("str").where(a.notna(), None)
    keys_b = b.astype(object).where(b.notna(), None).astype("str").where(b.notna(), None)
    counts_a = keys_a.value_counts(dropna=True)
    counts_b = keys_b.value_counts(dropna=True)
    levels_a, levels_b = set(counts_a.index), set(counts_b.index)
    return ColumnShift(
        name=name,
        kind="categorical",
        psi=_categorical_psi(keys_a, keys_b, counts_a),
        missing_a=missing_a,
        missing_b=missing_b,
        new_levels=sorted(map(str, levels_b - levels_a))[:_LEVEL_EXAMPLES],
        gone_levels=sorted(map(str, levels_a - levels_b))[:_LEVEL_EXAMPLES],
    )


def _psi(share_a: np.ndarray, share_b: np.ndarray) -> float:
    pa_ = np.maximum(share_a, _FLOOR)
    pb_ = np.maximum(share_b, _FLOOR)
    return float(np.sum((pb_ - pa_) * np.log(pb_ / pa_)))


def _shares(codes: np.ndarray, bins: int) -> np.ndarray:
    if len(codes) == 0:
        return np.zeros(bins)
    return np.bincount(codes, minlength=bins)[:bins] / len(codes)


def _numeric_psi(x: np.ndarray, y: np.ndarray, x_present: np.ndarray) -> float:
    if len(x_present):
        edges = np.unique(np.quantile(x_present, np.linspace(0, 1, _BINS + 1)[1:-1]))
    else:
        edges = np.zeros(0)
    bins = len(edges) + 2  # value bins, then a bin for missing (and infinite)

    def codes(values: np.ndarray) -> np.ndarray:
        out = np.searchsorted(edges, values, side="right")
        out[~np.isfinite(values)] = bins - 1
        return out

    return _psi(_shares(codes(x), bins), _shares(codes(y), bins))


def _categorical_psi(a: pd.Series, b: pd.Series, counts_a: pd.Series) -> float:
    top = list(counts_a.index[:_TOP_LEVELS])
    index = {level: i for i, level in enumerate(top)}
    other, missing = len(top), len(top) + 1

    def codes(keys: pd.Series) -> np.ndarray:
        mapped = keys.map(index)
        out = mapped.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.where(np.isnan(out), other, out).astype(np.int64)
        out[keys.isna().to_numpy()] = missing
        return out

    return _psi(_shares(codes(a), missing + 1), _shares(codes(b), missing + 1))


def _ks(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) == 0 or len(y) == 0:
        return None
    x, y = np.sort(x), np.sort(y)
    grid = np.concatenate([x, y])
    cdf_x = np.searchsorted(x, grid, side="right") / len(x)
    cdf_y = np.searchsorted(y, grid, side="right") / len(y)
    return float(np.max(np.abs(cdf_x - cdf_y)))
