"""Every error a user can cause: one clear message, the field and the fix, exit 2, no traceback,
and the store exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import Result

SPEC = """
problem:
  decision: approve or decline
  task: binary
  target: Status
  positive: bad
  value: {{tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}}
data:
  source: {source}
evaluation: {{folds: 3}}
training: {{candidates: [baseline, linear], search_budget: 1}}
"""


def make_project(tmp_path: Path, frame: pd.DataFrame | None, spec: str | None = None) -> Path:
    if frame is not None:
        frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "prodml.yaml").write_text(spec or SPEC.format(source="data.csv"))
    return tmp_path


def loans(n: int = 200) -> pd.DataFrame:
    import numpy as np

    rng = np.random.default_rng(0)
    age = rng.integers(20, 70, n)
    return pd.DataFrame(
        {
            "Status": np.where(rng.random(n) < 0.3 + (age < 30) * 0.3, "bad", "good"),
            "Age": age,
            "Home": rng.choice(["rent", "owner", "parents"], n),
            "Amount": rng.integers(500, 3000, n),
        }
    )


def assert_user_error(result: Result, *needles: str) -> None:
    assert result.code == 2, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "fix:" in result.stderr


def assert_store_empty(cli: Callable[..., Result], project: Path) -> None:
    listed = cli("runs", "-p", project, "--json")
    if listed.code == 0:
        assert json.loads(listed.stdout) == []
    artifacts = project / ".prodml" / "artifacts"
    assert not artifacts.exists() or not [p for p in artifacts.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("spec", "needles"),
    [
        ("problem: [unclosed\n", ["malformed YAML at line"]),
        (SPEC.format(source="data.csv") + "trainingg: {}\n", ["trainingg: unknown key"]),
        (SPEC.format(source="data.csv").replace('"-Amount"', '"-Amount +"'), ["cannot parse"]),
        (SPEC.format(source="data.csv").replace('"-Amount"', '"Amount.real"'), ["attribute"]),
        (SPEC.format(source="data.csv").replace('"-Amount"', '"-Amt"'), ["Amt", "unknown col"]),
        (
            SPEC.format(source="data.csv").replace("target: Status", "target: Outcome"),
            ["problem.target", "Outcome"],
        ),
        (
            SPEC.format(source="data.csv").replace("positive: bad", "positive: awful"),
            ["problem.positive", "awful"],
        ),
        (SPEC.format(source="missing.csv"), ["missing.csv"]),
        (
            SPEC.format(
                source="{url: 'postgresql+psycopg://u:secret@127.0.0.1:1/x', query: 'select 1'}"
            ),
            ["127.0.0.1:1"],
        ),
    ],
)
def test_bad_project_files_and_sources(
    cli: Callable[..., Result], tmp_path: Path, spec: str, needles: list[str]
) -> None:
    project = make_project(tmp_path, loans(), spec)
    result = cli("train", "-p", project)
    assert_user_error(result, *needles)
    assert "secret" not in result.stderr
    assert_store_empty(cli, project)


def test_single_class_target(cli: Callable[..., Result], tmp_path: Path) -> None:
    frame = loans().assign(Status="good")
    result = cli("train", "-p", make_project(tmp_path, frame))
    assert_user_error(result, "Status")
    assert_store_empty(cli, tmp_path)


def test_empty_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    project = make_project(tmp_path, None)
    (project / "data.csv").write_text("")
    assert_user_error(cli("train", "-p", project), "data.csv")


def test_numeric_column_full_of_text(cli: Callable[..., Result], tmp_path: Path) -> None:
    frame = loans().astype({"Age": object})
    frame.loc[[3, 17, 40], "Age"] = ["abc", "n/a?", "old"]
    result = cli("train", "-p", make_project(tmp_path, frame))
    assert_user_error(result, "Age")
    assert_store_empty(cli, tmp_path)


def test_model_below_the_success_criterion_is_kept_but_not_registered(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    spec = SPEC.format(source="data.csv") + "success: {min_value_per_decision: 1000000}\n"
    project = make_project(tmp_path, loans(), spec)
    result = cli("train", "-p", project)
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    runs = json.loads(cli("runs", "-p", project, "--json").stdout)
    assert runs[0]["status"] == "not_registered"
    assert runs[0]["model_version"] is None
    assert any("below the minimum" in r for r in runs[0]["reasons"])
    assert json.loads(cli("models", "-p", project, "--json").stdout) == []


def test_commands_outside_a_project_say_how_to_start(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    for command in ("train", "runs", "models"):
        assert_user_error(cli(command, cwd=tmp_path), "prodml init")
