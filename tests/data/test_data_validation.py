"""The validator: every row ends ok, repaired or rejected, and repaired rows score as repaired."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from prodml import ModelBundle, SpecError
from prodml.data import (
    UNKNOWN_LEVEL,
    Policies,
    Validator,
    category_text,
    infer_contract,
    infer_kinds,
    validate,
)
from prodml.spec import RepairPolicy
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan, FrameCoercer

FEATURES = ["Age", "Income", "Home", "Records"]


def training_frame(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    income = np.round(rng.normal(140.0, 40.0, rows), 1)
    income[::17] = np.nan  # Income had gaps in training: the model learned to handle them
    return pd.DataFrame(
        {
            "Status": rng.choice(["good", "bad"], rows),
            "Age": rng.integers(18, 70, rows),
            "Income": income,
            "Home": rng.choice(["rent", "owner", "owner", "parents"], rows),
            "Records": rng.choice(["yes", "no"], rows),
        }
    )


@pytest.fixture(scope="module")
def contract() -> dict:
    frame = training_frame()
    return infer_contract(frame, infer_kinds(frame), target="Status").to_dict()


@pytest.fixture(scope="module", params=["linear", "lightgbm"])
def bundle(request: pytest.FixtureRequest, contract: dict) -> ModelBundle:
    frame = training_frame()
    plan = FeaturePlan(numeric=["Age", "Income"], categorical=["Home", "Records"])
    params = {"C": 1.0} if request.param == "linear" else {"n_estimators": 20}
    pipeline = build_pipeline(CandidateConfig(request.param, params), "binary", plan, seed=0)
    pipeline.fit(frame[FEATURES], (frame["Status"] == "bad").to_numpy())
    return ModelBundle(
        task="binary", pipeline=pipeline, decision_rule=0.5, features=FEATURES,
        contract=contract, model_kind=request.param, params=params, positive_label="bad",
        target="Status",
    )  # fmt: skip


def test_clean_rows_are_ok_and_pass_through_unchanged(contract: dict) -> None:
    new = training_frame().drop(columns="Status").head(20).dropna()
    result = validate(new, contract, features=FEATURES)
    assert result.status.eq("ok").all()
    assert result.n_ok == len(new) and result.passed
    assert result.frame["Age"].tolist() == new["Age"].astype(float).tolist()
    assert (result.reasons == "").all() and (result.repairs == "").all()


def test_each_problem_gets_its_default_repair_or_rejection(contract: dict) -> None:
    new = pd.DataFrame(
        {
            "Age": [30.0, np.nan, 500.0, np.inf, 40.0, 41.0],
            "Income": [120.0, 130.0, np.nan, 100.0, 100.0, 100.0],
            "Home": ["rent", "owner", "castle", "rent", None, "rent"],
            "Records": ["no", "yes", "no", "no", "no", 7],
            "comment": ["extra"] * 6,
        }
    )
    result = validate(new, contract, features=FEATURES)
    assert result.status.tolist() == [
        "ok", "repaired", "repaired", "rejected", "repaired", "rejected",
    ]  # fmt: skip
    age = contract_column(contract, "Age")
    # Age never had gaps: impute the training median; out of range: clip to the widened range
    assert result.frame.loc[1, "Age"] == age["quantiles"]["0.5"]
    assert result.frame.loc[2, "Age"] == pytest.approx(age["max"] + 0.1 * (age["max"] - age["min"]))
    # Income had gaps in training: a missing income stays missing for the model
    assert np.isnan(result.frame.loc[2, "Income"])
    assert result.frame.loc[2, "Home"] == UNKNOWN_LEVEL
    assert result.frame.loc[4, "Home"] == "owner", "Home never missing: most frequent level"
    assert result.reasons[3] == "Age: inf is not a finite number"
    assert "Home: 'castle' -> unknown" in result.repairs[2]
    assert "Age: 500.0 -> clipped to" in result.repairs[2]
    assert result.extra_columns == ["comment"]
    assert list(result.frame.index) == [0, 1, 2, 4] and list(result.frame.columns) == FEATURES
    # Records was text (yes/no) in training: a number there is a wrong type, not a new level
    assert result.reasons[5] == "Records: 7 is not a category (training had text categories)"
    assert result.columns["Records"].checks == {"wrong_type": 1}
    assert result.columns["Income"].checks == {"missing": 1}
    assert result.columns["Income"].passed == 1
    assert result.columns["Home"].examples["unseen"] == ["'castle'"]


def test_numbers_where_text_categories_were_trained_are_rejected(contract: dict) -> None:
    records = [
        {"Age": 30, "Income": 100, "Home": 3, "Records": "no"},
        {"Age": 30, "Income": "abc", "Home": "rent", "Records": True},
        {"Age": "31", "Income": " 99.5 ", "Home": "rent", "Records": "no"},
    ]
    result = validate(records, contract, features=FEATURES)
    assert result.status.tolist() == ["rejected", "rejected", "ok"]
    assert "Home: 3" in result.reasons[0] and "not a category" in result.reasons[0]
    assert "Income: 'abc' is not a number" in result.reasons[1]
    assert "Records: True is not a category" in result.reasons[1]
    assert result.frame.loc[2, "Age"] == 31.0 and result.frame.loc[2, "Income"] == 99.5


def test_missing_column_rejects_every_row_and_missing_keys_are_missing_values(
    contract: dict,
) -> None:
    without_home = [{"Age": 30, "Income": 100, "Records": "no"}] * 3
    result = validate(without_home, contract, features=FEATURES)
    assert result.n_rejected == 3 and result.missing_columns == ["Home"]
    assert set(result.reasons) == {"Home: required column is missing"}
    some_keys = [{"Age": 30, "Income": 100, "Home": "rent", "Records": "no"}, {"Age": 31}]
    result = validate(some_keys, contract, features=FEATURES)
    assert result.status.tolist() == ["ok", "repaired"]
    assert "Home: most frequent 'owner'" in result.repairs[1]


def test_oversized_text_is_rejected(contract: dict) -> None:
    records = [{"Age": 30, "Income": 1.0, "Home": "x" * 5000, "Records": "no"}]
    result = validate(records, contract, features=FEATURES)
    assert result.n_rejected == 1
    assert "longer than 1000 characters" in result.reasons[0]
    assert len(result.reasons[0]) < 200, "the offending value is shortened in the reason"


def test_policies_from_the_project_file_override_defaults(contract: dict) -> None:
    policies = Policies(
        columns={
            "Income": RepairPolicy(missing="impute_constant", fill_value=0),
            "Home": RepairPolicy(unseen="reject"),
            "Age": RepairPolicy(out_of_range="reject", infinite="clip"),
        },
        range_tolerance=0.0,
    )
    new = pd.DataFrame(
        {
            "Age": [-np.inf, 71.0, 30.0],
            "Income": [np.nan, 1.0, 1.0],
            "Home": ["rent", "rent", "castle"],
            "Records": ["no", "no", "no"],
        }
    )
    result = validate(new, contract, policies, features=FEATURES)
    assert result.status.tolist() == ["repaired", "rejected", "rejected"]
    assert result.frame.loc[0, "Income"] == 0.0
    assert result.frame.loc[0, "Age"] == contract_column(contract, "Age")["min"]
    assert "Age: 71.0 is outside the accepted range" in result.reasons[1]
    assert result.reasons[2] == "Home: 'castle' is a category unseen in training"


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ({"Home": RepairPolicy(missing="impute_median")}, "data.repairs.Home.missing"),
        ({"Age": RepairPolicy(missing="impute_mode")}, "data.repairs.Age.missing"),
        ({"Age": RepairPolicy(missing="impute_constant", fill_value="x")}, "fill_value"),
        ({"Home": RepairPolicy(out_of_range="clip")}, "data.repairs.Home.out_of_range"),
        ({"Income ": RepairPolicy(missing="pass")}, "no column 'Income '"),
    ],
)
def test_a_policy_that_cannot_apply_is_refused_up_front(
    contract: dict, policy: dict, needle: str
) -> None:
    with pytest.raises(SpecError) as caught:
        Validator(contract, Policies(columns=policy), features=FEATURES)
    assert needle in caught.value.render()
    assert caught.value.fix


def test_repaired_rows_score_exactly_as_the_manually_repaired_values(
    bundle: ModelBundle, contract: dict
) -> None:
    new = pd.DataFrame(
        {
            "Age": [30, None, 500, 25],
            "Income": [120.0, 130.0, None, 90.0],
            "Home": ["rent", "castle", None, "owner"],
            "Records": ["no", "yes", "maybe", "no"],
        }
    )
    result = validate(new, bundle.contract, features=bundle.features)
    assert result.status.tolist() == ["ok", "repaired", "repaired", "ok"]
    age = contract_column(contract, "Age")
    by_hand = pd.DataFrame(
        {
            "Age": [
                30.0,
                age["quantiles"]["0.5"],
                age["max"] + 0.1 * (age["max"] - age["min"]),
                25,
            ],
            "Income": [120.0, 130.0, np.nan, 90.0],
            "Home": ["rent", UNKNOWN_LEVEL, "owner", "owner"],
            "Records": ["no", "yes", UNKNOWN_LEVEL, "no"],
        }
    )
    np.testing.assert_array_equal(bundle.predict(result.frame), bundle.predict(by_hand))
    # the unknown level scores like any unseen category: the encoders do not know it
    raw_unseen = by_hand.assign(Home=["rent", "never-seen", "owner", "owner"])
    np.testing.assert_array_equal(bundle.predict(raw_unseen), bundle.predict(by_hand))


def test_arrow_tables_and_frames_give_the_same_verdict(contract: dict) -> None:
    new = pd.DataFrame(
        {
            "Age": [30, None, 500],
            "Income": [1.0, None, 3.0],
            "Home": ["rent", "castle", None],
            "Records": pd.Categorical(["no", "yes", "no"]),
        }
    )
    from_frame = validate(new, contract, features=FEATURES)
    from_arrow = validate(pa.Table.from_pandas(new), contract, features=FEATURES)
    assert from_frame.status.tolist() == from_arrow.status.tolist()
    assert from_frame.repairs.tolist() == from_arrow.repairs.tolist()
    pd.testing.assert_frame_equal(
        from_frame.frame.astype(object), from_arrow.frame.astype(object), check_dtype=False
    )


def test_arrow_text_columns_give_the_same_verdict_as_python_text(contract: dict) -> None:
    """Text read from Parquet is Arrow-backed and takes a faster path: same answers."""
    home = ["rent", "castle", None, "owner", "rent", "castle"]
    base = {"Age": [30.0] * 6, "Income": [100.0] * 6, "Records": ["no"] * 6}
    as_python = pd.DataFrame({**base, "Home": pd.Series(home, dtype=object)})
    as_arrow = pd.DataFrame({**base, "Home": pd.Series(home, dtype="string[pyarrow]")})
    python = validate(as_python, contract, features=FEATURES)
    arrow = validate(as_arrow, contract, features=FEATURES)
    assert python.status.tolist() == arrow.status.tolist() == [
        "ok", "repaired", "repaired", "ok", "ok", "repaired",
    ]  # fmt: skip
    assert python.repairs.tolist() == arrow.repairs.tolist()
    assert python.frame["Home"].astype(str).tolist() == arrow.frame["Home"].astype(str).tolist()


def test_quarantine_keeps_the_input_row_with_its_reason(contract: dict) -> None:
    new = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "Age": [30, np.inf, 20],
            "Income": [101.0, 102.0, 103.0],
            "Home": ["rent", "rent", "rent"],
            "Records": ["no", "no", "no"],
        },
        index=[10, 11, 12],
    )
    result = validate(new, contract, features=FEATURES)
    quarantined = result.quarantine()
    assert quarantined["id"].tolist() == ["b"]
    assert quarantined["row"].tolist() == [1]
    assert quarantined["reason"].tolist() == ["Age: inf is not a finite number"]
    assert result.rows()["status"].tolist() == ["ok", "rejected", "ok"]


def test_empty_input_and_the_rejected_share_verdict(contract: dict) -> None:
    empty = validate([], contract, features=FEATURES)
    assert empty.n_rows == 0 and empty.passed and len(empty.frame) == 0
    bad = [{"Age": "x", "Income": 1, "Home": "rent", "Records": "no"}] * 2
    good = [{"Age": 20, "Income": 100, "Home": "rent", "Records": "no"}] * 98
    assert validate([*good, good[0], bad[0]], contract, features=FEATURES).passed
    result = validate(good + bad, contract, features=FEATURES)
    assert result.rejected_share == pytest.approx(0.02) and not result.passed
    assert result.to_dict()["rejected"] == 2


def test_category_text_is_what_the_pipeline_encodes() -> None:
    values = pd.Series([1.0, 2.5, None, True, "a", 3], dtype=object)
    coerced = FrameCoercer(categorical=["x"]).fit(pd.DataFrame({"x": values}))
    encoded = coerced.transform(pd.DataFrame({"x": values}))["x"]
    pd.testing.assert_series_equal(encoded, category_text(values), check_names=False)
    assert category_text(values).tolist()[:2] == ["1", "2.5"]


def contract_column(contract: dict, name: str) -> dict:
    return next(column for column in contract["columns"] if column["name"] == name)
