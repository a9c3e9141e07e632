"""`prodml init` then `prodml train`, as a user with their own CSV does it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from prodml.spec import load_spec
from tests.conftest import EXAMPLES, Result

CREDIT_VALUES = [
    "--value", "tp=0",
    "--value", "fp=-0.1*Amount",
    "--value", "fn=-Amount",
    "--value", "tn=0.1*Amount",
]  # fmt: skip


def test_init_with_values_then_train_needs_no_editing(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "loans.csv"
    shutil.copy(EXAMPLES / "credit" / "data" / "credit.csv", data)
    made = cli(
        "init", tmp_path / "my-project", "--data", data, "--target", "Status",
        "--positive", "bad", "--decision", "approve or decline the loan", *CREDIT_VALUES,
        "--unit", "EUR",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    assert "ready" in made.stderr
    spec = load_spec(tmp_path / "my-project" / "prodml.yaml")
    assert spec.problem.value.fn == "-Amount"
    assert spec.data.source == "../loans.csv"

    trained = cli("train", "-p", tmp_path / "my-project", "--json")
    assert trained.code == 0, trained.stderr
    assert json.loads(trained.stdout)["champion"] is True


def test_init_infers_kinds_and_train_refuses_until_values_are_set(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "loans.csv"
    shutil.copy(EXAMPLES / "credit" / "data" / "credit.csv", data)
    made = cli("init", tmp_path / "p", "--data", data, "--target", "Status", "--positive", "bad")
    assert made.code == 0, made.stderr
    assert "problem.value.fn" in made.stderr
    text = (tmp_path / "p" / "prodml.yaml").read_text()
    assert "#   Age: numeric" in text
    assert "#   Home: categorical" in text

    refused = cli("train", "-p", tmp_path / "p")
    assert refused.code == 2
    assert "no stated business value" in refused.stderr
    for field in ("problem.decision", "problem.value.tp", "problem.value.fn"):
        assert field in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "p" / ".prodml" / "artifacts").exists() or not any(
        (tmp_path / "p" / ".prodml" / "artifacts").rglob("*")
    )


def test_init_refuses_bad_values_and_an_existing_project(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "loans.csv"
    shutil.copy(EXAMPLES / "credit" / "data" / "credit.csv", data)
    bad = cli("init", tmp_path / "p", "--data", data, "--target", "Status",
              "--value", "fn=-Amout")  # fmt: skip
    assert bad.code == 2 and "Amout" in bad.stderr and "Traceback" not in bad.stderr
    wrong = cli("init", tmp_path / "p", "--data", data, "--target", "Status",
                "--value", "over=-1")  # fmt: skip
    assert wrong.code == 2 and "does not apply to a binary task" in wrong.stderr
    assert cli("init", tmp_path / "p", "--data", data, "--target", "Status").code == 0
    again = cli("init", tmp_path / "p", "--data", data, "--target", "Status")
    assert again.code == 2 and "--force" in again.stderr


def test_init_guesses_regression_for_a_continuous_target(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    made = cli(
        "init", tmp_path / "houses", "--data", EXAMPLES / "ames" / "data" / "ames.csv",
        "--target", "Sale_Price", "--value", "over=-1", "--value", "under=-0.25",
        "--decision", "offer price",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    spec = load_spec(tmp_path / "houses" / "prodml.yaml")
    assert spec.problem.task == "regression"
    assert spec.problem.value.under == -0.25
