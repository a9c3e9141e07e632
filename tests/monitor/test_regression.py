"""A regression model: drift and realised value as for binary, and the value estimated before
labels from the held-out error models stored at training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodml import Project
from tests.monitor.conftest import day, write_predictions
from tests.trained import SPEC, applications, make_project

pytestmark = pytest.mark.slow


def test_the_estimated_value_of_a_regression_model_lands_near_the_realised_one(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "prices", "regression")
    bundle = project.load_model(1)
    errors = bundle.profile["errors"]
    assert errors["method"].startswith("held-out errors") and len(errors["value"]) >= 5
    assert errors["learned"]["rows"] >= 200  # enough held-out rows: the error models too
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


def _noisy_when_old(n: int, seed: int, ages: tuple[int, int] = (18, 75)) -> pd.DataFrame:
    """Prices whose noise depends on age (sd 10 under 45, 150 from 45) though their mean does
    not: the prediction cannot tell a noisy row from a quiet one, the features can."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(4.0, 30.0, n).round()
    home = rng.choice(["rent", "owner", "parents"], n, p=[0.4, 0.4, 0.2])
    age = rng.integers(ages[0], ages[1], n)
    noise = rng.normal(0, 1, n) * np.where(age >= 45, 150.0, 10.0)
    price = 2000 + 5 * income - 300 * (home == "rent") + noise
    return pd.DataFrame({"Income": income, "Home": home, "Age": age, "Price": price.round(2)})


def test_the_error_models_see_a_move_into_noisier_rows_the_prediction_does_not_show(
    tmp_path: Path,
) -> None:
    from prodml.monitor.estimation import estimate_regression

    root = tmp_path / "noisy"
    root.mkdir()
    _noisy_when_old(2500, seed=1).to_csv(root / "data.csv", index=False)
    values = "    over: -1.0\n    under: -0.25"
    spec = SPEC.format(
        name="noisy", decision="the price", task="regression", target="Price", positive="",
        values=values,
    )  # fmt: skip
    (root / "prodml.yaml").write_text(spec.replace("  segments: [Home]\n", ""))
    project = Project(root)
    assert project.train().registered
    errors = project.load_model(1).profile["errors"]
    assert errors["learned"] is not None and errors["learned"]["rows"] >= 200
    old = _noisy_when_old(1500, seed=2, ages=(50, 75))
    ids = write_predictions(root, old.drop(columns=["Price"]), at=day(4))
    labels = pd.DataFrame({"prediction_id": ids, "Price": old["Price"]})
    project.feedback(labels, id_column="prediction_id")

    [window] = Project(root).monitor(window="1d", alerts=False, domain=False).windows

    realised = window["performance"]["metrics"]["mae"]
    estimated = window["estimate"]
    assert estimated["method"].startswith("error models")
    assert estimated["mae"] == pytest.approx(realised, rel=0.3)
    # the decile table, blind to age, expects the reference's mix of quiet and noisy rows
    table = estimate_regression(np.full(100, 2600.0), {**errors, "learned": None})
    assert table["mae"] < 0.7 * realised
