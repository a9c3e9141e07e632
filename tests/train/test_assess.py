"""After selection: held-out rows opened once, hygiene warnings, behaviour gates registration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from prodml.data import infer_kinds
from prodml.evaluate.value import BinaryValues
from prodml.spec import Spec, parse_spec
from prodml.train.assess import HeldOut
from prodml.train.features import plan_features
from prodml.train.trainer import TrainingOutcome, train_model


def loans(n: int = 500, seed: int = 0, *, dates: bool = False) -> pd.DataFrame:
    """Default risk RISES with income here: a model trained on it breaks "income lowers risk"."""
    rng = np.random.default_rng(seed)
    income = rng.uniform(50, 300, n)
    age = rng.integers(18, 70, n)
    risk = 1 / (1 + np.exp(-(0.02 * (income - 175) - 0.03 * (age - 40))))
    frame = pd.DataFrame(
        {
            "Status": np.where(rng.random(n) < risk, "bad", "good"),
            "Income": income.round(1),
            "Age": age,
            "Home": rng.choice(["rent", "owner", "parents"], n),
            "Amount": rng.integers(500, 3000, n),
        }
    )
    if dates:
        frame["Date"] = pd.date_range("2023-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    return frame


def spec(**evaluation: Any) -> Spec:
    return parse_spec(
        {
            "problem": {
                "decision": "approve or decline",
                "task": "binary",
                "target": "Status",
                "positive": "bad",
                "unit": "EUR",
                "value": {"tp": 0, "fp": "-0.1 * Amount", "fn": "-Amount", "tn": "0.1 * Amount"},
            },
            "data": {"source": "data.csv", "time_column": evaluation.pop("time_column", None)},
            "evaluation": {"folds": 3, "bootstrap": 200, **evaluation},
            "training": {"candidates": ["baseline", "linear"], "search_budget": 1},
        }
    )


def train(frame: pd.DataFrame, project: Spec) -> TrainingOutcome:
    kinds = infer_kinds(frame)
    plan = plan_features(
        kinds,
        target="Status",
        id_column=None,
        time_column=project.data.time_column,
        include=None,
        exclude=[],
    )
    return train_model(project, frame, plan)


def test_nothing_chosen_depends_on_the_held_out_labels() -> None:
    """With a time column the held-out rows are the latest; flipping their labels changes the
    held-out result and nothing else: model, calibration and threshold come from the rest."""
    frame = loans(dates=True)
    project = spec(time_column="Date")
    first = train(frame, project)
    latest = frame["Date"] >= frame["Date"].sort_values().iloc[int(len(frame) * 0.8)]
    flipped = frame.assign(
        Status=np.where(latest, np.where(frame["Status"] == "bad", "good", "bad"), frame["Status"])
    )
    second = train(flipped, project)
    assert first.splits.time_ordered
    assert set(first.splits.holdout) == set(np.flatnonzero(latest.to_numpy()))
    assert second.chosen.config == first.chosen.config
    assert second.decision_rule == first.decision_rule
    assert second.calibrator == first.calibrator
    assert second.holdout["value_per_decision"] != first.holdout["value_per_decision"]
    assert first.evaluation is not None and first.evaluation.hygiene is not None
    assert first.evaluation.hygiene.holdout_used_once
    assert first.evaluation.hygiene.warnings == []


def test_the_held_out_rows_open_once() -> None:
    values = BinaryValues(*(np.zeros(2) for _ in range(4)))
    held = HeldOut(pd.DataFrame({"a": [1, 2]}), np.array([True, False]), values)
    held.open()
    with pytest.raises(RuntimeError, match="already evaluated"):
        held.open()


def test_random_splits_with_a_date_column_warn_of_leaking_the_future() -> None:
    outcome = train(loans(dates=True), spec())
    assert outcome.evaluation is not None and outcome.evaluation.hygiene is not None
    [warning] = outcome.evaluation.hygiene.warnings
    assert "Date" in warning and "data.time_column" in warning


def test_the_evaluation_is_complete_and_gaps_are_reported() -> None:
    outcome = train(loans(), spec(segments=["Home"], edge_cases={"young": "Age < 25"}))
    report = outcome.evaluation
    assert report is not None
    assert report.value.ci[0] <= outcome.holdout["value_per_decision"] <= report.value.ci[1]
    assert {p.name for p in report.policies} >= {"act_on_everyone", "act_on_no_one", "baseline"}
    assert report.calibration is not None and report.calibration.method == outcome.calibrator.method
    assert set(report.calibration.selection) == {"none", "sigmoid", "isotonic"}
    assert {r.column for r in report.segments.results} == {"Home"}
    assert [r.name for r in report.edge_cases.results] == ["young"]
    assert report.overfitting is not None
    assert set(report.overfitting.train) == {"value_per_decision", "metric"}
    assert outcome.metrics()["evaluation"]["value"]["ci"] == report.value.ci


BEHAVIOUR = [{"monotonic": {"feature": "Income", "direction": "decreasing"}}]


def test_a_failing_behavioural_test_blocks_registration() -> None:
    outcome = train(loans(), spec(behaviour=BEHAVIOUR))
    assert outcome.evaluation is not None
    [result] = outcome.evaluation.behaviour
    assert result.status == "failed" and result.examples
    assert not outcome.success
    assert any("evaluation.behaviour[0]" in r and "failed" in r for r in outcome.reasons)


def test_behaviour_failures_can_be_allowed() -> None:
    allowed = train(loans(), spec(behaviour=BEHAVIOUR, allow_behaviour_failures=True))
    assert allowed.success
    assert any("not blocking" in r for r in allowed.reasons)
    one = [{"monotonic": {**BEHAVIOUR[0]["monotonic"], "blocking": False}}]
    assert train(loans(), spec(behaviour=one)).success
