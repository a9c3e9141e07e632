"""`prodml evaluate`, the evaluation `prodml train` prints, and behaviour gating end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.train.test_assess import loans

SPEC = """
problem:
  decision: approve or decline the loan
  task: binary
  target: Status
  positive: bad
  unit: EUR
  value: {tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}
data:
  source: data.csv
evaluation:
  folds: 3
  bootstrap: 200
  segments: [Home]
  edge_cases:
    young: "Age < 25"
training:
  candidates: [baseline, linear]
  search_budget: 1
"""


def project(tmp_path: Path, extra: str = "") -> Path:
    loans(600).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "prodml.yaml").write_text(SPEC + extra)
    return tmp_path


def assert_clean_exit(result: Result, code: int) -> None:
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_train_prints_the_evaluation_and_evaluate_reruns_it_on_new_data(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = project(tmp_path)
    trained = cli("train", "-p", root)
    assert_clean_exit(trained, 0)
    for needle in ("95% interval", "vs act on no one", "vs baseline", "calibration:", "segments:"):
        assert needle in trained.stdout

    loans(400, seed=9).to_csv(tmp_path / "q3.csv", index=False)
    as_json = cli("evaluate", "champion", "-p", root, "--data", tmp_path / "q3.csv", "--json")
    assert_clean_exit(as_json, 0)
    report = json.loads(as_json.stdout)
    assert report["rows"] == 400 and "q3.csv" in report["data"]
    low, high = report["value"]["ci"]
    assert low <= report["value"]["value_per_decision"] <= high
    assert {p["name"] for p in report["policies"]} >= {"act_on_no_one", "baseline"}
    assert report["calibration"]["reliability"]
    assert [r["name"] for r in report["edge_cases"]["results"]] == ["young"]

    as_text = cli("evaluate", "1", "-p", root, "--data", tmp_path / "q3.csv")
    assert_clean_exit(as_text, 0)
    assert "value per decision" in as_text.stdout and "Segments" in as_text.stdout

    no_labels = tmp_path / "unlabelled.csv"
    loans(50).drop(columns="Status").to_csv(no_labels, index=False)
    refused = cli("evaluate", "1", "-p", root, "--data", no_labels)
    assert_clean_exit(refused, 2)
    assert "Status" in refused.stderr and "fix:" in refused.stderr


@pytest.mark.slow
def test_a_failing_behavioural_test_blocks_registration_end_to_end(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    behaviour = "  behaviour:\n    - monotonic: {feature: Income, direction: decreasing}\n"
    root = project(tmp_path, "")
    (root / "prodml.yaml").write_text(SPEC.replace("training:", behaviour + "training:"))
    blocked = cli("train", "-p", root)
    assert_clean_exit(blocked, 3)
    assert "FAILED (blocking) Income: decreasing" in blocked.stdout
    runs = json.loads(cli("runs", "-p", root, "--json").stdout)
    assert runs[0]["status"] == "not_registered"
    assert any("evaluation.behaviour[0]" in r for r in runs[0]["reasons"])
    failed = runs[0]["metrics"]["evaluation"]["behaviour"][0]
    assert failed["status"] == "failed" and failed["examples"]
    assert json.loads(cli("models", "-p", root, "--json").stdout) == []

    (root / "prodml.yaml").write_text(
        SPEC.replace("training:", behaviour + "  allow_behaviour_failures: true\ntraining:")
    )
    allowed = cli("train", "-p", root, "--json")
    assert_clean_exit(allowed, 0)
    assert json.loads(allowed.stdout)["registered"]


def test_behaviour_on_an_unknown_feature_is_refused_before_training(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = project(tmp_path)
    (root / "prodml.yaml").write_text(
        SPEC.replace(
            "training:",
            "  behaviour:\n    - invariant: {feature: Income}\n"
            "    - monotonic: {feature: Salary, direction: decreasing}\ntraining:",
        )
    )
    refused = cli("train", "-p", root)
    assert_clean_exit(refused, 2)
    assert "evaluation.behaviour[1].monotonic.feature" in refused.stderr
    assert "fix:" in refused.stderr


def test_an_unsafe_edge_case_is_refused_when_the_file_loads(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = project(tmp_path)
    (root / "prodml.yaml").write_text(SPEC.replace('"Age < 25"', "\"__import__('os')\""))
    refused = cli("train", "-p", root)
    assert_clean_exit(refused, 2)
    assert (
        "evaluation.edge_cases.young" in refused.stderr and "call to __import__" in refused.stderr
    )
