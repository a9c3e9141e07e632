"""``prodml monitor``, ``feedback`` and ``alerts`` on a project with nothing trained yet: clear
messages and exit codes, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result


def test_monitor_before_any_model_says_to_train_first(
    example: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = example("credit")
    result = cli("monitor", "-p", project)
    assert result.code == 2
    assert "no model versions yet" in result.stderr and "prodml train" in result.stderr
    assert "Traceback" not in result.stderr


def test_alerts_of_a_new_project_is_an_empty_list(
    example: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    result = cli("alerts", "-p", example("credit"), "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_feedback_needs_an_id_column_and_a_readable_file(
    example: Callable[[str], Path], cli: Callable[..., Result], tmp_path: Path
) -> None:
    project = example("credit")
    no_option = cli("feedback", tmp_path / "labels.csv", "-p", project)
    assert no_option.code == 2 and "--id-column" in no_option.stderr
    missing = cli("feedback", tmp_path / "nowhere.csv", "--id-column", "id", "-p", project)
    assert missing.code == 2 and "nowhere.csv" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_by = cli("feedback", tmp_path / "x.csv", "--id-column", "id", "--by", "row", "-p", project)
    assert bad_by.code == 2 and "--by" in bad_by.stderr


def test_the_monitoring_commands_are_listed_in_help(cli: Callable[..., Result]) -> None:
    result = cli("--help")
    for command in ("monitor", "feedback", "alerts"):
        assert command in result.stdout
