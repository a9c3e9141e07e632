"""A credit project with two registered versions: v1, trained on shuffled outcomes (it learned
nothing), is the champion; v2, trained on the real outcomes, is clearly better. Predictions are
logged through the server's own event log (``tests.monitor.conftest.write_predictions``) and
labels through ``Project.feedback``, so maintenance reads what production would write."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodml import Project
from tests.monitor.conftest import TRAIN_ROWS, credit_frame, write_predictions

_ENV = ("PRODML_STORE_URL", "PRODML_ARTIFACTS_DIR", "PRODML_LOG_DIR", "PRODML_WEBHOOK_TOKEN")

SPEC = """
name: credit-maintain
problem:
  decision: approve or decline a consumer loan application
  task: binary
  target: Status
  positive: bad
  unit: EUR
  value: {tp: 0, fp: 0, tn: "0.08 * Amount * Time / 24", fn: "-0.6 * Amount"}
success: {min_value_per_decision: -10000, min_uplift_over_trivial: -10000}
data:
  source: data/credit.csv
  id_column: applicant
evaluation: {holdout: 0.2, folds: 3, seed: 42, segments: [Home], bootstrap: 200}
training: {candidates: [baseline, linear], search_budget: 1}
monitoring:
  sinks: [{type: file, path: alerts.jsonl}]
maintenance:
"""


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def noise_and_good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("maintain") / "credit"
    (root / "data").mkdir(parents=True)
    frame = credit_frame().iloc[:TRAIN_ROWS].reset_index(drop=True)
    frame.to_csv(root / "data" / "credit.csv", index=False)
    (root / "prodml.yaml").write_text(SPEC + "  cooldown: 1m\n")
    project = Project(root)
    shuffled = frame.copy()
    shuffled["Status"] = np.random.default_rng(3).permutation(shuffled["Status"].to_numpy())
    first = project.train(data=shuffled, data_description="shuffled outcomes")
    second = project.train()
    assert (first.version, second.version, project.aliases()["champion"]) == (1, 2, 1)
    project.store.close()
    return root


@pytest.fixture
def pair(noise_and_good: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "credit"
    shutil.copytree(noise_and_good, target)
    yield target


def set_maintenance(root: Path, body: str) -> None:
    """Replace the ``maintenance:`` section's body (YAML indented by two spaces)."""
    text = (root / "prodml.yaml").read_text()
    head = text[: text.index("maintenance:\n") + len("maintenance:\n")]
    (root / "prodml.yaml").write_text(head + body)


def production() -> pd.DataFrame:
    return credit_frame().iloc[TRAIN_ROWS:].reset_index(drop=True)


def log_and_label(
    root: Path,
    rows: pd.DataFrame,
    *,
    at: datetime | None = None,
    version: int = 1,
    variant: str = "champion",
    status: str = "ok",
    latency_ms: float = 2.0,
    labels: bool = True,
) -> None:
    """Log ``rows`` as decisions of ``version`` and, unless told not to, their true outcomes."""
    write_predictions(
        root,
        rows,
        at=at or datetime.now(UTC) + timedelta(seconds=1),
        version=version,
        variant=variant,
        status=status,
        latency_ms=latency_ms,
    )
    if labels:
        project = Project(root)
        project.feedback(rows[["applicant", "Status"]], id_column="applicant")
        project.store.close()
