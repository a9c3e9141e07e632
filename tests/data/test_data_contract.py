from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from prodml.data import (
    MAX_CATEGORIES,
    Contract,
    category_keys,
    infer_contract,
    infer_kinds,
)
from prodml.errors import DataError, IntegrityError


def test_contract_round_trips_through_json(credit_like: pd.DataFrame) -> None:
    frame = credit_like.copy()
    frame.loc[[1, 4], "Income"] = np.nan
    frame.loc[2, "Home"] = None
    contract = infer_contract(
        frame,
        infer_kinds(frame),
        target="Status",
        id_column="application_id",
        time_column="applied_on",
    )
    text = json.dumps(contract.to_dict(), allow_nan=False)
    assert Contract.from_dict(json.loads(text)) == contract
    assert list(contract.columns) == list(frame.columns), "columns keep data order"
    assert contract.feature_names == ["Age", "Home", "Records", "Income", "comment"]


def test_numeric_statistics_on_a_known_frame() -> None:
    frame = pd.DataFrame({"x": [float(v) for v in range(1, 101)] + [np.nan] * 4})
    column = infer_contract(frame, {"x": "numeric"}).columns["x"]
    assert column.nullable is True
    assert column.missing_rate == pytest.approx(4 / 104)
    assert (column.min, column.max, column.mean) == (1.0, 100.0, 50.5)
    assert column.std == pytest.approx(np.std(np.arange(1, 101), ddof=1))
    assert column.quantiles == {
        "0.01": pytest.approx(1.99),
        "0.05": pytest.approx(5.95),
        "0.25": pytest.approx(25.75),
        "0.5": pytest.approx(50.5),
        "0.75": pytest.approx(75.25),
        "0.95": pytest.approx(95.05),
        "0.99": pytest.approx(99.01),
    }
    assert column.is_integer is True
    assert column.n_unique == 100
    assert column.categories is None


def test_non_integer_and_single_value_columns() -> None:
    frame = pd.DataFrame({"x": [0.5, 1.5, 2.0], "one": [7, 7, 7]})
    contract = infer_contract(frame, {"x": "numeric", "one": "numeric"})
    assert contract.columns["x"].is_integer is False
    assert contract.columns["x"].nullable is False
    assert contract.columns["one"].std == 0.0
    single = infer_contract(pd.DataFrame({"x": [3.0]}), {"x": "numeric"}).columns["x"]
    assert single.std is None, "no spread from one value, and never NaN"


def test_categories_most_frequent_first_with_ties_by_name() -> None:
    frame = pd.DataFrame(
        {"Home": ["rent"] * 5 + ["owner"] * 3 + ["other", "priv", "other"] + [None]}
    )
    column = infer_contract(frame, {"Home": "categorical"}).columns["Home"]
    assert list(column.categories or {}) == ["rent", "owner", "other", "priv"]
    assert column.categories == {"rent": 5, "owner": 3, "other": 2, "priv": 1}
    assert column.other_count == 0
    assert column.max_length == 5
    assert column.min is None and column.quantiles is None


def test_categories_are_capped() -> None:
    levels = [f"L{i:05d}" for i in range(MAX_CATEGORIES + 50)]
    frame = pd.DataFrame({"code": levels + ["L00000"] * 3})
    column = infer_contract(frame, {"code": "categorical"}).columns["code"]
    assert len(column.categories or {}) == MAX_CATEGORIES
    assert next(iter(column.categories or {})) == "L00000"
    assert column.categories is not None and column.categories["L00000"] == 4
    assert column.other_count == 50
    assert column.n_unique == MAX_CATEGORIES + 50


def test_boolean_keys_are_stable_across_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "Records": ["yes", "no", "yes", None],
            "active": [True, False, True, True],
            "is_new": [1.0, 0.0, np.nan, 1.0],
        }
    )
    contract = infer_contract(frame, infer_kinds(frame))
    assert contract.columns["Records"].categories == {"yes": 2, "no": 1}
    assert contract.columns["active"].categories == {"true": 3, "false": 1}
    assert contract.columns["is_new"].kind == "boolean"
    assert contract.columns["is_new"].categories == {"1": 2, "0": 1}
    assert category_keys(pd.Series([1.0, np.nan, 0.5])).tolist()[::2] == ["1", "0.5"]


def test_datetime_and_text_columns(credit_like: pd.DataFrame) -> None:
    contract = infer_contract(credit_like, infer_kinds(credit_like))
    when = contract.columns["applied_on"]
    assert when.earliest == "2024-01-01T00:00:00+00:00"
    assert when.latest == "2024-02-29T00:00:00+00:00"
    comment = contract.columns["comment"]
    assert comment.kind == "text"
    assert comment.max_length == max(len(c) for c in credit_like["comment"])
    assert comment.categories is None


def test_missing_kinds_are_inferred_and_roles_must_exist(credit_like: pd.DataFrame) -> None:
    contract = infer_contract(credit_like, {"Age": "numeric"})
    assert contract.columns["Records"].kind == "boolean"
    with pytest.raises(DataError) as info:
        infer_contract(credit_like, {}, target="Defaulted")
    assert info.value.where == "column 'Defaulted'"
    assert "Status" in (info.value.fix or "")


def test_damaged_contract_is_refused(credit_like: pd.DataFrame) -> None:
    data = infer_contract(credit_like, infer_kinds(credit_like)).to_dict()
    data["columns"][0]["surprise"] = 1
    with pytest.raises(IntegrityError):
        Contract.from_dict(data)
    with pytest.raises(IntegrityError):
        Contract.from_dict({**data, "version": 99})
