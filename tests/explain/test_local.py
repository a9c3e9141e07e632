"""Explaining one record: the decision, the top reasons in words, and clear input errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from prodml import ModelBundle, UserError
from prodml.explain import explain_record, parse_row_json

RECORD = {"Income": 40, "Noise": 0.1, "Home": "rent"}


def test_reasons_are_words_ranked_by_size_and_add_up(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("lightgbm")
    one = explain_record(bundle, RECORD, rows_noun="applicants", top=2)
    assert len(one.reasons) == 2
    sizes = [abs(r.contribution) for r in one.reasons]
    assert sizes == sorted(sizes, reverse=True)
    first = one.reasons[0]
    assert first.feature == "Income"  # low income is the strongest push towards default
    assert first.text.startswith("Income 40 is lower than")
    assert "of applicants" in first.text and "raises the chance of bad" in first.text
    assert one.base_value + sum(one.contributions.values()) == pytest.approx(one.raw_score)
    assert one.prediction == pytest.approx(1 / (1 + np.exp(-one.raw_score)))
    assert one.decision is (one.prediction >= 0.3)
    text = one.render()
    assert text.splitlines()[0].startswith(f"P(bad) = {one.prediction:.1%}")
    assert "1. Income 40" in text and "other features together" in text


def test_missing_features_are_noted_and_treated_as_missing(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    one = explain_record(make_bundle("linear"), {"Income": 40})
    assert any("Noise" in note and "Home" in note for note in one.notes)


def test_a_calibrated_model_explains_its_raw_score_and_says_so(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("lightgbm")
    bundle.calibration = {"method": "sigmoid", "a": 0.5, "b": -0.2}
    one = explain_record(bundle, RECORD)
    assert any("raw score" in note and "calibrated" in note for note in one.notes)
    assert one.base_value + sum(one.contributions.values()) == pytest.approx(one.raw_score)


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ({"Incme": 40}, "Incme", ["unknown column", "did you mean 'Income'"]),
        ({"Income": "lots"}, "Income", ["expects a number", "'lots'"]),
        ({"Home": ["rent"]}, "Home", ["single value"]),
    ],
)
def test_bad_records_name_the_column_and_the_fix(
    make_bundle: Callable[..., ModelBundle], record: dict, field: str, words: list[str]
) -> None:
    with pytest.raises(UserError) as caught:
        explain_record(make_bundle("linear"), record, where="--row")
    assert caught.value.where == f"--row: {field}"
    assert caught.value.fix
    for word in words:
        assert word in caught.value.render()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"Income": 80', ["not valid JSON", "at the end"]),
        ('{"Income": 80,, "Home": 1}', ["not valid JSON", "character 15"]),
        ("[1, 2]", ["JSON object", "list"]),
    ],
)
def test_row_json_errors_say_where_and_how_to_fix(text: str, words: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        parse_row_json(text)
    assert caught.value.where == "--row"
    for word in words:
        assert word in caught.value.message
