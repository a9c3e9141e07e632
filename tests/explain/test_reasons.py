"""Values placed in words against the training data's contract, without the training rows."""

from __future__ import annotations

import pytest

from prodml.explain import describe_value, plural

INCOME = {
    "name": "Income",
    "kind": "numeric",
    "missing_rate": 0.02,
    "min": 10.0,
    "max": 900.0,
    "is_integer": True,
    "quantiles": {
        "0.01": 30.0,
        "0.05": 50.0,
        "0.25": 90.0,
        "0.5": 125.0,
        "0.75": 170.0,
        "0.95": 300.0,
        "0.99": 500.0,
    },
}
ASSETS = {  # many zeros: the lowest quarter of rows all hold exactly 0
    "name": "Assets",
    "kind": "numeric",
    "missing_rate": 0.0,
    "min": 0.0,
    "max": 300000.0,
    "is_integer": True,
    "quantiles": {
        "0.01": 0.0,
        "0.05": 0.0,
        "0.25": 0.0,
        "0.5": 3000.0,
        "0.75": 6000.0,
        "0.95": 15000.0,
        "0.99": 40000.0,
    },
}
HOME = {
    "name": "Home",
    "kind": "categorical",
    "missing_rate": 0.0,
    "categories": {"owner": 2100, "rent": 980, "parents": 800},
}


def say(feature: str, value: object, column: dict | None) -> str:
    return describe_value(feature, value, column, rows_noun="applicants", n_rows=4454)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (70, "Income 70 is lower than 85% of applicants"),
        (90, "Income 90 is lower than 75% of applicants"),
        (300, "Income 300 is higher than 95% of applicants"),
        (235, "Income 235 is higher than 85% of applicants"),
        (125, "Income 125 is typical of applicants, median 125"),
        (950, "Income 950 is above every one of the applicants in training (highest 900)"),
        (5, "Income 5 is below every one of the applicants in training (lowest 10)"),
        (None, "Income is missing (as for 2% of applicants)"),
        (float("nan"), "Income is missing (as for 2% of applicants)"),
    ],
)
def test_numbers_are_placed_with_the_contract_quantiles(value: object, expected: str) -> None:
    assert say("Income", value, INCOME) == expected


def test_a_value_many_rows_share_is_placed_in_the_middle_of_its_jump() -> None:
    # 0 is at least the lowest 25% and less than half: the estimate says 62% hold more
    assert say("Assets", 0, ASSETS) == "Assets 0 is lower than 62% of applicants"


def test_categories_are_placed_with_their_training_counts() -> None:
    assert say("Home", "rent", HOME) == "Home is rent (like 22% of applicants)"
    assert say("Home", "castle", HOME) == "Home is castle (never seen in training)"
    assert say("Home", None, HOME) == "Home is missing (never missing in training)"


def test_without_a_contract_the_value_is_just_stated() -> None:
    assert say("Income", 80.0, None) == "Income is 80"


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("applicant", "applicants"),
        ("house", "houses"),
        ("company", "companies"),
        ("employee", "employees"),
        ("box", "boxes"),
        ("cases", "cases"),
    ],
)
def test_plural(noun: str, expected: str) -> None:
    assert plural(noun) == expected
