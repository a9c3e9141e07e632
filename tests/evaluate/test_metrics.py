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


def test_binary_metrics_match_scikit_learn_on_fixed_data() -> None:
    from sklearn import metrics as skm

    rng = np.random.default_rng(7)
    y = rng.random(400) < 0.3
    proba = np.clip(0.35 * y + 0.65 * rng.random(400), 0.001, 0.999)
    m = binary_metrics(y, proba, 0.4)
    act = proba >= 0.4
    assert m["precision"] == pytest.approx(skm.precision_score(y, act))
    assert m["recall"] == pytest.approx(skm.recall_score(y, act))
    assert m["f1"] == pytest.approx(skm.f1_score(y, act))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, act))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba))
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, proba))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, proba))
    tn, fp, fn, tp = skm.confusion_matrix(y, act).ravel()
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (tp, fp, tn, fn)


def test_regression_metrics_match_scikit_learn_on_fixed_data() -> None:
    from sklearn import metrics as skm

    rng = np.random.default_rng(3)
    y = rng.normal(100, 20, 300)
    pred = y + rng.normal(5, 10, 300)
    m = regression_metrics(y, pred)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert m["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert m["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert m["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred))
    assert m["bias"] == pytest.approx(np.mean(pred - y))


@pytest.mark.parametrize("seed", range(6))
def test_ranking_metrics_match_scikit_learn_with_ties_and_certain_predictions(seed: int) -> None:
    from sklearn import metrics as skm

    rng = np.random.default_rng(seed)
    y = rng.random(150) < 0.25
    proba = np.round(rng.random(150), 1)  # many ties, and exact 0 and 1
    m = binary_metrics(y, proba, 0.5)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba))
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, proba))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba))
