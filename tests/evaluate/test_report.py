"""The evaluation report: complete, consistent, and a faithful JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from prodml.evaluate.report import BaselinePolicy, EvaluationReport, evaluate_rows
from prodml.evaluate.rows import EvaluationRows
from prodml.evaluate.value import BinaryValues, RegressionValues
from prodml.spec import EvaluationSection

SETTINGS = EvaluationSection.model_validate(
    {
        "bootstrap": 200,
        "segments": ["Home"],
        "edge_cases": {"big": "Amount > 2500", "none": "Amount > 1e9"},
        "behaviour": [{"monotonic": {"feature": "Age", "direction": "decreasing"}}],
    }
)


def binary_rows(n: int = 600) -> EvaluationRows:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 70, n).astype(float),
            "Home": rng.choice(["rent", "owner"], n),
            "Amount": rng.uniform(500, 3000, n),
        }
    )
    y = rng.random(n) < 0.3
    scores = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    amount = frame["Amount"].to_numpy()
    values = BinaryValues(tp=0 * amount, fp=-0.1 * amount, tn=0.1 * amount, fn=-amount)
    return EvaluationRows.build("binary", frame, y, scores, 0.4, values)


def report_of(rows: EvaluationRows) -> EvaluationReport:
    return evaluate_rows(
        rows,
        SETTINGS,
        unit="EUR",
        data="test rows",
        features=["Age", "Home", "Amount"],
        numeric={"Age", "Amount"},
        edge_cases=SETTINGS.edge_case_filters(),
        baseline=BaselinePolicy("baseline", 0.3, 0.0),
        score=lambda f: 1.0 / (1.0 + np.exp(0.05 * (f["Age"].to_numpy() - 40))),
    )


def test_binary_report_is_consistent_with_the_rows() -> None:
    rows = binary_rows()
    report = report_of(rows)
    realised = rows.row_values.mean()
    assert report.value.value_per_decision == pytest.approx(realised)
    assert report.value.ci[0] < realised < report.value.ci[1]
    assert report.value.total_value == pytest.approx(realised * rows.n)
    policies = {p.name: p for p in report.policies}
    assert set(policies) == {"act_on_everyone", "act_on_no_one", "baseline", "perfect"}
    assert policies["act_on_no_one"].difference == pytest.approx(
        realised - rows.trivial["act_on_no_one"].mean()
    )
    assert policies["perfect"].value_per_decision >= realised
    curve = report.value_curve
    assert 0.4 in curve["threshold"]
    at_rule = curve["value_per_decision"][curve["threshold"].index(0.4)]
    assert at_rule == pytest.approx(realised)
    assert (
        report.metric_ci["roc_auc"][0] < report.metrics["roc_auc"] < report.metric_ci["roc_auc"][1]
    )
    assert report.calibration is not None and len(report.calibration.reliability) > 3
    assert {r.name for r in report.edge_cases.results} == {"big", "none"}
    assert not next(r for r in report.edge_cases.results if r.name == "none").tested
    assert [b.status for b in report.behaviour] == ["passed"]


def test_report_survives_json_and_comes_back_equal() -> None:
    report = report_of(binary_rows())
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN or infinity anywhere
    again = EvaluationReport.from_dict(json.loads(text))
    assert again.to_dict() == data
    assert again.value == report.value
    assert again.segments.results[0] == report.segments.results[0]


def test_regression_report_breaks_the_loss_down_by_error() -> None:
    rng = np.random.default_rng(1)
    n = 500
    frame = pd.DataFrame({"Area": rng.uniform(50, 200, n), "Home": rng.choice(["a", "b"], n)})
    y = 1000 * frame["Area"].to_numpy() + rng.normal(0, 5000, n)
    pred = y + rng.normal(0, 8000, n)
    values = RegressionValues(over=np.full(n, -1.0), under=np.full(n, -0.25))
    rows = EvaluationRows.build("regression", frame, y, pred, -2000.0, values)
    settings = EvaluationSection.model_validate({"bootstrap": 200, "segments": ["Home"]})
    report = evaluate_rows(
        rows, settings, unit="USD", data="test", features=["Area", "Home"], numeric={"Area"},
        edge_cases={}, baseline=BaselinePolicy("baseline", float(y.mean()), -3000.0),
    )  # fmt: skip
    assert report.calibration is None
    bins = report.error_value
    assert {b["sign"] for b in bins} == {"over", "under"}
    assert sum(b["total_value"] for b in bins) == pytest.approx(report.value.total_value)
    assert sum(b["rows"] for b in bins) <= n
    assert sum(b["share_of_loss"] for b in bins) == pytest.approx(1.0)
    assert -2000.0 in report.value_curve["offset"]
    assert {"mae", "rmse", "bias"} <= set(report.metric_ci)
    names = {p.name for p in report.policies}
    assert names == {"constant_prediction", "baseline"}
