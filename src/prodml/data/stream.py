"""Read a file source batch by batch, and hash it without holding it in memory.

:func:`hash_source` answers "is this file the data a model was trained on?" for files of any
size: it streams record batches (CSV with the same parser settings as
:func:`~prodml.data.load_source`, Parquet files and folders as stored), makes each batch
canonical and feeds it to the ``prodml.snapshot/2`` hasher. The hash equals the one
:func:`~prodml.data.take_snapshot` gives the same data loaded whole, so it can be looked up in
``prodml data list``. A SQL source is read whole (drivers return one result set) and hashed the
same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from prodml.data.snapshot import HASH_BATCH_ROWS, canonical_batch, take_snapshot
from prodml.data.snapshot_hash import SnapshotHasher
from prodml.data.sources import load_source
from prodml.errors import DataError
from prodml.spec import SqlSource

__all__ = ["SourceDigest", "hash_source", "iter_source_batches"]

_PANDAS_INDEX = re.compile(r"__index_level_\d+__")
_COMPRESSED = {".gz", ".bz2", ".zst", ".lz4", ".br"}


@dataclass(frozen=True)
class SourceDigest:
    """The snapshot hash of a source, its row count and canonical column types."""

    hash: str
    rows: int
    columns: dict[str, str]


def hash_source(
    source: str | SqlSource, *, base_dir: Path, batch_rows: int = HASH_BATCH_ROWS
) -> SourceDigest:
    """The snapshot hash of a CSV/Parquet file or folder, streamed; of a SQL result, whole."""
    if isinstance(source, SqlSource):
        snapshot = take_snapshot(load_source(source, base_dir=base_dir))
        return SourceDigest(snapshot.hash, snapshot.rows, dict(snapshot.columns))
    hasher = SnapshotHasher()
    seen = False
    for batch in iter_source_batches(source, base_dir=base_dir, batch_rows=batch_rows):
        seen = True
        hasher.update(canonical_batch(batch))
    if not seen or hasher.rows == 0:
        raise DataError(
            "has no rows",
            where=str(_path(source, base_dir)),
            fix="point at a file that holds data rows",
        )
    return SourceDigest(hasher.hexdigest(), hasher.rows, hasher.column_types())


def iter_source_batches(
    source: str, *, base_dir: Path, batch_rows: int = HASH_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Record batches of a CSV/TSV or Parquet file or folder, never the whole file at once.

    Errors are the same :class:`~prodml.errors.DataError` that :func:`load_source` raises; a
    file that is not CSV or Parquet is refused before reading.
    """
    path = _path(source, base_dir)
    if not path.exists():
        raise DataError("data file not found", where=str(path), fix="check the path")
    if path.is_dir():
        yield from _parquet_dir_batches(path, batch_rows)
        return
    suffixes = [s.lower() for s in path.suffixes] or [""]
    compressed = len(suffixes) >= 2 and suffixes[-1] in _COMPRESSED
    extension = suffixes[-2] if compressed else suffixes[-1]
    if extension in {".parquet", ".pq"}:
        yield from _parquet_file_batches(path, batch_rows)
    elif extension in {".csv", ".tsv"}:
        yield from _csv_batches(path, "," if extension == ".csv" else "\t")
    else:
        # .txt (sniffed delimiter) and anything else: read whole, as training would
        frame = load_source(source, base_dir=base_dir)
        yield from pa.Table.from_pandas(frame, preserve_index=False).to_batches(batch_rows)


def _path(source: str, base_dir: Path) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


def _without_pandas_index(batch: pa.RecordBatch) -> pa.RecordBatch:
    drop = [i for i, name in enumerate(batch.schema.names) if _PANDAS_INDEX.fullmatch(name)]
    for i in reversed(drop):
        batch = batch.remove_column(i)
    return batch


def _parquet_file_batches(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(batch_size=batch_rows):
            yield _without_pandas_index(batch)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"not a readable Parquet file ({exc})",
            where=str(path),
            fix="the file is corrupt or truncated, or not Parquet: write it again",
        ) from exc


def _parquet_dir_batches(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.dataset as pads

    try:
        dataset = pads.dataset(path, format="parquet", partitioning="hive")
        for batch in dataset.to_batches(batch_size=batch_rows):
            yield _without_pandas_index(batch)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"cannot read the folder as one Parquet dataset ({exc})",
            where=str(path),
            fix="keep only Parquet files with the same columns in the folder",
        ) from exc


def _csv_batches(path: Path, delimiter: str) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )
        yield from reader
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"cannot parse the file: {str(exc).splitlines()[0]}",
            where=str(path),
            fix="check that every row has as many fields as the header and that each column "
            "holds one type throughout (a column read as numbers must not hold words later)",
        ) from exc
