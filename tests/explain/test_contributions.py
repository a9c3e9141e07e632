"""Contributions are exact: with the base value they add up to the model's raw score."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from prodml import ModelBundle
from prodml.explain import compute_contributions, explain_frame

Data = tuple[pd.DataFrame, np.ndarray, np.ndarray]


def raw_score(bundle: ModelBundle, frame: pd.DataFrame) -> np.ndarray:
    """The model's own raw output, independently of prodml.explain."""
    model = bundle.pipeline.steps[-1][1]
    encoded = bundle.pipeline[:-1].transform(frame)
    if bundle.task == "binary":
        return np.asarray(
            model.booster_.predict(encoded, raw_score=True)
            if hasattr(model, "booster_")
            else model.decision_function(encoded)
        )
    return np.asarray(model.predict(encoded))


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("kind", ["lightgbm", "linear"])
def test_contributions_sum_to_the_raw_score(
    make_bundle: Callable[..., ModelBundle], data: Data, kind: str, task: str
) -> None:
    frame, _, _ = data
    bundle = make_bundle(kind, task)
    rows = frame.iloc[:200]
    parts = compute_contributions(
        bundle.pipeline,
        task=task,
        features=bundle.features,
        frame=rows,
        state=bundle.explanation["state"],
        contract=bundle.contract,
    )
    assert parts.values.shape == (200, 3)  # one column per original feature, not per encoding
    np.testing.assert_allclose(
        parts.base + parts.values.sum(axis=1), raw_score(bundle, rows), rtol=1e-9, atol=1e-9
    )
    if task == "binary":  # and the raw score is the log-odds of the served probability
        served = bundle.predict(rows)
        np.testing.assert_allclose(1 / (1 + np.exp(-parts.raw)), served, rtol=1e-9, atol=1e-12)
    else:
        np.testing.assert_allclose(parts.raw, bundle.predict(rows), rtol=1e-9, atol=1e-6)


def test_linear_contributions_are_centred_on_the_training_rows(
    make_bundle: Callable[..., ModelBundle], data: Data
) -> None:
    frame, _, _ = data
    bundle = make_bundle("linear")
    parts = compute_contributions(
        bundle.pipeline,
        task="binary",
        features=bundle.features,
        frame=frame,
        state=bundle.explanation["state"],
    )
    np.testing.assert_allclose(parts.values.mean(axis=0), 0.0, atol=1e-9)
    # Income lowers risk and renting raises it: the signs follow the data
    rich = frame["Income"].fillna(0).to_numpy() > 200
    assert parts.values[rich, 0].mean() < 0
    renter = (frame["Home"] == "rent").to_numpy()
    assert parts.values[renter, 2].mean() > 0 > parts.values[~renter, 2].mean()


def test_a_linear_bundle_without_stored_means_still_adds_up(
    make_bundle: Callable[..., ModelBundle], data: Data
) -> None:
    frame, _, _ = data
    bundle = make_bundle("linear", state=False)
    explained = explain_frame(bundle, frame.iloc[:20])
    for one, raw in zip(explained, raw_score(bundle, frame.iloc[:20]), strict=True):
        assert one.base_value + sum(one.contributions.values()) == pytest.approx(raw, abs=1e-9)
        assert one.raw_score == pytest.approx(raw, abs=1e-9)


def test_the_baseline_has_no_reasons_and_says_so(
    make_bundle: Callable[..., ModelBundle], data: Data
) -> None:
    frame, y, _ = data
    bundle = make_bundle("baseline")
    one = explain_frame(bundle, frame.iloc[:1])[0]
    assert one.reasons == []
    assert set(one.contributions.values()) == {0.0}
    assert one.base_value == pytest.approx(np.log(y.mean() / (1 - y.mean())))
    assert any("baseline" in note and "no reasons" in note for note in one.notes)
    assert "baseline" in one.render()
