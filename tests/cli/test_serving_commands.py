"""``prodml promote``, ``prodml rollback`` and ``prodml serve`` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result
from tests.serve.conftest import TrainedExamples, register_baseline


def test_promote_and_rollback_move_aliases_with_an_audit_trail(
    cli: Callable[..., Result], trained: TrainedExamples, tmp_path: Path
) -> None:
    project = trained.copy("credit", tmp_path)
    version = register_baseline(project)

    shadow = cli("promote", str(version), "--as", "shadow", "-p", project)
    assert shadow.code == 0, shadow.stderr
    assert f"shadow: unset -> version {version}" in shadow.stderr

    challenger = cli("promote", str(version), "--as", "challenger", "--share", "0.2", "-p", project)
    assert challenger.code == 0 and "(20% of entities)" in challenger.stderr

    champion = cli("promote", str(version), "-p", project, "--reason", "A/B won", "--json")
    assert champion.code == 0, champion.stderr
    moves = json.loads(champion.stdout)
    assert moves[0]["alias"] == "champion" and moves[0]["to_version"] == version
    assert {m["alias"] for m in moves[1:]} == {"challenger", "shadow"}  # cleared: it won

    back = cli("rollback", "-p", project, "--reason", "complaints")
    assert back.code == 0, back.stderr
    assert f"champion: version {version} -> version 1" in back.stderr
    models = json.loads(cli("models", "-p", project, "--json").stdout)
    assert [m["aliases"] for m in models] == [["champion"], []]


def test_registry_mistakes_exit_2_with_the_fix(
    cli: Callable[..., Result], trained: TrainedExamples, tmp_path: Path
) -> None:
    project = trained.copy("credit", tmp_path)
    for args, needle in (
        (("promote", "7"), "version 7 not found"),
        (("promote", "1", "--as", "challenger"), "is the champion"),
        (("promote", "1", "--as", "boss"), "not a serving role"),
        (("rollback",), "no previous champion"),
    ):
        result = cli(*args, "-p", project)
        assert result.code == 2, (args, result.stderr)
        assert needle in result.stderr and "fix:" in result.stderr
        assert "Traceback" not in result.stderr


def test_serve_refuses_a_project_without_a_champion(
    cli: Callable[..., Result], example: Callable[[str], Path]
) -> None:
    project = example("credit")  # never trained
    result = cli("serve", "-p", project, "--port", "1")
    assert result.code == 2, result.stderr
    assert "champion" in result.stderr and "prodml train" in result.stderr
    assert "Traceback" not in result.stderr
