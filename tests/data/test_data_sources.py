from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from prodml.data import describe_source, load_source, mask_url
from prodml.errors import DataError
from prodml.spec import SqlSource


def test_csv_keeps_types_and_reads_empty_cells_as_missing(tmp_path: Path) -> None:
    (tmp_path / "loans.csv").write_text(
        "id,Home,Income,Records,when\n1,rent,129.5,yes,2024-01-02\n2,,,no,\n3,NA,80,yes,2024-02-03\n"
    )
    df = load_source("loans.csv", base_dir=tmp_path)
    assert df["id"].dtype == "int64"
    assert df["Income"].dtype == "float64"
    assert df["Home"].tolist()[0] == "rent"
    assert df["Home"].isna().tolist() == [False, True, False]
    assert df["Home"].iloc[2] == "NA", "a word is data, only an empty cell is missing"
    assert pd.api.types.is_datetime64_any_dtype(df["when"])
    assert df["when"].isna().tolist() == [False, True, False]


def test_relative_paths_are_read_from_the_project_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n1\n")
    assert load_source("data/x.csv", base_dir=tmp_path)["a"].tolist() == [1]
    assert load_source(str(tmp_path / "data" / "x.csv"), base_dir=Path("/")).shape == (1, 1)
    assert describe_source("data/x.csv", base_dir=tmp_path) == str(tmp_path / "data" / "x.csv")


def test_tsv_txt_and_compressed_csv(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("x\ty\n1\thello world\n")
    (tmp_path / "b.txt").write_text("x;y\n1;a, b\n2;c\n")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"x,y\n1,a\n"))
    assert load_source("a.tsv", base_dir=tmp_path)["y"].tolist() == ["hello world"]
    assert load_source("b.txt", base_dir=tmp_path)["y"].tolist() == ["a, b", "c"]
    assert load_source("c.csv.gz", base_dir=tmp_path).shape == (1, 2)


def test_parquet_file_and_folder(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1, 2, 3], "s": ["a", "b", None]})
    frame.to_parquet(tmp_path / "one.parquet")
    frame.set_index("x").to_parquet(tmp_path / "indexed.pq")
    (tmp_path / "parts").mkdir()
    frame.iloc[:2].to_parquet(tmp_path / "parts" / "p1.parquet")
    frame.iloc[2:].to_parquet(tmp_path / "parts" / "p2.parquet")

    assert load_source("one.parquet", base_dir=tmp_path)["s"].isna().sum() == 1
    indexed = load_source("indexed.pq", base_dir=tmp_path)
    assert list(indexed.columns) == ["x", "s"], "a named index is data"
    folder = load_source("parts", base_dir=tmp_path)
    assert sorted(folder["x"].tolist()) == [1, 2, 3]


def _error(source: str | SqlSource, base_dir: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_source(source, base_dir=base_dir)
    error = info.value
    assert error.where and error.fix, "every data error names the culprit and the fix"
    return error


def test_missing_file(tmp_path: Path) -> None:
    error = _error("nope.csv", tmp_path)
    assert error.where == str(tmp_path / "nope.csv")
    assert "not found" in error.message


def test_empty_and_header_only_csv(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("Status,Age\n")
    assert "no rows" in _error("empty.csv", tmp_path).message
    header_only = _error("header.csv", tmp_path)
    assert "has no rows" in header_only.message
    assert "Status" in header_only.message


def test_corrupt_parquet(tmp_path: Path) -> None:
    pd.DataFrame({"x": range(100)}).to_parquet(tmp_path / "good.parquet")
    data = (tmp_path / "good.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    error = _error("cut.parquet", tmp_path)
    assert error.where == str(tmp_path / "cut.parquet")
    assert "Parquet" in error.message


def test_unsupported_extension(tmp_path: Path) -> None:
    (tmp_path / "loans.xlsx").write_bytes(b"PK\x03\x04")
    error = _error("loans.xlsx", tmp_path)
    assert "'.xlsx'" in error.message
    assert ".csv" in (error.fix or "")


def test_ragged_csv_names_the_parse_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    assert "Expected 2 columns, got 3" in _error("bad.csv", tmp_path).message


def test_duplicate_and_blank_column_names(tmp_path: Path) -> None:
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n")
    (tmp_path / "index.csv").write_text(",a\n0,1\n")
    assert "'a' appears twice" in _error("dup.csv", tmp_path).message
    assert "index=False" in (_error("index.csv", tmp_path).fix or "")


def test_non_utf8_csv(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    assert "UTF-8" in (_error("latin.csv", tmp_path).fix or "")


def _sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("create table loans (id integer, home text, amount real, note text)")
        db.executemany(
            "insert into loans values (?, ?, ?, ?)",
            [(1, "rent", 800.0, "50% paid"), (2, None, None, "x:y"), (3, "owner", 1200.5, "")],
        )
    db.close()


def test_sql_source_reads_rows_from_sqlite(tmp_path: Path) -> None:
    _sqlite(tmp_path / "loans.db")
    source = SqlSource(
        url="sqlite:///loans.db",
        query="select * from loans where note like '%' or note = ':y' order by id",
    )
    df = load_source(source, base_dir=tmp_path)
    assert df["id"].tolist() == [1, 2, 3]
    assert df["home"].isna().tolist() == [False, True, False]
    assert df["amount"].dtype == "float64"
    assert "loans.db" in describe_source(source, base_dir=tmp_path)


def test_sql_errors(tmp_path: Path) -> None:
    _sqlite(tmp_path / "loans.db")
    url = f"sqlite:///{tmp_path / 'loans.db'}"
    bad_query = _error(SqlSource(url=url, query="select * from missing_table"), tmp_path)
    assert "missing_table" in bad_query.message
    assert isinstance(bad_query.__cause__, Exception)
    no_rows = _error(SqlSource(url=url, query="select * from loans where id > 99"), tmp_path)
    assert "has no rows" in no_rows.message
    assert (
        "driver"
        in _error(SqlSource(url="nosuch+driver://h/db", query="select 1"), tmp_path).message
    )


def test_unreachable_database_masks_the_password(tmp_path: Path) -> None:
    source = SqlSource(url="postgresql+psycopg://me:s3cret@127.0.0.1:1/x", query="select 1")
    error = _error(source, tmp_path)
    assert "cannot connect" in error.message
    assert error.where == "postgresql+psycopg://me:***@127.0.0.1:1/x"
    assert "s3cret" not in str(error)
    assert error.__cause__ is not None
    assert "s3cret" not in describe_source(source, base_dir=tmp_path)


def test_mask_url_handles_unparseable_urls() -> None:
    assert mask_url("weird thing://u:pw@host") == "weird thing://u:***@host"
