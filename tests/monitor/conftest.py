"""A credit project trained on part of the data, and prediction logs written through the store's
event log (the same writer the server uses), so monitoring reads what production would write."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from prodml import Project
from tests.conftest import EXAMPLES

TRAIN_ROWS = 3000
_ENV = ("PRODML_STORE_URL", "PRODML_ARTIFACTS_DIR", "PRODML_LOG_DIR", "PRODML_WEBHOOK_TOKEN")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def credit_frame() -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLES / "credit" / "data" / "credit.csv")
    # the file is not in random order: shuffle so training and 'production' rows are alike
    frame = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    frame.insert(0, "applicant", [f"a{i:05d}" for i in range(len(frame))])
    return frame


@pytest.fixture(scope="session")
def trained_credit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Credit trained on its first 3,000 rows (the rest is 'production'), id column applicant."""
    root = tmp_path_factory.mktemp("monitor") / "credit"
    shutil.copytree(EXAMPLES / "credit", root, ignore=shutil.ignore_patterns(".prodml"))
    credit_frame().iloc[:TRAIN_ROWS].to_csv(root / "data" / "credit.csv", index=False)
    text = (root / "prodml.yaml").read_text()
    text = text.replace(
        "  source: data/credit.csv\n", "  source: data/credit.csv\n  id_column: applicant\n"
    )
    text = text.replace("  search_budget: 2\n", "  search_budget: 1\n")
    (root / "prodml.yaml").write_text(text)
    project = Project(root)
    assert project.train().registered
    project.store.close()
    return root


@pytest.fixture
def credit(trained_credit: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "credit"
    shutil.copytree(trained_credit, target)
    yield target


def production() -> pd.DataFrame:
    """The rows the model never saw."""
    return credit_frame().iloc[TRAIN_ROWS:].reset_index(drop=True)


def write_predictions(
    root: Path,
    frame: pd.DataFrame,
    *,
    at: datetime,
    version: int = 1,
    variant: str = "champion",
    latency_ms: float = 2.0,
    status: str = "ok",
) -> list[str]:
    """Score ``frame`` with the version and log one row per record at ``at``; returns the ids."""
    from prodml.store import PREDICTIONS, EventLog, log_root, prediction_schema

    project = Project(root)
    bundle = project.load_model(version)
    features = frame[bundle.features]
    scores = np.asarray(bundle.predict(features), dtype=np.float64)
    decisions = bundle.decide(scores)
    ts = int(at.timestamp() * 1_000_000)
    stamp = f"{ts:x}"
    rows: list[dict[str, Any]] = []
    records = features.astype(object).where(features.notna(), None).to_dict("records")
    for i, record in enumerate(records):
        rows.append(
            {
                "prediction_id": f"{stamp}-{i}",
                "request_id": f"{stamp}-{i}",
                "ts": ts,
                "endpoint": "predict",
                "model_version": version,
                "variant": variant,
                "entity_id": str(frame["applicant"].iloc[i]) if "applicant" in frame else None,
                "assignment": "sticky",
                "status": status,
                "score": float(scores[i]),
                "decision": float(decisions[i]),
                "decision_rule": bundle.decision_rule,
                "latency_ms": latency_ms,
                "features": json.dumps(record),
                "repairs": None,
                "errors": None,
            }
        )
    log = EventLog(log_root(root) / PREDICTIONS, prediction_schema).start()
    try:
        log.append(rows)
    finally:
        log.close()
    project.store.close()
    return [row["prediction_id"] for row in rows]


def day(n: int) -> datetime:
    return datetime(2026, 10, n, 12, 0, tzinfo=UTC)
