"""End to end: `prodml validate`, `prodml data ...` and `prodml lineage` on a trained project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli

SPEC = """
problem:
  decision: approve or decline
  task: binary
  target: Status
  positive: bad
  value: {tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}
data:
  source: data.csv
  repairs:
    Amount: {out_of_range: reject}
evaluation: {folds: 3}
training: {candidates: [baseline, linear], search_budget: 1}
"""


def loans(n: int = 300, seed: int = 0, older: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 70, n) + older
    return pd.DataFrame(
        {
            "Status": np.where(rng.random(n) < 0.1 + (age < 35) * 0.6, "bad", "good"),
            "Age": age,
            "Home": rng.choice(["rent", "owner", "parents"], n),
            "Amount": rng.integers(500, 3000, n),
        }
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained twice on different data: versions 1 (champion) and 2, two snapshots."""
    root = tmp_path_factory.mktemp("validate")
    (root / "prodml.yaml").write_text(SPEC)
    loans().to_csv(root / "data.csv", index=False)
    first = run_cli("train", "-p", root)
    assert first.code == 0, first.stderr
    loans(400, seed=1, older=5).to_csv(root / "data.csv", index=False)
    second = run_cli("train", "-p", root)
    assert second.code == 0, second.stderr
    return root


def batch(project: Path, rows: int = 200) -> Path:
    frame = loans(rows, seed=7).drop(columns="Status").astype({"Age": object, "Amount": float})
    frame.loc[0:2, "Home"] = "castle"  # unseen -> unknown (repaired)
    frame.loc[3, "Age"] = None  # never missing in training -> median (repaired)
    frame.loc[4, "Amount"] = 1e9  # out of range, and Amount rejects it (project file)
    frame["channel"] = "web"  # extra column: ignored and counted
    path = project / "batch.csv"
    frame.to_csv(path, index=False)
    return path


def test_validate_reports_per_column_writes_quarantine_and_passes(project: Path) -> None:
    path = batch(project)
    quarantine = project / "out" / "rejected.csv"
    result = run_cli("validate", path, "-p", project, "--quarantine", quarantine)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    for needle in (
        "Home",
        "unseen 3",
        "'castle'",
        "200 rows: 195 ok, 4 repaired, 1 rejected",
        "PASS",
    ):
        assert needle in result.stdout.replace("  ", " "), result.stdout
    assert "1 extra columns ignored: channel" in result.stdout
    rejected = pd.read_csv(quarantine)
    assert rejected["row"].tolist() == [4]
    assert rejected["reason"].iloc[0].startswith("Amount: 1000000000.0 is outside")
    assert "wrote 1 rejected row to" in result.stderr


def test_validate_json_accounts_for_every_row(project: Path) -> None:
    result = run_cli("validate", batch(project), "-p", project, "--json", "--model", "v1")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model_version"] == 1
    assert report["rows"] == report["ok"] + report["repaired"] + report["rejected"] == 200
    columns = {c["name"]: c for c in report["columns"]}
    assert columns["Home"]["checks"] == {"unseen": 3}
    (rule,) = columns["Age"]["rules"]
    assert rule.startswith("median ") and columns["Age"]["rules"][rule] == 1


def test_too_many_rejected_rows_exit_4_after_the_report(project: Path) -> None:
    frame = loans(50, seed=3).drop(columns="Status").astype({"Amount": object})
    frame.loc[:9, "Amount"] = "n/a"
    path = project / "bad.csv"
    frame.to_csv(path, index=False)
    quarantine = project / "bad-rejected.csv"
    result = run_cli("validate", path, "-p", project, "--quarantine", quarantine)
    assert result.code == 4, result.stderr
    assert "FAIL" in result.stdout
    assert "10 of 50 rows rejected" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(pd.read_csv(quarantine)) == 10


def test_unknown_model_and_bad_prefix_are_user_errors(project: Path) -> None:
    missing_model = run_cli("validate", batch(project), "-p", project, "--model", "9")
    assert missing_model.code == 2 and "model version 9 not found" in missing_model.stderr
    for ref, needle in (("zz", "not a snapshot hash"), ("0000", "no dataset snapshot")):
        shown = run_cli("data", "show", ref, "-p", project)
        assert shown.code == 2 and needle in shown.stderr and "fix:" in shown.stderr


def test_data_list_show_diff_and_hash(project: Path) -> None:
    listed = run_cli("data", "list", "-p", project, "--json")
    assert listed.code == 0, listed.stderr
    snapshots = json.loads(listed.stdout)
    assert [(s["runs"], s["versions"]) for s in snapshots] == [([2], [2]), ([1], [1])]
    newest, oldest = snapshots[0]["hash"], snapshots[1]["hash"]

    shown = run_cli("data", "show", oldest[:6], "-p", project)
    assert shown.code == 0, shown.stderr
    assert oldest in shown.stdout and "300 rows" in shown.stdout and "Age" in shown.stdout

    diff = run_cli("data", "diff", oldest[:8], newest[:8], "-p", project, "--json")
    assert diff.code == 0, diff.stderr
    report = json.loads(diff.stdout)
    assert (report["rows_a"], report["rows_b"]) == (300, 400)
    ages = next(c for c in report["columns"] if c["name"] == "Age")
    assert ages["mean_b"] > ages["mean_a"] + 3 and ages["psi"] > 0.1

    hashed = run_cli("data", "hash", "data.csv", "-p", project)
    assert hashed.code == 0 and newest in hashed.stdout and "runs 2" in hashed.stdout


def test_lineage_names_data_spec_code_and_environment(project: Path) -> None:
    result = run_cli("lineage", "1", "-p", project, "--json")
    assert result.code == 0, result.stderr
    lineage = json.loads(result.stdout)
    assert lineage["version"] == 1 and lineage["aliases"] == ["champion"]
    assert lineage["data"]["rows"] == 300 and len(lineage["data"]["hash"]) == 64
    assert len(lineage["spec_hash"]) == 64
    assert {"git_commit", "git_dirty"} <= set(lineage["code"])
    assert "scikit-learn" in lineage["packages"] and lineage["seeds"] == {"evaluation.seed": 42}
    assert lineage["alias_moves"][0]["alias"] == "champion"
    text = run_cli("lineage", "-p", project)
    assert text.code == 0 and "model version 1 (champion)" in text.stdout


def test_a_bad_repair_policy_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "prodml.yaml").write_text(
        SPEC.replace("{out_of_range: reject}", "{out_of_range: wrap}")
    )
    result = run_cli("validate", "x.csv", "-p", tmp_path)
    assert result.code == 2
    assert "data.repairs.Amount.out_of_range" in result.stderr and "fix:" in result.stderr
