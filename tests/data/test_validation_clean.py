"""The clean-record check accepts only records the validator passes untouched.

The API scores clean records without building the validator's result; that is only right if
every record the check accepts is one the validator gives status ok, no finding, and the very
values that were sent (numbers as float). Records it declines still get the validator's verdict,
so declining too often costs time, never correctness; accepting wrongly would skip a repair.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from prodml.data import Policies, Validator
from prodml.data.validation_clean import CleanRecords
from tests.data.test_validation_small import FEATURES, HOSTILE, POLICIES, anything, json_records
from tests.data.test_validation_small import contract as contract  # the same fixture

CLEAN = {"Age": 30, "Income": 120.5, "Debt": 0, "Home": "rent", "Job": "fixed"}


def assert_agrees(validator: Validator, records: list[Any]) -> list[dict[str, Any]] | None:
    values = CleanRecords(validator)(records)
    if values is None:
        return None
    result = validator(records)
    assert result.codes.tolist() == [0] * len(records)
    assert [f for f in result.findings if f.outcome != "passed" and len(f.rows)] == []
    for name in FEATURES:
        sent = [v[name] for v in values]
        got = result.arrays[name].tolist()
        assert [type(x) for x in sent] == [type(x) for x in got], name
        assert sent == got, name
    assert [list(v) for v in values] == [FEATURES] * len(records)  # feature order
    return values


@pytest.mark.parametrize("policy", list(POLICIES))
def test_a_clean_record_is_recognised_with_its_values_as_the_validator_repairs_them(
    contract: Any, policy: str
) -> None:
    validator = Validator(contract, POLICIES[policy], features=FEATURES)
    values = assert_agrees(validator, [CLEAN, dict(CLEAN, Age=41.5, extra=[1])])
    assert values is not None
    assert values[0] == {"Age": 30.0, "Income": 120.5, "Debt": 0.0, "Home": "rent", "Job": "fixed"}
    assert type(values[0]["Age"]) is float


@pytest.mark.parametrize(
    "change",
    [
        {"Age": None},
        {"Age": float("nan")},
        {"Age": float("inf")},
        {"Age": -5},  # out of the training range
        {"Income": "120"},  # a number as text
        {"Debt": True},
        {"Debt": 2**60},
        {"Home": "castle"},  # unseen
        {"Home": None},
        {"Home": "räum"},
        {"Job": 1},
        {"Job": "x" * 2000},
    ],
)
def test_anything_the_validator_would_touch_is_declined(
    contract: Any, change: dict[str, Any]
) -> None:
    validator = Validator(contract, Policies(), features=FEATURES)
    assert CleanRecords(validator)([dict(CLEAN, **change)]) is None
    assert CleanRecords(validator)([CLEAN, dict(CLEAN, **change)]) is None  # the whole batch
    missing = {k: v for k, v in CLEAN.items() if k != next(iter(change))}
    assert CleanRecords(validator)([missing]) is None


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("batch", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_batches_are_declined_or_agree(
    contract: Any, policy: str, batch: list[Any]
) -> None:
    assert_agrees(Validator(contract, POLICIES[policy], features=FEATURES), batch)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=json_records)
def test_json_records_are_declined_or_agree(contract: Any, records: list[Any]) -> None:
    for policies in POLICIES.values():
        assert_agrees(Validator(contract, policies, features=FEATURES), records)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=anything)
def test_anything_is_declined_or_agrees(contract: Any, records: list[Any]) -> None:
    assert_agrees(Validator(contract, Policies(), features=FEATURES), records)


def test_in_range_json_numbers_and_known_levels_are_mostly_accepted(contract: Any) -> None:
    """The check is worth having only if ordinary records pass it."""
    validator = Validator(contract, Policies(), features=FEATURES)
    rng = np.random.default_rng(0)
    records = [
        {
            "Age": int(rng.integers(20, 60)),
            "Income": float(rng.uniform(100, 150)),
            "Debt": float(rng.integers(0, 4000)),
            "Home": str(rng.choice(["rent", "owner", "parents"])),
            "Job": str(rng.choice(["fixed", "freelance"])),
        }
        for _ in range(50)
    ]
    assert assert_agrees(validator, records) is not None
