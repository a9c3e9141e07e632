import numpy as np
import pytest

from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    best_offset,
    best_threshold,
    binary_row_values,
    perfect_value_per_decision,
    regression_row_values,
    trivial_policies,
)


def loan_values(amount: np.ndarray) -> BinaryValues:
    # act = decline: TP 0, FP loses the margin, FN loses the loan, TN earns the margin
    return BinaryValues(tp=0 * amount, fp=-0.1 * amount, tn=0.1 * amount, fn=-amount)


@pytest.mark.parametrize("seed", range(5))
def test_best_threshold_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.random(n) < 0.3
    proba = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 2)  # ties on purpose
    values = loan_values(rng.uniform(500, 5000, n))
    choice = best_threshold(y, proba, values)
    brute = max(
        binary_row_values(y, proba >= t, values).mean()
        for t in np.concatenate([np.unique(proba), [1.01]])
    )
    assert choice.value_per_decision == pytest.approx(brute)
    realised = binary_row_values(y, proba >= choice.threshold, values).mean()
    assert realised == pytest.approx(choice.value_per_decision)


def test_threshold_acts_on_no_one_when_acting_never_pays() -> None:
    y = np.array([True, False, False])
    values = BinaryValues(tp=np.full(3, -5.0), fp=np.full(3, -5.0), tn=np.zeros(3), fn=np.zeros(3))
    choice = best_threshold(y, np.array([0.9, 0.5, 0.1]), values)
    assert choice.acted_share == 0
    assert choice.threshold > 1.0


def test_trivial_and_perfect_policies() -> None:
    y = np.array([True, False, False, False])
    values = loan_values(np.full(4, 1000.0))
    trivial = trivial_policies(y, values)
    assert trivial["act_on_everyone"] == pytest.approx((0 - 100 * 3) / 4)
    assert trivial["act_on_no_one"] == pytest.approx((-1000 + 100 * 3) / 4)
    assert perfect_value_per_decision(y, values) == pytest.approx(300 / 4)


def test_regression_values_are_asymmetric() -> None:
    values = RegressionValues(over=np.full(2, -1.0), under=np.full(2, -3.0))
    out = regression_row_values(np.array([10.0, 10.0]), np.array([12.0, 8.0]), values)
    np.testing.assert_allclose(out, [-2.0, -6.0])


def test_best_offset_moves_towards_the_cheaper_error() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(100, 10, 2000)
    pred = np.full(2000, 100.0)
    values = RegressionValues(over=np.full(2000, -1.0), under=np.full(2000, -3.0))
    offset, vpd = best_offset(y, pred, values)
    # optimum is the 75% quantile of the residuals: under-prediction costs 3x more
    assert offset == pytest.approx(np.quantile(y - pred, 0.75), abs=1.0)
    assert vpd > regression_row_values(y, pred, values).mean()
