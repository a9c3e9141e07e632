"""A model that fails while scoring: the request gets a JSON 500 and the log counts the failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.serve.conftest import CREDIT_RECORD, thread_server


def test_a_scoring_failure_answers_500_and_is_logged_as_error(
    credit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodml.serve._model import ServedModel

    def broken(self: ServedModel, *args: Any) -> np.ndarray:
        raise RuntimeError("booster exploded")

    monkeypatch.setenv("PRODML_ADMIN_TOKEN", "adm")
    with thread_server(credit) as server:
        assert server.predict(CREDIT_RECORD).status_code == 200
        monkeypatch.setattr(ServedModel, "scores", broken)  # records that need repairs
        monkeypatch.setattr(ServedModel, "scores_of_values", broken)  # clean records
        failed = server.predict(CREDIT_RECORD, CREDIT_RECORD)
        assert failed.status_code == 500
        body = failed.json()
        assert body["code"] == "internal_error" and "booster" not in failed.text
        monkeypatch.undo()
        monkeypatch.setenv("PRODML_ADMIN_TOKEN", "adm")
        server.client.post("/admin/flush", headers={"authorization": "Bearer adm"})
        from prodml.store import log_root, read_predictions

        log = read_predictions(log_root(credit))
    assert sorted(log["status"]) == ["error", "error", "ok"]
    errors = log[log["status"] == "error"]
    assert errors["model_version"].tolist() == [1, 1] and errors["score"].isna().all()
    assert "internal error while scoring" in errors["errors"].iloc[0]
