"""``prodml score`` from the shell: a summary on stderr, JSON on stdout, exit 2 on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tests.batch.conftest import scoring_frame, trained
from tests.conftest import Result

__all__ = ["trained"]


def test_score_prints_a_summary_and_json(
    trained: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    scoring_frame(200).to_csv(tmp_path / "in.csv", index=False)

    done = cli("score", tmp_path / "in.csv", tmp_path / "out.parquet", "-p", trained)
    as_json = cli(
        "score", tmp_path / "in.csv", tmp_path / "out.csv", "-p", trained, "--json", "--model", "1"
    )

    assert done.code == 0, done.stderr
    assert "scored 200 rows with model version 1" in done.stderr and "1 rejected" in done.stderr
    assert as_json.code == 0, as_json.stderr
    summary = json.loads(as_json.stdout)
    assert summary["rows"] == 200 and summary["rejected"] == 1 and summary["fast_path"]
    assert len(pd.read_csv(tmp_path / "out.csv")) == 200


def test_score_bad_input_exits_2_without_traceback_or_output(
    trained: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    (tmp_path / "trunc.parquet").write_bytes(b"PAR1\x00\x01")
    pd.DataFrame({"Age": [30]}).to_csv(tmp_path / "cols.csv", index=False)
    cases = [
        (tmp_path / "missing.csv", "not found"),
        (tmp_path / "trunc.parquet", "Parquet"),
        (tmp_path / "cols.csv", "missing feature column"),
    ]
    for source, needle in cases:
        result = cli("score", source, tmp_path / "out.parquet", "-p", trained)
        assert result.code == 2, result.stderr
        assert needle in result.stderr and "fix:" in result.stderr
        assert "Traceback" not in result.stderr
    unknown = cli(
        "score", tmp_path / "cols.csv", tmp_path / "o.parquet", "--model", "7", "-p", trained
    )
    assert unknown.code == 2 and "Traceback" not in unknown.stderr
    assert not list(tmp_path.glob("out*")) and not list(tmp_path.glob("o.*"))
