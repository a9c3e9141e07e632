"""A regression model: drift and realised value as for binary, and the value estimated before
labels from the held-out error model stored at training."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from prodml import Project
from tests.monitor.conftest import day, write_predictions
from tests.trained import applications, make_project

pytestmark = pytest.mark.slow


def test_the_estimated_value_of_a_regression_model_lands_near_the_realised_one(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "prices", "regression")
    bundle = project.load_model(1)
    errors = bundle.profile["errors"]
    assert errors["method"].startswith("held-out errors") and len(errors["value"]) >= 5
    fresh = applications(n=1500, seed=5).drop(columns=["Status"])
    ids = write_predictions(project.root, fresh, at=day(4))
    labels = pd.DataFrame({"prediction_id": ids, "Price": fresh["Price"]})

    receipt = project.feedback(labels, id_column="prediction_id")
    [window] = Project(project.root).monitor(window="1d", alerts=False, domain=False).windows

    assert receipt.by == "prediction"
    realised, estimated = window["performance"], window["estimate"]
    assert realised["labelled_share"] == 1.0
    low, high = realised["value_ci"]
    assert low < estimated["value_per_decision"] < high
    assert estimated["mae"] == pytest.approx(realised["metrics"]["mae"], rel=0.25)
    assert window["drift"]["drifted_columns"] == []
