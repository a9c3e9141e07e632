"""Behavioural tests: a model that breaks the rule fails with examples; one that keeps it passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prodml import SpecError
from prodml.evaluate.behaviour import check_behaviour_settings, run_behaviour
from prodml.evaluate.slices import SliceFamily, SliceResult
from prodml.spec import BehaviourTest

rng = np.random.default_rng(0)
FRAME = pd.DataFrame(
    {
        "Income": rng.uniform(50, 300, 400),
        "Age": rng.integers(18, 70, 400).astype(float),
        "Marital": rng.choice(["married", "single", "widow"], 400),
    }
)
NO_CASES = SliceFamily("", 0, [])


def risk_rising_with_income(frame: pd.DataFrame) -> np.ndarray:
    """A wrongly built model: more income, more risk; and it looks at marital status."""
    z = 0.01 * frame["Income"].to_numpy(dtype=float) - 2.0 - 0.02 * frame["Age"].to_numpy()
    z = z + 0.3 * (frame["Marital"].to_numpy() == "single")
    return 1.0 / (1.0 + np.exp(-z))


def risk_falling_with_income(frame: pd.DataFrame) -> np.ndarray:
    z = -0.01 * frame["Income"].to_numpy(dtype=float) + 1.0
    return 1.0 / (1.0 + np.exp(-z))


def run(tests: list[dict], score, cases: SliceFamily = NO_CASES):  # type: ignore[no-untyped-def]
    return run_behaviour(
        [BehaviourTest.model_validate(t) for t in tests],
        frame=FRAME,
        score=score,
        reference=FRAME,
        features=["Income", "Age", "Marital"],
        numeric={"Income", "Age"},
        edge_cases=cases,
        default_tolerance=0.01,
        seed=0,
    )


def test_a_model_raising_risk_with_income_fails_the_monotonic_test_with_examples() -> None:
    [result] = run([{"monotonic": {"feature": "Income", "direction": "decreasing"}}],
                   risk_rising_with_income)  # fmt: skip
    assert result.status == "failed" and result.blocks
    assert result.rows_checked == 200 and result.violations == 200
    assert "rose" in result.message and "Income" in result.message
    example = result.examples[0]
    assert example["to_value"] > example["from_value"]
    assert example["score_to"] > example["score_from"] + 0.01
    assert 0 <= example["row"] < len(FRAME)


def test_a_model_keeping_the_rule_passes() -> None:
    [result] = run([{"monotonic": {"feature": "Income", "direction": "decreasing"}}],
                   risk_falling_with_income)  # fmt: skip
    assert result.status == "passed" and result.violations == 0 and not result.examples


def test_invariance_to_a_feature_the_model_uses_fails_and_to_an_unused_one_passes() -> None:
    [used] = run([{"invariant": {"feature": "Marital"}}], risk_rising_with_income)
    [unused] = run([{"invariant": {"feature": "Marital"}}], risk_falling_with_income)
    [absent] = run([{"invariant": {"feature": "Gender"}}], risk_falling_with_income)
    assert used.status == "failed" and used.examples[0]["to_value"] in {
        "single",
        "married",
        "widow",
    }
    assert unused.status == "passed"
    assert absent.status == "passed" and "not a feature" in absent.message


def test_a_non_blocking_failure_does_not_block() -> None:
    [result] = run(
        [{"monotonic": {"feature": "Income", "direction": "decreasing", "blocking": False}}],
        risk_rising_with_income,
    )
    assert result.status == "failed" and not result.blocks


def test_tolerance_allows_small_moves() -> None:
    [result] = run(
        [{"monotonic": {"feature": "Income", "direction": "decreasing", "tolerance": 0.9}}],
        risk_rising_with_income,
    )
    assert result.status == "passed"


def case(rows: int, value: float, tested: bool = True) -> SliceFamily:
    result = SliceResult(
        name="young", rows=rows, share=0.1, tested=tested, value_per_decision=value,
        ci=[value - 5, value + 5], metrics={"recall": 0.4},
    )  # fmt: skip
    return SliceFamily("", 1, [result])


@pytest.mark.parametrize(
    ("check", "family", "status"),
    [
        ({"metric": "value_per_decision", "at_least": -50}, case(40, -60.0), "failed"),
        ({"metric": "value_per_decision", "at_least": -50}, case(40, -10.0), "passed"),
        ({"metric": "recall", "at_least": 0.5}, case(40, 0.0), "failed"),
        ({"metric": "recall", "at_most": 0.5}, case(40, 0.0), "passed"),
        ({"metric": "value_per_decision", "at_least": -50}, case(5, -99.0, False), "skipped"),
    ],
)
def test_min_performance_on_an_edge_case(check: dict, family: SliceFamily, status: str) -> None:
    [result] = run([{"min_performance": {"edge_case": "young", **check}}], lambda f: f, family)
    assert result.status == status
    if status == "skipped":
        assert "too few" in result.message and not result.blocks


def test_settings_that_cannot_be_checked_are_refused_before_training() -> None:
    def check(test: dict, task: str = "binary") -> None:
        check_behaviour_settings(
            [BehaviourTest.model_validate(test)],
            task=task,
            numeric={"Income"},
            features=["Income", "Marital"],
            where="prodml.yaml",
        )

    with pytest.raises(SpecError, match=r"behaviour\[0\]\.monotonic\.feature.*not a feature"):
        check({"monotonic": {"feature": "Salary", "direction": "decreasing"}})
    with pytest.raises(SpecError, match="categorical"):
        check({"monotonic": {"feature": "Marital", "direction": "decreasing"}})
    with pytest.raises(SpecError, match="does not apply to a regression task"):
        check({"min_performance": {"edge_case": "x", "metric": "recall", "at_least": 1}},
              task="regression")  # fmt: skip
