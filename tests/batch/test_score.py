"""Batch scoring as a user sees it: every input row out, in order, scored like the API would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import prodml
from prodml.errors import DataError, UserError
from tests.batch.conftest import scoring_frame


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame = frame.copy()
    frame["Income"] = frame["Income"].astype(str).replace("nan", None)
    frame.to_parquet(path, index=False)
    return path


def expected_probabilities(project: prodml.Project, frame: pd.DataFrame) -> pd.Series:
    """What the validator + ModelBundle.predict give for the rows that are not rejected."""
    from prodml.data.repair import Policies
    from prodml.data.validation import Validator

    bundle = project.load_model()
    result = Validator(
        bundle.contract, Policies.from_spec(project.spec.data), features=bundle.features
    )(frame)
    return pd.Series(bundle.predict(result.frame), index=result.frame.index)


def test_parquet_to_parquet_keeps_every_row_in_order_with_status(
    trained: Path, tmp_path: Path
) -> None:
    project = prodml.Project(trained)
    frame = scoring_frame()
    source = write_parquet(frame, tmp_path / "customers.parquet")
    out = tmp_path / "scores.parquet"

    summary = project.score(source, out, batch_size=128)

    scores = pq.read_table(out).to_pandas()
    assert summary.rows == len(frame) == len(scores)
    assert (summary.ok, summary.repaired, summary.rejected) == (
        int((scores.status == "ok").sum()),
        int((scores.status == "repaired").sum()),
        1,
    )
    assert scores["row"].tolist() == list(range(len(frame)))
    assert scores["customer_id"].tolist() == frame["customer_id"].tolist()
    assert set(scores["model_version"]) == {1}
    rejected = scores.iloc[3]
    assert rejected.status == "rejected" and "Income" in rejected.reason
    assert pd.isna(rejected.probability) and pd.isna(rejected.decision)
    assert scores.iloc[5].status == "repaired" and "castle" in scores.iloc[5].repairs
    assert scores.iloc[7].status == "repaired" and "clipped" in scores.iloc[7].repairs
    expected = expected_probabilities(project, frame)
    np.testing.assert_allclose(scores.probability[expected.index], expected, rtol=0, atol=1e-12)
    bundle = project.load_model()
    acted = scores.probability[expected.index] >= bundle.decision_rule
    assert (scores.decision[expected.index] == acted).all()
    assert set(scores.prediction.dropna()) <= {"bad", "good"}
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.tmp"))


def test_csv_in_csv_out_and_parquet_folder_in_folder_out(trained: Path, tmp_path: Path) -> None:
    project = prodml.Project(trained)
    frame = scoring_frame(300)
    frame.to_csv(tmp_path / "in.csv", index=False)
    folder = tmp_path / "in_folder"
    folder.mkdir()
    write_parquet(frame.iloc[:100], folder / "a.parquet")
    write_parquet(frame.iloc[100:], folder / "b.parquet")

    project.score(tmp_path / "in.csv", tmp_path / "out.csv", batch_size=64)
    project.score(folder, f"{tmp_path / 'out_folder'}/", batch_size=64)

    from_csv = pd.read_csv(tmp_path / "out.csv")
    from_folder = pq.read_table(tmp_path / "out_folder").to_pandas()
    assert len(from_csv) == len(from_folder) == 300
    assert sorted(p.name for p in (tmp_path / "out_folder").iterdir())[0] == "part-000000.parquet"
    np.testing.assert_allclose(from_csv.probability, from_folder.probability, atol=1e-12)
    assert from_csv.status.tolist() == from_folder.status.tolist()


def test_sql_query_and_fsspec_urls(trained: Path, tmp_path: Path) -> None:
    import fsspec
    import sqlalchemy

    project = prodml.Project(trained)
    frame = scoring_frame(200).drop(index=3)
    frame["Income"] = pd.to_numeric(frame["Income"])
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    frame.to_sql("customers", engine, index=False)
    engine.dispose()
    memory = fsspec.filesystem("memory")
    with memory.open("/batch-test/in.parquet", "wb") as handle:
        frame.to_parquet(handle, index=False)

    from_sql = project.score(
        f"sqlite:///{tmp_path / 'crm.db'}",
        tmp_path / "sql.parquet",
        query="select * from customers order by customer_id",
        batch_size=50,
    )
    project.score("memory://batch-test/in.parquet", "memory://batch-test/out.parquet")

    with memory.open("/batch-test/out.parquet", "rb") as handle:
        from_url = pd.read_parquet(handle)
    from_db = pd.read_parquet(tmp_path / "sql.parquet")
    assert from_sql.rows == len(from_url) == 199
    np.testing.assert_allclose(from_db.probability, from_url.probability, atol=1e-12)


def test_interrupted_run_resumes_from_the_last_completed_part(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodml.batch import BatchScorer

    project = prodml.Project(trained)
    source = write_parquet(scoring_frame(1000), tmp_path / "in.parquet")
    out = tmp_path / "scores.parquet"
    original = BatchScorer.__call__

    def crash_late(self: BatchScorer, batch: object, start_row: int | None = None) -> object:
        if start_row is not None and start_row >= 600:
            raise KeyboardInterrupt  # the user pressed Ctrl-C
        return original(self, batch, start_row)

    monkeypatch.setattr(BatchScorer, "__call__", crash_late)
    with pytest.raises(KeyboardInterrupt):
        project.score(source, out, batch_size=100, workers=1)
    assert not out.exists()  # nothing looks complete
    assert (tmp_path / "scores.parquet.partial" / "manifest.json").is_file()

    monkeypatch.setattr(BatchScorer, "__call__", original)
    summary = project.score(source, out, batch_size=100)
    straight = project.score(source, tmp_path / "straight.parquet", batch_size=100)

    assert summary.resumed_rows >= 500 and summary.rows == 1000
    assert pq.read_table(out).equals(pq.read_table(tmp_path / "straight.parquet"))
    assert straight.resumed_rows == 0
    assert not (tmp_path / "scores.parquet.partial").exists()


@pytest.mark.parametrize(
    ("make_input", "needle"),
    [
        (lambda d: d / "absent.parquet", "not found"),
        (
            lambda d: _write(d / "bad.parquet", b"PAR1 this is not parquet"),
            "not a readable Parquet",
        ),
        (lambda d: _write(d / "empty.csv", b"customer_id,Age,Income,Home,Amount\n"), "empty"),
        (lambda d: _write(d / "cols.csv", b"customer_id,Age\n1,30\n"), "missing feature"),
        (lambda d: _write(d / "data.xlsx", b"x"), "unsupported input"),
    ],
)
def test_bad_input_is_refused_and_leaves_no_output(
    trained: Path, tmp_path: Path, make_input: object, needle: str
) -> None:
    project = prodml.Project(trained)
    source = make_input(tmp_path)  # type: ignore[operator]
    out = tmp_path / "scores.parquet"
    with pytest.raises(DataError, match=needle) as info:
        project.score(source, out)
    assert info.value.fix
    assert not out.exists()
    assert not (tmp_path / "scores.parquet.partial").exists()


def test_existing_output_unwritable_location_and_bad_options(trained: Path, tmp_path: Path) -> None:
    project = prodml.Project(trained)
    source = write_parquet(scoring_frame(50), tmp_path / "in.parquet")
    (tmp_path / "taken.parquet").write_bytes(b"keep me")

    with pytest.raises(DataError, match="already exists"):
        project.score(source, tmp_path / "taken.parquet")
    assert (tmp_path / "taken.parquet").read_bytes() == b"keep me"
    project.score(source, tmp_path / "taken.parquet", overwrite=True)
    assert pq.read_table(tmp_path / "taken.parquet").num_rows == 50
    with pytest.raises(UserError, match="engine"):
        project.score(source, tmp_path / "x.parquet", engine="spark")
    with pytest.raises(UserError, match="batch size"):
        project.score(source, tmp_path / "x.parquet", batch_size=0)
    # a file where a folder should be: the output cannot be written there
    with pytest.raises(DataError, match="cannot") as info:
        project.score(source, tmp_path / "in.parquet" / "scores.parquet")
    assert "disk space" in (info.value.fix or "")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "calibration",
    [None, {"method": "sigmoid", "a": 0.7, "b": -0.4}],
)
def test_fast_path_scores_like_predict_calibrated_or_not(
    trained: Path, calibration: dict[str, float] | None
) -> None:
    import dataclasses

    from prodml.batch import BatchScorer

    project = prodml.Project(trained)
    bundle = dataclasses.replace(project.load_model(), calibration=calibration)
    frame = scoring_frame(400)

    scorer = BatchScorer(bundle, version=1, id_column="customer_id")
    scores = scorer(frame, 0).to_pandas()

    assert scorer.fast  # the compiled encoder + booster, not the pipeline
    from prodml.data.validation import Validator

    repaired = Validator(bundle.contract, features=bundle.features)(frame).frame
    expected = pd.Series(bundle.predict(repaired), index=repaired.index)
    np.testing.assert_allclose(scores.probability[expected.index], expected, atol=1e-12)
