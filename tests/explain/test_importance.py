"""Global importance: value lost per decision when a feature is shuffled, on held-out rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from prodml import ModelBundle
from prodml.evaluate.value import BinaryValues
from prodml.explain import global_importance
from tests.explain.conftest import loans


@pytest.mark.parametrize("kind", ["lightgbm", "linear"])
def test_an_informative_feature_outranks_noise(
    make_bundle: Callable[..., ModelBundle], kind: str
) -> None:
    bundle = make_bundle(kind)
    held, y, amount = loans(n=600, seed=7)  # fresh rows the models never saw
    values = BinaryValues(  # declining a defaulter saves the loan; declining a payer loses margin
        tp=np.zeros(len(y)), fp=np.zeros(len(y)), tn=0.1 * amount, fn=-amount
    )
    result = global_importance(bundle, held, y, values, state=bundle.explanation["state"], seed=3)
    ranked = [f["feature"] for f in result["features"]]
    by_name = {f["feature"]: f for f in result["features"]}
    assert ranked[0] == "Income"
    assert ranked.index("Income") < ranked.index("Noise")
    assert by_name["Income"]["value_loss"] > 10 * max(abs(by_name["Noise"]["value_loss"]), 1.0)
    assert by_name["Income"]["metric_loss"] > 0.05  # ROC AUC drops without Income
    assert abs(by_name["Noise"]["metric_loss"]) < 0.02
    assert by_name["Income"]["mean_abs_contribution"] > by_name["Noise"]["mean_abs_contribution"]
    assert result["metric"] == "roc_auc" and result["rows"] == 600 and result["repeats"] == 5


def test_importance_is_reproducible_and_bounded_in_rows(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("lightgbm")
    held, y, amount = loans(n=300, seed=8)
    values = BinaryValues(np.zeros(300), np.zeros(300), 0.1 * amount, -amount)
    first = global_importance(bundle, held, y, values, seed=1, max_rows=200)
    again = global_importance(bundle, held, y, values, seed=1, max_rows=200)
    assert first == again
    assert first["rows"] == 200


def test_the_baseline_loses_nothing_when_any_feature_is_shuffled(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    held, y, amount = loans(n=200, seed=9)
    values = BinaryValues(np.zeros(200), np.zeros(200), 0.1 * amount, -amount)
    result = global_importance(make_bundle("baseline"), held, y, values, seed=0)
    assert {f["value_loss"] for f in result["features"]} == {0.0}
    assert isinstance(pd.DataFrame(result["features"]), pd.DataFrame)
