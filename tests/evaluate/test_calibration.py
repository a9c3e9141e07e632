"""Calibration: measured like scikit-learn, fixed when that helps, left alone otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from prodml.evaluate.calibration import (
    Calibrator,
    brier_score,
    choose_calibration,
    expected_calibration_error,
    log_loss,
    reliability_curve,
)


def simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """True probabilities and outcomes drawn from them."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (1.0 + np.exp(-rng.normal(-1.0, 1.5, n)))
    return p, rng.random(n) < p


def overconfident(p: np.ndarray) -> np.ndarray:
    """A model whose log-odds are three times too large (and shifted)."""
    z = np.log(p) - np.log1p(-p)
    return 1.0 / (1.0 + np.exp(-(3.0 * z + 0.5)))


def test_reliability_curve_matches_scikit_learn() -> None:
    from sklearn.calibration import calibration_curve

    p, y = simulated(2000, 0)
    p[:3] = [0.1, 0.5, 0.9]  # values on bin edges
    curve = reliability_curve(y, p, bins=10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose([b["observed_rate"] for b in curve], observed)
    np.testing.assert_allclose([b["mean_predicted"] for b in curve], predicted)
    assert sum(b["rows"] for b in curve) == 2000
    ece = sum(b["rows"] * abs(b["mean_predicted"] - b["observed_rate"]) for b in curve) / 2000
    assert expected_calibration_error(y, p) == pytest.approx(ece)


def test_a_miscalibrated_model_is_calibrated_and_its_log_loss_improves_on_new_rows() -> None:
    p_fit, y_fit = simulated(3000, 1)
    choice = choose_calibration(overconfident(p_fit), y_fit, seed=0)
    assert choice.calibrator.method in {"sigmoid", "isotonic"}
    assert choice.scores[choice.calibrator.method]["log_loss"] < choice.scores["none"]["log_loss"]

    p_new, y_new = simulated(3000, 2)
    raw = overconfident(p_new)
    fixed = choice.calibrator.apply(raw)
    assert log_loss(y_new, fixed) < 0.9 * log_loss(y_new, raw)
    assert brier_score(y_new, fixed) < brier_score(y_new, raw)
    assert expected_calibration_error(y_new, fixed) < expected_calibration_error(y_new, raw) / 2
    assert np.all(np.diff(fixed[np.argsort(raw)]) >= -1e-12)  # ranking kept


def test_calibrated_probabilities_are_left_alone() -> None:
    p, y = simulated(3000, 3)
    choice = choose_calibration(p, y, seed=0)
    assert choice.calibrator.method == "none"
    assert "already calibrated" in choice.reason


def test_a_requested_method_is_used_and_a_rare_class_is_not_calibrated() -> None:
    p, y = simulated(1000, 4)
    assert choose_calibration(p, y, requested="isotonic").calibrator.method == "isotonic"
    few = np.zeros(1000, dtype=bool)
    few[:3] = True
    assert choose_calibration(p, few).calibrator.method == "none"


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrators_survive_json_and_never_claim_certainty(method: str) -> None:
    import json

    from prodml.evaluate.calibration import fit_calibrator

    p, y = simulated(500, 5)
    calibrator = fit_calibrator(method, overconfident(p), y)  # type: ignore[arg-type]
    again = Calibrator.from_dict(json.loads(json.dumps(calibrator.to_dict())))
    grid = np.linspace(0, 1, 101)
    np.testing.assert_array_equal(again.apply(grid), calibrator.apply(grid))
    served = again.apply(grid)
    assert served.min() > 0.0 and served.max() < 1.0


@pytest.mark.parametrize("params", [{"a": 1.3, "b": -0.2}, {"a": 50.0, "b": -20.0}])
def test_one_probability_is_calibrated_exactly_as_in_an_array(params: dict[str, float]) -> None:
    """The API calibrates one record at a time; batch scoring a million: same numbers."""
    calibrator = Calibrator("sigmoid", params)
    rng = np.random.default_rng(0)
    p = np.concatenate(
        [rng.random(5000), [0.0, 1.0, 1e-13, 1 - 1e-13, np.nan], rng.random(50) * 1e-9]
    )
    together = calibrator.apply(p)
    alone = np.array([calibrator.apply(np.array([v]))[0] for v in p])
    assert np.array_equal(together, alone, equal_nan=True)
    assert calibrator.apply(np.float64(0.3)).shape == ()
