from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prodml.data import (
    HASH_BATCH_ROWS,
    SnapshotHasher,
    canonical_batch,
    canonicalize,
    content_hash,
    frame_from_snapshot,
    hash_source,
    iter_source_batches,
    load_source,
    read_snapshot_parquet,
    snapshot_to_parquet_bytes,
    take_snapshot,
)
from prodml.errors import IntegrityError


@pytest.fixture
def table_with_gaps(credit_like: pd.DataFrame) -> pd.DataFrame:
    frame = credit_like.copy()
    frame.loc[[1, 4], "Income"] = np.nan
    frame.loc[2, "Home"] = None
    return frame


def test_csv_and_parquet_of_the_same_table_hash_the_same(
    table_with_gaps: pd.DataFrame, tmp_path: Path
) -> None:
    frame = table_with_gaps.assign(Children=pd.array([1, None, 2] * 20, dtype="Int64"))
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    from_csv = take_snapshot(load_source("t.csv", base_dir=tmp_path))
    from_parquet = take_snapshot(load_source("t.parquet", base_dir=tmp_path))
    assert from_csv.hash == from_parquet.hash == take_snapshot(frame).hash
    assert from_csv.columns == from_parquet.columns


def test_row_order_column_order_and_int_width_do_not_matter(
    table_with_gaps: pd.DataFrame,
) -> None:
    reference = take_snapshot(table_with_gaps).hash
    shuffled = table_with_gaps.sample(frac=1.0, random_state=7)
    reordered = shuffled[list(reversed(shuffled.columns))]
    narrow = reordered.astype({"Age": "int32"})
    assert take_snapshot(shuffled).hash == reference
    assert take_snapshot(reordered).hash == reference
    assert take_snapshot(narrow).hash == reference


def test_any_change_changes_the_hash(table_with_gaps: pd.DataFrame) -> None:
    reference = take_snapshot(table_with_gaps).hash
    one_value = table_with_gaps.copy()
    one_value["Age"] = one_value["Age"].where(one_value.index != 10, 200)
    renamed = table_with_gaps.rename(columns={"Age": "age"})
    fewer = table_with_gaps.iloc[1:]
    filled = table_with_gaps.fillna({"Income": 0.0})
    as_text = table_with_gaps.astype({"Age": "str"})
    hashes = {reference} | {
        take_snapshot(frame).hash for frame in (one_value, renamed, fewer, filled, as_text)
    }
    assert len(hashes) == 6


def test_canonical_types_and_order() -> None:
    frame = pd.DataFrame(
        {
            "s": pd.Categorical(["b", "a", None]),
            "f": np.array([1.5, -0.0, np.nan], dtype="float32"),
            "i": np.array([3, 1, 2], dtype="uint8"),
            "t": pd.Series(["2024-01-01 10:00", "2024-01-02", None], dtype="str").pipe(
                pd.to_datetime, format="ISO8601"
            ),
            "z": pd.to_datetime(["2024-01-01 11:00"] * 3).tz_localize("Europe/Paris"),
            "b": [True, False, None],
        },
        index=[10, 20, 30],
    )
    table = canonicalize(frame)
    assert table.column_names == ["b", "f", "i", "s", "t", "z"]
    assert table.schema.metadata is None, "no pandas index or metadata"
    assert [str(t) for t in table.schema.types] == [
        "bool",
        "double",
        "int64",
        "string",
        "timestamp[us, tz=UTC]",
        "timestamp[us, tz=UTC]",
    ]
    assert table.column("b").to_pylist() == [False, True, None], "sorted, missing last"
    assert table.column("f").to_pylist()[0] == 0.0
    assert str(table.column("f").to_pylist()[0]) == "0.0", "-0.0 is 0.0"
    assert table.column("z").to_pylist()[0].hour == 10, "converted to UTC"


def test_naive_times_are_utc() -> None:
    naive = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 10:00"])})
    aware = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 10:00"]).tz_localize("UTC")})
    assert take_snapshot(naive).hash == take_snapshot(aware).hash


