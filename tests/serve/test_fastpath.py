"""The compiled fast path scores exactly what the bundle's own predict scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import prodml
from prodml.registry.bundle import ModelBundle
from prodml.registry.fastpath import synthetic_records
from prodml.serve import compile_scorer
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan
from tests.serve.conftest import TrainedExamples

TOLERANCE = 1e-12


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {name: frame[name].to_numpy() for name in frame.columns}


def _hostile(bundle: ModelBundle, rows: int = 200) -> pd.DataFrame:
    """Typical values, missing ones, unseen categories, numbers out of range, 1 vs 1.0 vs "1"."""
    records = synthetic_records(bundle, rows=rows, seed=7)
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in records.items()})


@pytest.mark.slow
@pytest.mark.parametrize("example", ["credit", "attrition", "ames"])
def test_parity_on_every_registered_model_of_the_examples(
    trained: TrainedExamples, example: str
) -> None:
    project = prodml.Project(trained.path(example))
    try:
        for record in project.models():
            bundle = project.load_model(record.version)
            scorer = compile_scorer(bundle)
            assert scorer.compiled, scorer.reason
            data = project.load_data()[bundle.features]
            for frame in (data, data.head(1), _hostile(bundle)):
                fast = scorer.scores(_columns(frame), len(frame))
                slow = np.asarray(bundle.predict(frame), dtype=np.float64)
                np.testing.assert_allclose(fast, slow, rtol=0, atol=TOLERANCE)
    finally:
        project.store.close()


def _toy(task: str, rows: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "age": np.where(rng.random(rows) < 0.1, np.nan, rng.integers(18, 80, rows)),
            "income": rng.lognormal(8, 1, rows),
            "home": pd.Series(rng.choice(["rent", "own", None], rows), dtype=object),
            "code": rng.choice([1, 2, 3], rows),
        }
    )
    signal = (frame["age"].fillna(40) < 30) | (frame["home"] == "rent")
    if task == "binary":
        return frame, (signal.to_numpy() ^ (rng.random(rows) < 0.2))
    return frame, frame["income"].to_numpy() * 0.1 + signal.to_numpy() * 50


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("family", ["baseline", "linear", "lightgbm"])
def test_parity_for_every_candidate_family_and_task(task: str, family: str) -> None:
    frame, y = _toy(task)
    plan = FeaturePlan(numeric=["age", "income"], categorical=["home", "code"])
    params = {"baseline": {}, "linear": {"C" if task == "binary" else "alpha": 1.0}}.get(
        family, {"n_estimators": 20, "num_leaves": 7}
    )
    pipeline = build_pipeline(CandidateConfig(family, params), task, plan, seed=0)
    pipeline.fit(frame, y)
    bundle = ModelBundle(
        task=task,
        pipeline=pipeline,
        decision_rule=0.5 if task == "binary" else 0.0,
        features=plan.columns,
        contract={"columns": []},
        model_kind=family,
        params=params,
        positive_label="yes" if task == "binary" else None,
        target="y",
    )
    scorer = compile_scorer(bundle)
    assert scorer.kind == family
    probe = pd.DataFrame(
        {
            "age": [np.nan, 17.0, 200.0, 35.0, None],
            "income": [1e9, -5.0, 3000.0, np.nan, 10.0],
            "home": ["rent", "castle", None, "own", "rent"],
            "code": [1, "1", 1.0, 7, None],
        }
    )
    many = pd.concat([probe] * 60, ignore_index=True)  # enough rows for the vectorised lookups
    for data in (frame, probe, probe.head(1), many):
        slow = np.asarray(bundle.predict(data), dtype=np.float64)
        for columns in (_columns(data), _categoricals(data)):  # as serving / batch scoring pass
            fast = scorer.scores(columns, len(data))
            np.testing.assert_allclose(fast, slow, rtol=0, atol=TOLERANCE)
    # the same float64 operations in the same order as the pipeline: equal to the last bit
    exact = scorer.scores(_columns(frame), len(frame))
    np.testing.assert_array_equal(exact, np.asarray(bundle.predict(frame), dtype=np.float64))


def _categoricals(frame: pd.DataFrame) -> dict[str, Any]:
    """Text columns as pandas Categoricals, as batch scoring hands them to the fast path."""
    return {
        name: pd.Categorical(frame[name]) if frame[name].dtype == object else frame[name].to_numpy()
        for name in frame.columns
    }


def test_a_pipeline_the_fast_path_does_not_know_is_served_by_the_pipeline() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    frame, y = _toy("binary")
    numbers = frame[["income"]]
    pipeline = Pipeline([("model", LogisticRegression())]).fit(numbers, y)
    bundle = ModelBundle(
        task="binary",
        pipeline=pipeline,
        decision_rule=0.5,
        features=["income"],
        contract={"columns": []},
        model_kind="custom",
        params={},
        positive_label="yes",
        target="y",
    )
    scorer = compile_scorer(bundle)
    assert not scorer.compiled and "prodml pipeline" in scorer.reason
    scores = scorer.scores({"income": [1000.0, 5000.0]}, 2)
    np.testing.assert_array_equal(
        scores, bundle.predict(pd.DataFrame({"income": [1000.0, 5000.0]}))
    )
