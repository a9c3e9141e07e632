"""The Python API twin of the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import prodml
from prodml import IntegrityError, Project
from tests.conftest import EXAMPLES

FAST = "\ntraining: {candidates: [baseline, linear], search_budget: 1}\nevaluation: {folds: 3}\n"


@pytest.fixture
def credit(tmp_path: Path) -> Path:
    target = tmp_path / "credit"
    shutil.copytree(EXAMPLES / "credit", target)
    text = (target / "prodml.yaml").read_text()
    text = text.split("\nevaluation:")[0]  # drop evaluation and training, use the fast ones
    (target / "prodml.yaml").write_text(text + FAST)
    return target


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()} if path.exists() else set()


def test_train_registers_and_the_champion_scores(credit: Path) -> None:
    report = Project(credit).train()
    assert report.registered and report.champion and report.version == 1
    bundle = Project(credit).load_model("champion")
    frame = pd.read_csv(credit / "data" / "credit.csv").head(5)
    proba = bundle.predict(frame)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert (bundle.decide(proba) == (proba >= bundle.decision_rule)).all()
    assert bundle.data_hash == report.data_hash


def test_a_tampered_model_is_refused(credit: Path) -> None:
    project = Project(credit)
    project.train()
    sha = project.models()[0].bundle_sha
    path = next(p for p in (credit / ".prodml" / "artifacts").rglob(sha))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=sha[:12]):
        Project(credit).load_model(1)


def test_a_failure_while_recording_leaves_the_store_as_it_was(
    credit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(credit)
    project.train()
    before_files = files_under(credit / ".prodml" / "artifacts")
    before_runs = [r.id for r in project.runs()]

    from prodml.store import UnitOfWork

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(UnitOfWork, "add_model_version", explode)
    # a different spec makes a different bundle, so new artifacts would be written
    (credit / "prodml.yaml").write_text(
        (credit / "prodml.yaml").read_text().replace("seed: 42", "seed: 7")
        if "seed: 42" in (credit / "prodml.yaml").read_text()
        else (credit / "prodml.yaml").read_text().replace("folds: 3", "folds: 4")
    )
    with pytest.raises(RuntimeError, match="disk full"):
        Project(credit).train()
    assert files_under(credit / ".prodml" / "artifacts") == before_files
    assert [r.id for r in Project(credit).runs()] == before_runs
    assert [m.version for m in Project(credit).models()] == [1]


def test_public_api_is_sorted_and_importable() -> None:
    assert prodml.__all__ == sorted(prodml.__all__)
    for name in prodml.__all__:
        assert getattr(prodml, name) is not None
