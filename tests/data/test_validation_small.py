"""The few-records path of the validator gives exactly what the vectorised path gives.

An API request of one record is judged value by value (no pandas); a batch file by the
vectorised path. A record must get the same status, findings, messages, repairs and repaired
values either way, under every repair policy, and hostile values the small path does not judge
must be handed to the vectorised path rather than judged differently.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodml.data import Policies, Validator, infer_contract, infer_kinds
from prodml.data.validation_result import ValidationResult
from prodml.data.validation_small import SMALL_BATCH, check_small
from prodml.spec import RepairPolicy

FEATURES = ["Age", "Income", "Debt", "Home", "Job"]
KEYS = [*FEATURES, "Status", "extra", "äöü 名前"]
LONG = "x" * 5000

POLICIES = {
    "defaults": Policies(),
    "strict": Policies(
        defaults=RepairPolicy(
            missing="reject", out_of_range="reject", unseen="reject", infinite="reject"
        )
    ),
    "lenient": Policies(
        defaults=RepairPolicy(missing="pass", out_of_range="pass", infinite="missing"),
        columns={
            "Age": RepairPolicy(missing="impute_median", infinite="clip"),
            "Debt": RepairPolicy(infinite="missing", missing="impute_constant", fill_value=0),
            "Home": RepairPolicy(unseen="impute_mode", missing="impute_mode"),
        },
    ),
}

SMALL_PATH: list[list[Any]] = [
    [{"Age": 30, "Income": 120.5, "Debt": 0, "Home": "rent", "Job": "fixed"}],  # clean
    [{"Age": None, "Income": float("nan"), "Debt": None, "Home": None, "Job": float("nan")}],
    [{"Age": 30, "Home": "rent"}],  # keys missing from the record
    [{"Age": 30, "Income": 1, "Debt": 1, "Home": "castle", "Job": "astronaut"}],  # unseen
    [{"Age": -5, "Income": 1e9, "Debt": -1, "Home": "rent", "Job": "fixed"}],  # out of range
    [{"Age": float("inf"), "Income": float("-inf"), "Debt": 10**400, "Home": "rent"}],
    [{"Age": "abc", "Income": True, "Debt": "", "Home": "", "Job": " "}],  # wrong type, blank
    [{"Age": " 42 ", "Income": "1e3", "Debt": "inf", "Home": "rent", "Job": "NaN"}],  # text
    [{"Age": LONG, "Income": 1, "Debt": 1, "Home": LONG, "Job": "fixed"}],  # huge strings
    [{"Age": 30, "Income": 1, "Debt": 1, "Home": "rent", "Job": "fixed", "extra": [1, 2]}],
    [{"Income": 1, "Debt": 1, "Job": "fixed", "zzz": 1}, {"extra": 1, "Home": "owner"}],
    [{"Age": 30, "Home": "rent"}, {"Age": "x", "Home": None}, {"Age": 2**70, "Home": "x"}],
    [{"Age": 30, "Home": "owner"}] * SMALL_BATCH,
    [{}],
]
VECTORISED_ONLY: list[list[Any]] = [
    [{"Age": 30, "Income": 1, "Debt": 1, "Home": 1, "Job": "fixed"}],  # number as category
    [{"Age": [1], "Income": {"a": 1}, "Debt": b"1", "Home": ("rent",), "Job": "fixed"}],
    [{"Age": 30, "Home": "rent\ud800"}],  # not Unicode
    [{"Age": 30, "Home": "rent"}, None, "text", 7],  # entries that are not records
    [{1: 30, "Home": "rent"}],  # a key that is not text
    [{"Age": 30, "Home": "owner"}] * (SMALL_BATCH + 1),  # beyond the small path
    [],
]
HOSTILE = SMALL_PATH + VECTORISED_ONLY
# the values JSON produces whose meaning does not depend on the rest of the batch
json_numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "42", " 1e3 ", "inf", "-1e400", "NaN", "1,5", "abc", LONG]),
)
json_categories = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["rent", "owner", "parents", "fixed", "freelance", "", "RENT", LONG]),
    st.text(max_size=12),
)
json_records = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "Age": json_numbers,
            "Income": json_numbers,
            "Debt": json_numbers,
            "Home": json_categories,
            "Job": json_categories,
            "extra": json_numbers,
            "äöü 名前": json_categories,
        },
    ),
    min_size=1,
    max_size=SMALL_BATCH,
)
anything = st.lists(
    st.dictionaries(
        st.sampled_from(KEYS),
        st.one_of(json_numbers, json_categories, st.lists(st.integers(), max_size=2)),
        max_size=len(KEYS),
    ),
    min_size=0,
    max_size=SMALL_BATCH + 2,
)


@pytest.fixture(scope="module")
def contract() -> Any:
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "Status": rng.choice(["good", "bad"], n),
            "Age": rng.integers(18, 70, n),  # never missing: missing ages are imputed
            "Income": np.where(rng.random(n) < 0.1, np.nan, rng.normal(140, 40, n)),
            "Debt": rng.integers(0, 5000, n).astype(float),
            "Home": rng.choice(["rent", "owner", "parents"], n),
            "Job": np.where(rng.random(n) < 0.1, None, rng.choice(["fixed", "freelance"], n)),
        }
    )
    return infer_contract(frame, infer_kinds(frame), target="Status")


def validators(contract: Any, policies: Policies) -> tuple[Validator, Validator]:
    small = Validator(contract, policies, features=FEATURES)
    vectorised = Validator(contract, policies, features=FEATURES, small_batches=False)
    return small, vectorised


def same_values(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a.dtype != b.dtype or len(a) != len(b):
        return False
    return all(
        type(x) is type(y) and (x == y or (x != x and y != y)) for x, y in zip(a, b, strict=True)
    )


def assert_same(small: ValidationResult, vectorised: ValidationResult) -> None:
    assert small.n_rows == vectorised.n_rows
    assert small.codes.tolist() == vectorised.codes.tolist()
    assert small.codes.dtype == vectorised.codes.dtype
    assert len(small.findings) == len(vectorised.findings)
    for mine, theirs in zip(small.findings, vectorised.findings, strict=True):
        head = (mine.column, mine.check, mine.outcome, mine.message, mine.rule)
        assert head == (theirs.column, theirs.check, theirs.outcome, theirs.message, theirs.rule)
        assert mine.rows.tolist() == theirs.rows.tolist()
        assert same_values(mine.values, theirs.values), (head, mine.values, theirs.values)
        assert mine.texts().tolist() == theirs.texts().tolist()
    assert small.to_dict() == vectorised.to_dict()
    assert small.reasons.tolist() == vectorised.reasons.tolist()
    assert small.repairs.tolist() == vectorised.repairs.tolist()
    assert list(small.arrays) == list(vectorised.arrays)
    for name in small.arrays:
        assert same_values(small.arrays[name], vectorised.arrays[name]), name
    pd.testing.assert_frame_equal(small.frame, vectorised.frame)
    pd.testing.assert_frame_equal(small.quarantine(), vectorised.quarantine())


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("batch", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_records_get_the_same_verdict_on_both_paths(
    contract: Any, policy: str, batch: list[Any]
) -> None:
    small, vectorised = validators(contract, POLICIES[policy])
    assert_same(small(batch), vectorised(batch))


def test_json_records_take_the_small_path_and_others_do_not(contract: Any) -> None:
    small, _ = validators(contract, Policies())
    made = []

    def frame() -> pd.DataFrame:
        made.append(True)
        return pd.DataFrame()

    for batch in SMALL_PATH:
        assert check_small(small, batch, frame) is not None, batch
    assert not made  # the input frame is only built when asked for
    for batch in VECTORISED_ONLY:
        assert check_small(small, batch, frame) is None, batch


def test_one_record_as_a_mapping_is_judged_like_a_list_of_one(contract: Any) -> None:
    small, vectorised = validators(contract, Policies())
    record = {"Age": -3, "Income": None, "Home": "castle", "Job": "fixed", "Debt": 1}
    assert_same(small(record), vectorised([record]))
    result = small(record)
    assert result.codes.tolist() == [1]
    assert "Age: -3.0 -> clipped to" in result.repairs.iloc[0]
    assert math.isnan(result.arrays["Income"][0])


@pytest.mark.parametrize("policy", list(POLICIES))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=json_records)
def test_json_values_same_verdict(contract: Any, policy: str, batch: list[Any]) -> None:
    small, vectorised = validators(contract, POLICIES[policy])
    assert check_small(small, batch, pd.DataFrame) is not None
    assert_same(small(batch), vectorised(batch))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=anything)
def test_anything_same_verdict(contract: Any, batch: list[Any]) -> None:
    small, vectorised = validators(contract, POLICIES["lenient"])
    assert_same(small(batch), vectorised(batch))
