"""Numbers written as text, and Python numbers as floats: one reading for both validation paths.

A numeric feature may arrive as text (``"42"``, ``" 1e3 "``, ``""``) or as a Python integer too
large for a float; the vectorised validator and its few-records path
(:mod:`prodml.data.validation_small`) both read them here, so they agree on every value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["parse_text", "text_series", "to_float"]


def parse_text(
    text: pd.Series, max_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(float64 values, missing, wrong type, oversized) masks for text in a numeric column.

    Blank text is missing; text longer than ``max_length`` is oversized (not parsed); anything
    pandas cannot read as a number (``"abc"``, ``"1,5"``, ``"NaN"``) is a wrong type.
    """
    blank = text.isna() | (text.str.strip() == "")
    missing = blank.to_numpy(dtype=bool, na_value=True)
    oversized = (text.str.len() > max_length).to_numpy(dtype=bool, na_value=False) & ~missing
    kept = text.where(~blank & ~oversized)
    values = pd.to_numeric(kept, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    values = values.copy()
    wrong = ~missing & ~oversized & np.isnan(values)
    return values, missing, wrong, oversized


def text_series(values: np.ndarray) -> pd.Series:
    """Python strings as a pandas text column; lone surrogates (valid JSON, invalid UTF-8)
    are replaced rather than allowed to fail the whole batch."""
    try:
        return pd.Series(values, dtype="str")
    except (ValueError, TypeError, pa.ArrowException):
        cleaned = [v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for v in values]
        return pd.Series(cleaned, dtype="str")


def to_float(value: Any) -> float:
    """A Python number as a float; integers beyond the float range become +-inf, not an error."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
    except (TypeError, ValueError):
        return float("nan")
