"""End to end on the credit example: train, then explain a record, write the report and the card
(slow: real training)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Result, run_cli

pytestmark = pytest.mark.slow

APPLICANT = {
    "Seniority": 1,
    "Home": "rent",
    "Time": 60,
    "Age": 24,
    "Marital": "single",
    "Records": "yes",
    "Job": "partime",
    "Expenses": 60,
    "Income": 80,
    "Assets": 0,
    "Debt": 0,
    "Amount": 1500,
    "Price": 1600,
}


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("cli") / "credit"
    shutil.copytree(EXAMPLES / "credit", project, ignore=shutil.ignore_patterns(".prodml"))
    trained = run_cli("train", "-p", project)
    assert trained.code == 0, trained.stderr
    return project


def assert_user_error(result: Result, *words: str) -> None:
    assert result.code == 2, (result.code, result.stderr)
    assert "Traceback" not in result.stderr and "fix:" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_explain_prints_the_decision_and_the_reasons_in_words(credit: Path) -> None:
    result = run_cli("explain", "1", "-p", credit, "--row", json.dumps(APPLICANT))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("P(bad) = ") and ": act" in lines[0]
    assert lines[1].startswith("Top reasons")
    reasons = [line for line in lines if line.startswith("  1. ")]
    assert reasons and "of applicants" in result.stdout
    assert "raises the chance of bad" in result.stdout


def test_explain_a_row_of_a_data_file_as_json_that_adds_up(credit: Path) -> None:
    data = credit / "data" / "credit.csv"
    result = run_cli("explain", "-p", credit, "--data", data, "--index", "2", "--json", "-n", "3")
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["reasons"]) == 3 and out["method"] in ("treeshap", "linear")
    assert out["base_value"] + sum(out["contributions"].values()) == pytest.approx(out["raw_score"])
    assert set(out["contributions"]) == set(APPLICANT)
    assert isinstance(out["decision"], bool) and 0 < out["prediction"] < 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--row", '{"Income": 80'], ["--row", "not valid JSON"]),
        (["--row", '{"Incme": 80}'], ["unknown column 'Incme'", "did you mean 'Income'"]),
        (["7", "--row", "{}"], ["model version 7 not found", "known versions"]),
        ([], ["--row", "--data"]),
        (["--data", "DATA", "--index", "99999"], ["--index", "rows"]),
        (["--data", "DATA", "--id", "3"], ["--id", "data.id_column"]),
    ],
)
def test_explain_input_errors_name_the_field_and_the_fix(
    credit: Path, args: list[str], words: list[str]
) -> None:
    args = [str(credit / "data" / "credit.csv") if a == "DATA" else a for a in args]
    assert_user_error(run_cli("explain", "-p", credit, *args), *words)


def test_report_writes_one_self_contained_page_and_opens_it(credit: Path, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"  # webbrowser runs $BROWSER with the page's URL
    fake.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {"BROWSER": str(fake), "DISPLAY": "", "PATH": os.environ.get("PATH", "")}
    result = run_cli("report", "-p", credit, "--open", cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr
    page = tmp_path / "credit-v1-report.html"
    assert result.stdout.strip() == "credit-v1-report.html" and page.is_file()
    assert opened.read_text().strip() == page.resolve().as_uri()
    html = page.read_text()
    assert "approve or decline a consumer loan application" in html
    assert "Use version 1 to approve or decline a consumer loan application" in html
    assert "https://" not in html and "<script" not in html
    piped = run_cli("report", "champion", "-p", credit, "--out", "-")
    assert piped.code == 0 and piped.stdout == html


def test_card_prints_markdown_or_writes_html(credit: Path, tmp_path: Path) -> None:
    markdown = run_cli("card", "-p", credit)
    assert markdown.code == 0, markdown.stderr
    assert markdown.stdout.startswith("# Model card: credit, version 1")
    assert "## Limitations, assumptions and uses to avoid" in markdown.stdout
    out = tmp_path / "card.html"
    written = run_cli("card", "1", "-p", credit, "--format", "html", "-o", out)
    assert written.code == 0 and out.read_text().startswith("<!DOCTYPE html>")
    assert_user_error(run_cli("card", "-p", credit, "--format", "pdf"), "pdf", "md")
    assert_user_error(run_cli("report", "v9", "-p", credit), "model version 9")
