import numpy as np
import pytest

from prodml.evaluate.metrics import binary_metrics, regression_metrics


def test_confusion_matrix_and_rates_at_threshold() -> None:
    y = np.array([1, 1, 0, 0, 0], dtype=bool)
    proba = np.array([0.9, 0.4, 0.6, 0.2, 0.1])
    m = binary_metrics(y, proba, 0.5)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (1, 1, 2, 1)
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)
    assert m["roc_auc"] == pytest.approx(5 / 6)
    assert 0 < m["brier"] < 1
    assert m["log_loss"] > 0


def test_auc_is_absent_not_wrong_on_a_single_class() -> None:
    m = binary_metrics(np.zeros(3, dtype=bool), np.array([0.1, 0.2, 0.3]), 0.5)
    assert "roc_auc" not in m


def test_regression_metrics() -> None:
    m = regression_metrics(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 3.0]))
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert m["mape"] == pytest.approx((0 + 0.5 + 0.25) / 3)
    assert m["r2"] == pytest.approx(1 - 2 / (14 / 3))
