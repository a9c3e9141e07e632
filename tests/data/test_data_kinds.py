from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from prodml.data import (
    check_numeric_columns,
    find_text_in_numeric,
    infer_kinds,
    parse_datetime,
    suggest_id_column,
    suggest_time_column,
)
from prodml.errors import DataError


def test_credit_like_kinds(credit_like: pd.DataFrame) -> None:
    kinds = infer_kinds(credit_like)
    assert kinds == {
        "application_id": "identifier",
        "Status": "categorical",
        "Age": "numeric",
        "Home": "categorical",
        "Records": "boolean",
        "Income": "numeric",
        "applied_on": "datetime",
        "comment": "text",
    }
    assert suggest_id_column(credit_like, kinds) == "application_id"
    assert suggest_time_column(credit_like, kinds) == "applied_on"


def test_iso_date_strings_are_datetime_and_parse_to_utc() -> None:
    frame = pd.DataFrame(
        {"when": ["2024-01-01", "2024-01-02T10:30:00+02:00", None, "2024-03-01 08:00"] * 5}
    )
    assert infer_kinds(frame) == {"when": "datetime"}
    parsed = parse_datetime(frame["when"])
    assert str(parsed.dt.tz) == "UTC"
    assert parsed.iloc[1] == pd.Timestamp("2024-01-02T08:30:00Z")
    assert parsed.isna().sum() == 5


def test_booleans() -> None:
    rows = 30
    frame = pd.DataFrame(
        {
            "OverTime": ["Yes", "No"] * (rows // 2),
            "Central_Air": ["Y", "N"] * (rows // 2),
            "active": [True, False] * (rows // 2),
            "is_fraud": [0, 1] * (rows // 2),
            "HasCrCard": [1, 0] * (rows // 2),
            "children": [0, 1] * (rows // 2),
            "Gender": ["Male", "Female"] * (rows // 2),
        }
    )
    assert infer_kinds(frame) == {
        "OverTime": "boolean",
        "Central_Air": "boolean",
        "active": "boolean",
        "is_fraud": "boolean",
        "HasCrCard": "boolean",
        "children": "numeric",  # a count that happened to be 0/1 must accept 2 later
        "Gender": "categorical",
    }


def test_identifiers() -> None:
    rows = 40
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "CustomerID": rng.permutation(rows) + 1000,
            "row": np.arange(rows),
            "order_ref": [f"ORD{i:06d}x" for i in rng.permutation(rows)],
            "store_id": rng.choice([1, 2, 3], rows),
            "Lot_Area": rng.integers(1_000, 1_000_000, rows),
            "zip": [f"0{x}" for x in rng.choice([2134, 2139, 2140], rows)],
        }
    )
    kinds = infer_kinds(frame)
    assert kinds == {
        "CustomerID": "identifier",
        "row": "identifier",
        "order_ref": "identifier",
        "store_id": "numeric",  # few distinct values: a meaningful grouping, not a row id
        "Lot_Area": "numeric",  # unique by chance, but not a row-number sequence
        "zip": "categorical",  # digits stored as text are codes
    }
    assert suggest_id_column(frame, kinds) == "CustomerID"


def test_suggestions_are_none_without_candidates() -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    kinds = infer_kinds(frame)
    assert suggest_id_column(frame, kinds) is None
    assert suggest_time_column(frame, kinds) is None


def test_mostly_numeric_text_is_refused_with_the_column_named(
    credit_like_factory: Callable[..., pd.DataFrame],
) -> None:
    frame = credit_like_factory(rows=50)
    income = frame["Income"].astype(str).astype(object)
    income.iloc[[3, 10, 11]] = ["n/a", "abc", "n/a"]
    frame["Income"] = income.astype("str")
    kinds = infer_kinds(frame)
    assert kinds["Income"] == "numeric", "never silently categorical"

    found = find_text_in_numeric(frame, kinds)
    assert list(found) == ["Income"]
    assert found["Income"].bad_rows == 3
    assert found["Income"].examples == ("n/a", "abc")

    with pytest.raises(DataError) as info:
        check_numeric_columns(frame, kinds, ["Age", "Income"])
    error = info.value
    assert error.where == "column 'Income'"
    assert "3 of 50 rows" in error.message
    assert "'n/a', 'abc'" in error.message
    assert error.fix and "missing" in error.fix
    check_numeric_columns(frame, kinds, ["Age"])  # other columns are fine


def test_several_bad_numeric_columns_are_reported_together() -> None:
    frame = pd.DataFrame(
        {"Income": [100, 200, "unknown", 300, 250], "Debt": ["1", "2", "-", "3", "4"]}
    )
    kinds = infer_kinds(frame)
    assert kinds == {"Income": "numeric", "Debt": "numeric"}
    with pytest.raises(DataError) as info:
        check_numeric_columns(frame, kinds)
    assert info.value.where == "columns 'Income', 'Debt'"


def test_empty_columns_follow_their_dtype() -> None:
    frame = pd.DataFrame({"x": [np.nan, np.nan], "s": pd.Series([None, None], dtype="str")})
    assert infer_kinds(frame) == {"x": "numeric", "s": "categorical"}
