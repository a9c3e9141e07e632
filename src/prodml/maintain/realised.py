"""The value a set of decisions earned, once their outcomes are known.

Gates (both models deciding the same recent rows) and the A/B test (each variant on its own
traffic) count value the same way training and monitoring do: the project's value expressions
evaluated on the row's features, for the outcome that happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from prodml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.spec import Spec

__all__ = ["decision_values"]


def decision_values(
    spec: Spec, frame: pd.DataFrame, y: np.ndarray, decided: np.ndarray
) -> np.ndarray:
    """Per-row realised value. Binary: ``decided`` is True/1 where the model acted;
    regression: the value decided. ``y`` is the observed outcome of each row."""
    from prodml.evaluate.value import (
        BinaryValues,
        RegressionValues,
        binary_row_values,
        regression_row_values,
    )

    expressions = spec.problem.value_expressions()
    missing = sorted({c for e in expressions.values() for c in e.columns} - set(frame.columns))
    if missing:
        raise DataError(
            "the value of each decision needs " + ", ".join(missing) + ", which the rows lack",
            where="problem.value",
            fix="value expressions can only read columns the model sees; make them features",
        )
    data = {name: frame[name].to_numpy() for name in frame.columns}
    if spec.problem.task == "binary":
        binary = BinaryValues.from_expressions(expressions, data, len(frame))
        return binary_row_values(y, np.asarray(decided, dtype=np.float64) >= 0.5, binary)
    regression = RegressionValues.from_expressions(expressions, data, len(frame))
    return regression_row_values(y, np.asarray(decided, dtype=np.float64), regression)
