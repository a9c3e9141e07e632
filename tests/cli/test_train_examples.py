"""End to end: the real `prodml` command on the bundled examples (slow: real training)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

pytestmark = pytest.mark.slow


def test_credit_trains_registers_a_champion_and_lists_it(
    cli: Callable[..., Result], example: Callable[[str], Path]
) -> None:
    project = example("credit")
    trained = cli("train", "-p", project)
    assert trained.code == 0, trained.stderr
    assert "Registered version 1" in trained.stdout
    assert "champion" in trained.stdout
    assert "Traceback" not in trained.stderr

    runs = json.loads(cli("runs", "-p", project, "--json").stdout)
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "registered"
    assert run["model_version"] == 1
    assert len(run["data_hash"]) == 64 and len(run["spec_hash"]) == 64
    assert run["seeds"] == {"evaluation.seed": 42}
    assert "lightgbm" in run["packages"] and run["platform"]["python"]
    holdout = run["metrics"]["holdout"]
    assert holdout["value_per_decision"] > holdout["trivial"]["act_on_everyone"]
    assert holdout["value_per_decision"] > holdout["trivial"]["act_on_no_one"]
    assert {"roc_auc", "pr_auc", "log_loss", "brier", "precision", "recall", "f1"} <= set(
        holdout["metrics"]
    )

    models = json.loads(cli("models", "-p", project, "--json").stdout)
    assert [m["version"] for m in models] == [1]
    assert models[0]["aliases"] == ["champion"]
    assert 0 < models[0]["threshold"] < 1

    table = cli("models", "-p", project)
    assert table.code == 0 and "champion" in table.stdout


def test_training_is_deterministic_and_keeps_the_first_champion(
    cli: Callable[..., Result], example: Callable[[str], Path]
) -> None:
    project = example("credit")
    assert cli("train", "-p", project).code == 0
    assert cli("train", "-p", project).code == 0
    runs = json.loads(cli("runs", "-p", project, "--json").stdout)
    models = json.loads(cli("models", "-p", project, "--json").stdout)
    assert runs[0]["metrics"] == runs[1]["metrics"]
    assert runs[0]["data_hash"] == runs[1]["data_hash"]
    assert models[0]["bundle_sha"] == models[1]["bundle_sha"]
    aliases = {m["version"]: m["aliases"] for m in models}
    assert aliases == {1: ["champion"], 2: []}


@pytest.mark.parametrize(("name", "task"), [("attrition", "binary"), ("ames", "regression")])
def test_other_examples_train(
    cli: Callable[..., Result], example: Callable[[str], Path], name: str, task: str
) -> None:
    project = example(name)
    trained = cli("train", "-p", project, "--json")
    assert trained.code == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["registered"] and report["version"] == 1
    metrics = report["holdout"]["metrics"]
    if task == "regression":
        assert {"mae", "rmse", "r2", "mape"} <= set(metrics)
        assert metrics["r2"] > 0.5
    else:
        assert metrics["roc_auc"] > 0.6


@pytest.mark.postgres
def test_credit_trains_into_a_postgresql_store(
    cli: Callable[..., Result], example: Callable[[str], Path], postgres_url: str
) -> None:
    project = example("credit")
    env = {"PRODML_STORE_URL": postgres_url}
    trained = cli("train", "-p", project, env=env)
    assert trained.code == 0, trained.stderr
    models = json.loads(cli("models", "-p", project, "--json", env=env).stdout)
    assert [(m["version"], m["aliases"]) for m in models] == [(1, ["champion"])]
    assert not (project / ".prodml" / "prodml.db").exists()  # metadata went to PostgreSQL
