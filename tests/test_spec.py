from pathlib import Path

import pytest

from prodml import ExpressionError, SpecError, load_spec

VALID = """
problem:
  decision: approve or decline the loan
  task: binary
  target: Status
  positive: bad
  unit: EUR
  value: {tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}
data:
  source: data.csv
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prodml.yaml"
    path.write_text(text)
    return path


def test_a_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID))
    assert spec.problem.positive == "bad"
    assert spec.evaluation.folds == 5
    assert spec.training.candidates == ["baseline", "linear", "lightgbm"]
    assert set(spec.problem.value_expressions()) == {"tp", "fp", "tn", "fn"}
    spec.require_business_value()


def test_yes_as_positive_class_stays_text(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID.replace("positive: bad", "positive: Yes")))
    assert spec.problem.positive == "Yes"


def test_hash_ignores_comments_and_key_order(tmp_path: Path) -> None:
    a = load_spec(write(tmp_path, VALID)).content_hash()
    reordered = "data:\n  source: data.csv\n# a comment\n" + VALID.split("data:")[0]
    b = load_spec(write(tmp_path, reordered)).content_hash()
    assert a == b
    c = load_spec(write(tmp_path, VALID.replace("-Amount", "-0.9 * Amount"))).content_hash()
    assert c != a


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="prodml init"):
        load_spec(tmp_path / "prodml.yaml")


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"malformed YAML at line \d+"):
        load_spec(write(tmp_path, "problem:\n  task: [binary\n"))


def test_unknown_keys_are_refused_with_their_path(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"problem\.value\.fnn: unknown key"):
        load_spec(write(tmp_path, VALID.replace("fn:", "fnn:")))
    with pytest.raises(SpecError, match=r"trainig: unknown key"):
        load_spec(write(tmp_path, VALID + "trainig: {}\n"))


def test_wrong_values_name_the_field_and_value(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"evaluation\.folds.*got 1"):
        load_spec(write(tmp_path, VALID + "evaluation: {folds: 1}\n"))
    with pytest.raises(SpecError, match=r"problem\.task"):
        load_spec(write(tmp_path, VALID.replace("task: binary", "task: multiclass")))


def test_unsafe_expression_is_refused_at_load_time(tmp_path: Path) -> None:
    text = VALID.replace('"-Amount"', "\"__import__('os').getcwd()\"")
    with pytest.raises(ExpressionError, match=r"problem\.value\.fn.*refused"):
        load_spec(write(tmp_path, text))


def test_binary_requires_a_positive_class(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"problem\.positive is required"):
        load_spec(write(tmp_path, VALID.replace("  positive: bad\n", "")))


def test_regression_values_are_over_and_under(tmp_path: Path) -> None:
    text = """
problem: {decision: price, task: regression, target: y, value: {over: -1, under: -3}}
data: {source: d.csv}
"""
    assert load_spec(write(tmp_path, text)).problem.value.under == -3
    with pytest.raises(SpecError, match="for binary tasks"):
        load_spec(write(tmp_path, text.replace("over: -1", "tp: -1")))


def test_unset_business_value_lists_exactly_what_to_fill(tmp_path: Path) -> None:
    text = VALID.replace("  decision: approve or decline the loan\n", "").replace(
        '{tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}', '{tp: 0, fn: "-Amount"}'
    )
    spec = load_spec(write(tmp_path, text))
    with pytest.raises(SpecError) as caught:
        spec.require_business_value()
    message = str(caught.value)
    assert "problem.decision" in message
    assert "problem.value.fp" in message
    assert "problem.value.tn" in message
    assert "problem.value.fn" not in message