def test_hash_ignores_chunking_and_covers_many_batches() -> None:
    rows = HASH_BATCH_ROWS + 10
    frame = pd.DataFrame(
        {"x": np.arange(rows), "s": pd.Series(["a", None, "b"] * (rows // 3) + ["c"] * (rows % 3))}
    )
    table = canonicalize(frame)
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=1000))
    assert content_hash(rechunked) == content_hash(table)
    changed = frame.copy()
    changed.loc[rows - 1, "x"] = -1
    assert take_snapshot(changed).hash != content_hash(table)


def test_content_hash_refuses_non_canonical_tables() -> None:
    with pytest.raises(ValueError, match="canonicalize"):
        content_hash(pa.table({"x": pa.array([1], type=pa.int32())}))


def test_parquet_round_trip_verifies_the_hash(table_with_gaps: pd.DataFrame) -> None:
    snapshot = take_snapshot(table_with_gaps)
    data = snapshot_to_parquet_bytes(snapshot)
    again = read_snapshot_parquet(data, expected_hash=snapshot.hash)
    assert again.hash == snapshot.hash
    assert again.table.equals(snapshot.table)
    assert again.rows == len(table_with_gaps)
    assert again.columns == snapshot.columns

    with pytest.raises(IntegrityError):
        read_snapshot_parquet(data, expected_hash="0" * 64)
    with pytest.raises(IntegrityError):
        read_snapshot_parquet(data[: len(data) // 2])


def test_tampered_snapshot_is_refused(table_with_gaps: pd.DataFrame) -> None:
    snapshot = take_snapshot(table_with_gaps)
    tampered_table = snapshot.table.set_column(
        snapshot.table.column_names.index("Age"),
        "Age",
        pa.array(np.zeros(snapshot.rows, dtype=np.int64)),
    )
    forged = type(snapshot)(snapshot.hash, tampered_table, snapshot.rows, snapshot.columns)
    with pytest.raises(IntegrityError, match="does not match"):
        read_snapshot_parquet(snapshot_to_parquet_bytes(forged))


def test_training_frame_is_the_same_whatever_the_source_order(
    table_with_gaps: pd.DataFrame,
) -> None:
    a = frame_from_snapshot(take_snapshot(table_with_gaps))
    b = frame_from_snapshot(take_snapshot(table_with_gaps.sample(frac=1.0, random_state=3)))
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == sorted(table_with_gaps.columns)
    assert a["Income"].isna().sum() == 2
    assert str(a["applied_on"].dt.tz) == "UTC"


# -- streaming hash (scheme prodml.snapshot/2) ------------------------------------------------


@pytest.fixture
def files(table_with_gaps: pd.DataFrame, tmp_path: Path) -> Path:
    frame = table_with_gaps.assign(Children=pd.array([1, None, 2] * 20, dtype="Int64"))
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    frame.sample(frac=1.0, random_state=5).to_parquet(tmp_path / "shuffled.parquet")
    (tmp_path / "folder").mkdir()
    frame.iloc[:25].to_parquet(tmp_path / "folder" / "part-0.parquet")
    frame.iloc[25:].to_parquet(tmp_path / "folder" / "part-1.parquet")
    return tmp_path


@pytest.mark.parametrize("name", ["t.csv", "t.parquet", "shuffled.parquet", "folder"])
@pytest.mark.parametrize("batch_rows", [7, 65_536])
def test_a_streamed_file_hashes_as_its_snapshot(files: Path, name: str, batch_rows: int) -> None:
    expected = take_snapshot(load_source("t.parquet", base_dir=files))
    digest = hash_source(name, base_dir=files, batch_rows=batch_rows)
    assert digest.hash == expected.hash
    assert digest.rows == expected.rows
    assert digest.columns == expected.columns


def test_streaming_reads_batches_not_the_whole_file(files: Path) -> None:
    batches = list(iter_source_batches("t.parquet", base_dir=files, batch_rows=7))
    assert len(batches) == 9 and max(b.num_rows for b in batches) == 7


def test_gaps_in_only_some_batches_do_not_change_the_type_or_hash() -> None:
    frame = pd.DataFrame({"n": pd.array([None, 1, 2, 3, 4, 5], dtype="Int64")})
    whole = take_snapshot(frame)
    assert whole.columns == {"n": "float64"}, "integers with gaps are held as floats"
    hasher = SnapshotHasher()
    for batch in pa.Table.from_pandas(frame, preserve_index=False).to_batches(max_chunksize=2):
        hasher.update(canonical_batch(batch))
    assert hasher.hexdigest() == whole.hash
    assert hasher.column_types() == whole.columns


def test_values_stay_tied_to_their_rows() -> None:
    a = pd.DataFrame({"x": [1, 2], "s": ["a", "b"]})
    b = pd.DataFrame({"x": [1, 2], "s": ["b", "a"]})
    assert take_snapshot(a).hash != take_snapshot(b).hash
    duplicated = pd.concat([a, a.iloc[:1]])
    assert take_snapshot(duplicated).hash != take_snapshot(a).hash, "a repeated row counts"


def test_snapshots_stored_under_the_first_scheme_still_verify() -> None:
    # written by prodml before streaming hashes: no scheme in the file, sha256 of sorted rows
    legacy = pd.DataFrame({"x": [3, 1, 2], "s": ["b", None, "a"], "f": [0.5, np.nan, -1.0]})
    table = canonicalize(legacy).replace_schema_metadata(
        {b"prodml.snapshot.hash": LEGACY_HASH.encode()}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    snapshot = read_snapshot_parquet(sink.getvalue(), expected_hash=LEGACY_HASH)
    assert snapshot.hash == LEGACY_HASH
    assert take_snapshot(legacy).hash != LEGACY_HASH, "new snapshots use the new scheme"


LEGACY_HASH = "0e8f2045f408698a9117207d6f34f351fc617a34cb7fc287262dc7ec3a16f642"
