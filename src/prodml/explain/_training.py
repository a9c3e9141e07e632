"""What training stores for explanations, computed from the rows the model never trained on.

:func:`held_out_data` rebuilds the held-out rows, labels and per-row values exactly as training
split them (same labelled rows, same positions); :func:`explain_at_training` computes the global
importance on them and the state local explanations need (a linear model's training means). The
result is plain JSON, stored inside the model bundle, so any copy of the model can explain itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from prodml.evaluate.value import BinaryValues, RegressionValues
from prodml.explain._contributions import linear_state
from prodml.explain._importance import global_importance

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle
    from prodml.spec import Spec
    from prodml.train.splits import Splits

__all__ = ["EXPLANATION_FORMAT", "HeldOut", "explain_at_training", "held_out_data"]

EXPLANATION_FORMAT = 1


@dataclass(frozen=True)
class HeldOut:
    """The training rows and the held-out rows (features as given), labels and row values."""

    train: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    values: BinaryValues | RegressionValues


def held_out_data(spec: Spec, frame: pd.DataFrame, splits: Splits) -> HeldOut:
    """The held-out rows of a training run, as ``train_model`` split them."""
    from prodml.train.target import prepare_target

    problem = spec.problem
    target = prepare_target(frame, problem)
    labelled = frame.iloc[target.rows].reset_index(drop=True)
    data = {c: labelled[c].to_numpy() for c in labelled.columns}
    expressions = problem.value_expressions()
    values: BinaryValues | RegressionValues = (
        BinaryValues.from_expressions(expressions, data, len(labelled))
        if problem.task == "binary"
        else RegressionValues.from_expressions(expressions, data, len(labelled))
    )
    return HeldOut(
        train=labelled.iloc[splits.train].reset_index(drop=True),
        X=labelled.iloc[splits.holdout].reset_index(drop=True),
        y=np.asarray(target.y)[splits.holdout],
        values=values.take(splits.holdout),
    )


def explain_at_training(bundle: ModelBundle, held: HeldOut, *, seed: int) -> dict[str, Any]:
    """The explanation data to store with ``bundle``: state for local reasons, global importance."""
    state = linear_state(bundle.pipeline, held.train)
    importance = global_importance(bundle, held.X, held.y, held.values, state=state, seed=seed)
    return {"format": EXPLANATION_FORMAT, "state": state, "importance": importance}
