"""Hybrid serving: known, fresh ids answer from batch scores; everything else is scored live."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import prodml
from prodml.errors import UserError
from prodml.serve import create_app
from prodml.store import log_root, read_predictions
from tests.conftest import Result
from tests.serve.conftest import CREDIT_RECORD, TrainedExamples, process_server, thread_server

MARK = 0.123456  # a probability the model does not give: it can only come from the file


def _batch_scores(project_dir: Path, tmp_path: Path, ids: list[str]) -> Path:
    """``prodml score`` over records with these ids; ``ids[0]`` gets a marked probability."""
    frame = pd.DataFrame([{"applicant": entity, **CREDIT_RECORD} for entity in ids])
    source = tmp_path / "customers.parquet"
    frame.to_parquet(source, index=False)
    out = tmp_path / "scores.parquet"
    prodml.Project(project_dir).score(source, out)
    table = pq.read_table(out)
    marked = pc.if_else(pc.equal(table.column("applicant"), ids[0]), MARK, table["probability"])
    pq.write_table(
        table.set_column(table.schema.get_field_index("probability"), "probability", marked), out
    )
    return out


def _predict(project_dir: Path, scores: Path, *records: dict[str, Any]) -> list[dict[str, Any]]:
    with thread_server(project_dir, precomputed=scores) as server:
        response = server.predict(*records)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_known_fresh_id_answers_from_batch_scores_others_live_and_both_are_logged(
    credit_with_ids: Path, tmp_path: Path
) -> None:
    scores = _batch_scores(credit_with_ids, tmp_path, ["a00001", "a00002"])

    known, unknown = _predict(
        credit_with_ids,
        scores,
        {"applicant": "a00001", **CREDIT_RECORD},
        {"applicant": "z99999", **CREDIT_RECORD},
    )
    assert known["source"] == "precomputed" and known["probability"] == MARK
    assert known["model_version"] == 1 and known["status"] == "ok"
    assert unknown["source"] == "live" and unknown["probability"] != MARK
    assert unknown["prediction"] in ("good", "bad")

    two_days_ago = time.time() - 2 * 86400  # older than serving.precomputed_max_age (1d)
    os.utime(scores, (two_days_ago, two_days_ago))
    (stale,) = _predict(credit_with_ids, scores, {"applicant": "a00001", **CREDIT_RECORD})
    assert stale["source"] == "live" and stale["probability"] != MARK

    log = read_predictions(log_root(credit_with_ids))
    by_entity = log.groupby("source")["entity_id"].apply(sorted).to_dict()
    assert by_entity == {"live": ["a00001", "z99999"], "precomputed": ["a00001"]}
    assert log.loc[log.source == "precomputed", "score"].tolist() == [MARK]


def test_scores_of_another_version_than_the_champion_are_not_used(
    credit_with_ids: Path, tmp_path: Path
) -> None:
    scores = _batch_scores(credit_with_ids, tmp_path, ["a00001"])
    table = pq.read_table(scores)
    other = pc.add(table.column("model_version"), 1)  # as if scored by a later version
    table = table.set_column(table.schema.get_field_index("model_version"), "model_version", other)
    pq.write_table(table, scores)

    (answer,) = _predict(credit_with_ids, scores, {"applicant": "a00001", **CREDIT_RECORD})
    assert answer["source"] == "live" and answer["probability"] != MARK


def test_a_file_that_is_not_a_score_output_is_refused(
    credit_with_ids: Path, trained: TrainedExamples, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    credit = trained.copy("credit", tmp_path / "without-ids")
    customers = tmp_path / "customers.parquet"
    pd.DataFrame([{"applicant": "a1", **CREDIT_RECORD}]).to_parquet(customers)
    with pytest.raises(UserError, match="not a prodml score output") as info:
        create_app(credit_with_ids, precomputed=customers)
    assert "probability" in str(info.value) and info.value.fix

    with pytest.raises(UserError, match="no id column"):
        create_app(credit, precomputed=customers)  # credit without data.id_column

    done = cli("serve", "-p", credit_with_ids, "--precomputed", tmp_path / "absent.parquet")
    assert done.code == 2 and "precomputed scores file not found" in done.stderr


def test_prodml_serve_precomputed_answers_from_the_file(
    credit_with_ids: Path, tmp_path: Path
) -> None:
    scores = _batch_scores(credit_with_ids, tmp_path, ["a00007"])
    with process_server(credit_with_ids, "--precomputed", str(scores)) as (server, _process):
        response = server.predict({"applicant": "a00007", **CREDIT_RECORD})
    assert response.status_code == 200, response.text
    (answer,) = response.json()["results"]
    assert answer["source"] == "precomputed" and answer["probability"] == MARK
