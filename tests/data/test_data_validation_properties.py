"""Hostile input: the validator never raises, accounts for every row, and its frame scores."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodml import ModelBundle
from prodml.data import STATUSES, Validator, infer_contract, infer_kinds
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan

FEATURES = ["Age", "Income", "Home"]
KEYS = [*FEATURES, "extra", "Status", "äöü 名前"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(min_size=1500, max_size=1600, alphabet=st.characters(codec="utf-8")),
    st.sampled_from(["rent", "owner", "NaN", "inf", "-1e400", "", " 42 ", "1,5", "\ud800x"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=5),
)
records = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(KEYS), scalars, max_size=len(KEYS)),
        st.none(),
        st.integers(),
        st.text(max_size=5),
    ),
    max_size=25,
)
typed_frames = st.integers(min_value=0, max_value=20).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "Age": st.lists(
                st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=n, max_size=n
            ),
            "Income": st.lists(
                st.one_of(st.none(), st.integers(-(2**62), 2**62)), min_size=n, max_size=n
            ),
            "Home": st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=n, max_size=n),
        }
    )
)


@pytest.fixture(scope="module")
def model() -> tuple[Validator, ModelBundle]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Status": rng.choice(["good", "bad"], 120),
            "Age": rng.integers(18, 70, 120),
            "Income": np.where(rng.random(120) < 0.1, np.nan, rng.normal(140, 40, 120)),
            "Home": rng.choice(["rent", "owner", "parents"], 120),
        }
    )
    contract = infer_contract(frame, infer_kinds(frame), target="Status")
    plan = FeaturePlan(numeric=["Age", "Income"], categorical=["Home"])
    pipeline = build_pipeline(CandidateConfig("linear", {"C": 1.0}), "binary", plan, seed=0)
    pipeline.fit(frame[FEATURES], (frame["Status"] == "bad").to_numpy())
    bundle = ModelBundle(
        task="binary", pipeline=pipeline, decision_rule=0.5, features=FEATURES,
        contract=contract.to_dict(), model_kind="linear", params={}, positive_label="bad",
        target="Status",
    )  # fmt: skip
    return Validator(contract, features=FEATURES), bundle


def check_every_row_accounted_for(result: Any, n: int, bundle: ModelBundle) -> None:
    assert result.n_rows == n
    statuses = result.status.tolist()
    assert len(statuses) == n and set(statuses) <= set(STATUSES)
    assert result.n_ok + result.n_repaired + result.n_rejected == n
    reasons, repairs = result.reasons.tolist(), result.repairs.tolist()
    for status, reason, repair in zip(statuses, reasons, repairs, strict=True):
        assert (status == "rejected") == bool(reason), (status, reason)
        if status == "repaired":
            assert repair
    assert len(result.frame) == n - result.n_rejected
    assert len(result.quarantine()) == result.n_rejected
    if len(result.frame):
        scores = bundle.predict(result.frame)
        assert all(math.isfinite(s) and 0 <= s <= 1 for s in scores)
    assert isinstance(result.to_dict()["columns"], list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=records)
def test_lists_of_anything_never_raise(
    model: tuple[Validator, ModelBundle], batch: list[Any]
) -> None:
    validator, bundle = model
    check_every_row_accounted_for(validator(batch), len(batch), bundle)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=typed_frames)
def test_typed_frames_never_raise(
    model: tuple[Validator, ModelBundle], columns: dict[str, list[Any]]
) -> None:
    validator, bundle = model
    frame = pd.DataFrame(
        {
            "Age": pd.Series(columns["Age"], dtype="float32"),
            "Income": pd.array(columns["Income"], dtype="Int64"),
            "Home": pd.Series(columns["Home"], dtype="str"),
        }
    )
    check_every_row_accounted_for(validator(frame), len(frame), bundle)
