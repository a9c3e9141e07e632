"""A PostgreSQL table as the data source: train from it, validate a query, same hash as a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from tests.cli.test_validate_and_lineage import SPEC, loans
from tests.conftest import run_cli

pytestmark = pytest.mark.postgres


def test_train_and_validate_from_postgresql(postgres_url: str, tmp_path: Path) -> None:
    engine = create_engine(postgres_url, poolclass=NullPool)
    training = loans()
    incoming = loans(60, seed=9).drop(columns="Status")
    incoming.loc[0, "Home"] = "castle"
    incoming.loc[1, "Age"] = None
    with engine.begin() as conn:
        training.to_sql("applications", conn, index=False)
        incoming.to_sql("incoming", conn, index=False)
    engine.dispose()
    spec = SPEC.replace(
        "source: data.csv",
        f"source: {{url: '{postgres_url}', query: 'select * from applications order by random()'}}",
    )
    (tmp_path / "prodml.yaml").write_text(spec)

    trained = run_cli("train", "-p", tmp_path, "--json")
    assert trained.code == 0, trained.stderr
    data_hash = json.loads(trained.stdout)["data_hash"]
    training.sample(frac=1.0, random_state=2).to_csv(tmp_path / "same.csv", index=False)
    hashed = run_cli("data", "hash", "same.csv", "-p", tmp_path, "--json")
    assert json.loads(hashed.stdout)["hash"] == data_hash, "same rows, any origin or order"

    checked = run_cli("validate", "--query", "select * from incoming", "-p", tmp_path, "--json")
    assert checked.code == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["rows"] == 60 and report["repaired"] == 2 and report["rejected"] == 0
    listed = json.loads(run_cli("data", "list", "-p", tmp_path, "--json").stdout)
    assert listed[0]["source"].startswith("postgresql+psycopg://postgres@127.0.0.1:5432/")

    wrong = run_cli("validate", "--query", "select * from nowhere", "-p", tmp_path)
    assert (
        wrong.code == 2 and "the query failed" in wrong.stderr and "Traceback" not in wrong.stderr
    )
