"""Small fitted models of every family, on data where the truth is known."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from prodml import ModelBundle
from prodml.data import infer_contract, infer_kinds
from prodml.explain._contributions import linear_state
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan

PLAN = FeaturePlan(numeric=["Income", "Noise"], categorical=["Home"])
CONFIGS = {
    "baseline": CandidateConfig("baseline", {}),
    "linear": CandidateConfig("linear", {"C": 1.0}),
    "lightgbm": CandidateConfig(
        "lightgbm",
        {
            "n_estimators": 60,
            "learning_rate": 0.1,
            "num_leaves": 7,
            "min_child_samples": 10,
            "colsample_bytree": 1.0,
            "reg_lambda": 0.0,
        },
    ),
}
RIDGE = CandidateConfig("linear", {"alpha": 1.0})


def loans(n: int = 800, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Default risk falls with Income and is higher for renters; Noise is pure noise.

    Income has missing values (so the linear encoder adds an indicator column) and Home has
    three levels (three one-hot columns), so contributions must be summed back per feature.
    """
    rng = np.random.default_rng(seed)
    income = rng.gamma(4.0, 30.0, n)
    home = rng.choice(["rent", "owner", "parents"], n, p=[0.4, 0.4, 0.2])
    noise = rng.normal(size=n)
    logit = 1.5 - income / 40 + np.where(home == "rent", 1.0, 0.0)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    amount = rng.integers(500, 5000, n).astype(float)
    frame = pd.DataFrame(
        {
            "Income": np.where(rng.random(n) < 0.05, np.nan, income.round()),
            "Noise": noise,
            "Home": pd.Series(home, dtype="str"),
            "Amount": amount,
        }
    )
    return frame, y, amount


def price(frame: pd.DataFrame) -> np.ndarray:
    """A regression target: falls with Income, higher for renters, a little noise."""
    rng = np.random.default_rng(1)
    income = frame["Income"].fillna(120).to_numpy()
    rent = (frame["Home"] == "rent").to_numpy()
    return 1000 - 3 * income + 50 * rent + rng.normal(0, 10, len(frame))


@pytest.fixture(scope="session")
def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return loans()


@pytest.fixture(scope="session")
def contract(data: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> dict:
    frame, y, _ = data
    full = frame.assign(Status=np.where(y, "bad", "good"))
    return infer_contract(full, infer_kinds(full), target="Status").to_dict()


@pytest.fixture(scope="session")
def make_bundle(
    data: tuple[pd.DataFrame, np.ndarray, np.ndarray], contract: dict
) -> Callable[..., ModelBundle]:
    frame, y, _ = data

    def make(kind: str, task: str = "binary", state: bool = True) -> ModelBundle:
        config = RIDGE if (kind == "linear" and task == "regression") else CONFIGS[kind]
        target = y if task == "binary" else price(frame)
        pipeline = build_pipeline(config, task, PLAN, seed=0).fit(frame, target)
        explanation = {"state": linear_state(pipeline, frame)} if state else {}
        return ModelBundle(
            task=task,
            pipeline=pipeline,
            decision_rule=0.3 if task == "binary" else 0.0,
            features=PLAN.columns,
            contract=contract,
            model_kind=kind,
            params=dict(config.params),
            positive_label="bad" if task == "binary" else None,
            target="Status" if task == "binary" else "Loss",
            explanation=explanation,
        )

    return make
