"""The exact training data, canonicalised and hashed: the lineage from a model to its data.

Two readings of the same table must give the same hash, or lineage and ``prodml reproduce`` would
report a data change that did not happen: a CSV and a Parquet export of one table, rows in another
order, columns in another order, ``int32`` instead of ``int64``. So the table is first put in a
canonical form (:func:`canonicalize`) and the hash is taken over a byte encoding of that form
defined here (:func:`content_hash`), never over file bytes, which change with writer versions and
compression settings.

The canonical table is also what training reads (:func:`frame_from_snapshot`): with rows and
columns in a fixed order, the same data trains the same model whatever the order of the source.

The hash itself no longer needs the sorted table: scheme ``prodml.snapshot/2``
(:mod:`prodml.data.snapshot_hash`) is an order-independent sum of per-row hashes, computed batch
by batch, so :func:`prodml.data.hash_source` hashes a multi-gigabyte file in bounded memory and
gets the same hash as :func:`take_snapshot` on the same data loaded whole. Snapshots stored under
the first scheme (``prodml.snapshot/1``, a sha256 over the sorted table) still verify: the
Parquet file records which scheme hashed it.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from prodml.data.snapshot_hash import HASH_BATCH_ROWS, SCHEME, SnapshotHasher
from prodml.errors import DataError, IntegrityError

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = [
    "HASH_BATCH_ROWS",
    "SCHEME",
    "Snapshot",
    "canonical_batch",
    "canonicalize",
    "content_hash",
    "frame_from_snapshot",
    "read_snapshot_parquet",
    "snapshot_to_parquet_bytes",
    "take_snapshot",
]

_ENCODING = b"prodml.snapshot/1\n"
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_META_HASH = b"prodml.snapshot.hash"
_META_SCHEME = b"prodml.snapshot.scheme"
_V1_BATCH_ROWS = 65_536
_EXACT_FLOAT_INT = 2**53
_CANONICAL_NAMES: dict[pa.DataType, str] = {
    pa.int64(): "int64",
    pa.float64(): "float64",
    pa.string(): "string",
    pa.binary(): "binary",
    pa.bool_(): "bool",
    _TIMESTAMP: "timestamp[us, UTC]",
    pa.duration("us"): "duration[us]",
    pa.time64("us"): "time64[us]",
    pa.null(): "null",
}


@dataclass(frozen=True)
class Snapshot:
    """A canonical table and its content hash; ``columns`` maps each name to its type name."""

    hash: str
    table: pa.Table = field(repr=False)
    rows: int
    columns: dict[str, str]


def take_snapshot(df: pd.DataFrame) -> Snapshot:
    """Canonicalise and hash the frame that training is about to use."""
    return _snapshot(canonicalize(df))


def canonicalize(df: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table in the one form that equal data always takes.

    * columns sorted by name; the pandas index is dropped (it is position, not data);
    * every integer type -> ``int64``, except that an integer column with missing values is
      ``float64`` (as pandas holds it and a CSV reads it) while its values stay below 2**53,
      where floats are still exact; every float type and decimals -> ``float64`` with NaN as
      missing and ``-0.0`` as ``0.0``; strings and categoricals -> ``string``; booleans ->
      ``bool``; dates and timestamps -> ``timestamp[us, UTC]`` (naive values are taken to be UTC,
      finer than a microsecond is truncated); durations -> ``duration[us]``;
    * object columns of mixed Python types become ``string`` (``str`` of each value);
    * rows sorted by every column in name order, ascending, missing last; the sort is stable and
      equal rows are interchangeable, so the input order cannot leak through.
    """
    names = [str(name) for name in df.columns]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise DataError(
            f"column {duplicate!r} appears twice",
            where=f"column {duplicate!r}",
            fix="rename one of the columns so every name is distinct",
        )
    order = sorted(range(len(names)), key=lambda i: names[i])
    arrays = [_canonical_array(df.iloc[:, i], names[i]) for i in order]
    table = pa.Table.from_arrays(arrays, names=[names[i] for i in order])
    keys = [(f.name, "ascending") for f in table.schema if not pa.types.is_null(f.type)]
    if keys and table.num_rows > 1:
        indices = pc.sort_indices(table, sort_keys=keys)  # missing values sort last
        table = table.take(indices)
    return table.combine_chunks()


def content_hash(table: pa.Table) -> str:
    """The ``prodml.snapshot/2`` hash of a canonical table (see :mod:`prodml.data.snapshot_hash`).

    Row order and chunking do not change it; the table is fed to the hasher in slices of
    :data:`HASH_BATCH_ROWS` rows. Raises ValueError for a table that is not canonical.
    """
    for f in table.schema:
        _type_name(f.type, f.name)
    hasher = SnapshotHasher()
    if table.num_columns == 0 or table.num_rows == 0:
        hasher.update(table.slice(0, 0))
    for offset in range(0, table.num_rows, HASH_BATCH_ROWS):
        hasher.update(table.slice(offset, HASH_BATCH_ROWS))
    return hasher.hexdigest()


def canonical_batch(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """One batch of a source in canonical types (rows not sorted), ready for the hasher.

    Columns are made canonical one by one as :func:`canonicalize` does; an integer column's type
    name is settled by the hasher over all batches, since only the whole column says whether it
    has missing values.
    """
    names = [str(name) for name in batch.schema.names]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise DataError(
            f"column {duplicate!r} appears twice",
            where=f"column {duplicate!r}",
            fix="rename one of the columns so every name is distinct",
        )
    arrays = []
    for name, column in zip(names, batch.columns, strict=True):
        array = _one_array(column) if isinstance(column, pa.ChunkedArray) else column
        if pa.types.is_integer(array.type):
            arrays.append(_cast(array, pa.int64(), name))  # int or float: the hasher decides
        else:
            arrays.append(_canonical_type(array, name))
    return pa.Table.from_arrays(arrays, names=names)


def _content_hash_v1(table: pa.Table) -> str:
    """The first scheme, kept to verify snapshots stored before ``prodml.snapshot/2``.

    SHA-256 over the *sorted* canonical table: the tag ``prodml.snapshot/1\\n``; a header (its
    length as 8-byte little-endian, then compact UTF-8 JSON ``{"columns":[[name,type],...],
    "rows":N}``); then per slice of 65,536 rows and per column, validity (byte ``0`` when no value
    is missing, else ``1`` and the packed bits) and the values with missing slots zeroed.
    """
    digest = hashlib.sha256(_ENCODING)
    type_names = [_type_name(f.type, f.name) for f in table.schema]
    header = json.dumps(
        {
            "columns": [[f.name, t] for f, t in zip(table.schema, type_names, strict=True)],
            "rows": table.num_rows,
        },
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")
    digest.update(len(header).to_bytes(8, "little"))
    digest.update(header)
    for offset in range(0, table.num_rows, _V1_BATCH_ROWS):
        piece = table.slice(offset, _V1_BATCH_ROWS)
        for column in piece.columns:
            _hash_array(digest, _one_array(column))
    return digest.hexdigest()


def snapshot_to_parquet_bytes(snapshot: Snapshot) -> bytes:
    """The snapshot as a Parquet file (zstd) that carries its own hash for verification."""
    import pyarrow.parquet as pq

    table = snapshot.table.replace_schema_metadata(
        {_META_HASH: snapshot.hash.encode("ascii"), _META_SCHEME: SCHEME.encode("ascii")}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def read_snapshot_parquet(data: bytes, *, expected_hash: str | None = None) -> Snapshot:
    """Load a stored snapshot, re-hash it, and refuse it unless the hash matches.

    The hash recorded in the file must match its content, and so must ``expected_hash`` (the
    content address the store filed it under) when given: a truncated or edited snapshot would
    otherwise train a model whose lineage lies.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise IntegrityError(
            f"stored snapshot is not readable Parquet ({exc})",
            where="dataset snapshot",
            fix="the artifact is damaged; run prodml train again to re-snapshot the data",
        ) from exc
    metadata = table.schema.metadata or {}
    recorded = metadata.get(_META_HASH, b"").decode("ascii", "replace")
    scheme = metadata.get(_META_SCHEME, _ENCODING.strip()).decode("ascii", "replace")
    table = table.replace_schema_metadata(None)
    try:
        snapshot = _snapshot(table, v1=scheme != SCHEME)
    except ValueError as exc:
        raise IntegrityError(
            f"stored snapshot has non-canonical columns ({exc})",
            where="dataset snapshot",
            fix="the artifact is damaged; run prodml train again to re-snapshot the data",
        ) from exc
    for label, wanted in (("recorded in the file", recorded), ("expected", expected_hash)):
        if wanted is not None and wanted != snapshot.hash:
            raise IntegrityError(
                f"snapshot content hash {snapshot.hash} does not match the hash {label} "
                f"({wanted or 'none'})",
                where="dataset snapshot",
                fix="the artifact was altered or truncated; restore the store from a backup or "
                "run prodml train again",
            )
    return snapshot


def frame_from_snapshot(snapshot: Snapshot) -> pd.DataFrame:
    """The canonical table as the frame training reads: sorted columns and rows, UTC times."""
    return snapshot.table.to_pandas()


def _snapshot(table: pa.Table, *, v1: bool = False) -> Snapshot:
    return Snapshot(
        hash=_content_hash_v1(table) if v1 else content_hash(table),
        table=table,
        rows=table.num_rows,
        columns={f.name: _type_name(f.type, f.name) for f in table.schema},
    )


def _canonical_array(series: pd.Series, name: str) -> pa.Array:
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # mixed Python objects (e.g. 1 and "a"): their text is the only common type
        array = pa.array(series.astype("str"), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = _one_array(array)
    return _canonical_type(array, name)


def _canonical_type(array: pa.Array, name: str) -> pa.Array:
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _canonical_type(array.dictionary_decode().cast(pa.string()), name)
    if pa.types.is_boolean(kind) or pa.types.is_null(kind):
        return array
    if pa.types.is_integer(kind):
        integers = _cast(array, pa.int64(), name)
        if integers.null_count and _fits_float(integers):
            # pandas holds whole numbers with gaps as float64 (and reads a CSV so), nullable
            # Int64 keeps them integer: one canonical form makes both the same data
            return _canonical_type(pc.cast(integers, pa.float64()), name)
        return integers
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        floats = _cast(array, pa.float64(), name)
        # NaN is missing in pandas; -0.0 == 0.0 but has other bytes
        floats = pc.if_else(pc.is_nan(floats), pa.scalar(None, pa.float64()), floats)
        return pc.add(floats, pa.scalar(0.0))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return _cast(array, pa.string(), name)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return _cast(array, pa.binary(), name)
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            array = pc.cast(array, pa.timestamp("us"), safe=False)
            return pc.cast(array, _TIMESTAMP)
        return pc.cast(array, _TIMESTAMP, safe=False)
    if pa.types.is_date(kind):
        return pc.cast(pc.cast(array, pa.timestamp("us")), _TIMESTAMP)
    if pa.types.is_duration(kind):
        return pc.cast(array, pa.duration("us"), safe=False)
    if pa.types.is_time(kind):
        return pc.cast(array, pa.time64("us"), safe=False)
    raise DataError(
        f"values of type {kind} cannot be snapshotted",
        where=f"column {name!r}",
        fix="flatten nested values (lists, structs, maps) into plain columns before training",
    )


def _fits_float(integers: pa.Array) -> bool:
    bounds = pc.min_max(integers)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return low is None or (abs(low) <= _EXACT_FLOAT_INT and abs(high) <= _EXACT_FLOAT_INT)


def _cast(array: pa.Array, target: pa.DataType, name: str) -> pa.Array:
    try:
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(
            f"values do not fit {target}: {exc}",
            where=f"column {name!r}",
            fix="store the column as text if these are codes, or rescale the numbers",
        ) from exc


def _type_name(kind: pa.DataType, name: str) -> str:
    try:
        return _CANONICAL_NAMES[kind]
    except KeyError:
        raise ValueError(
            f"column {name!r} has non-canonical type {kind}; hash canonicalize(df) instead"
        ) from None


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 1:
        return column.chunk(0)
    if column.num_chunks == 0:
        return pa.array([], type=column.type)
    return pa.concat_arrays(column.chunks)


def _hash_array(digest: _Hash, array: pa.Array) -> None:
    kind = array.type
    if array.null_count == 0:
        digest.update(b"\x00")
    else:
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        digest.update(b"\x01")
        digest.update(np.packbits(valid, bitorder="little").tobytes())
    if pa.types.is_null(kind):
        return
    if pa.types.is_boolean(kind):
        values = array.fill_null(False).to_numpy(zero_copy_only=False)
        digest.update(values.astype(np.uint8).tobytes())
    elif pa.types.is_floating(kind):
        floats = array.fill_null(0.0).to_numpy(zero_copy_only=False).astype("<f8")
        floats[np.isnan(floats)] = np.nan
        digest.update(floats.tobytes())
    elif pa.types.is_string(kind) or pa.types.is_binary(kind):
        _hash_strings(digest, array.fill_null(pa.scalar(b"" if pa.types.is_binary(kind) else "")))
    else:
        integers = pc.cast(array, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        digest.update(integers.astype("<i8").tobytes())


def _hash_strings(digest: _Hash, array: pa.Array) -> None:
    offsets_buffer, data_buffer = array.buffers()[1], array.buffers()[2]
    count = len(array)
    if offsets_buffer is None or count == 0:
        digest.update(np.zeros(count, dtype="<i8").tobytes())
        return
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[array.offset : array.offset + count + 1]
    digest.update(np.diff(offsets).astype("<i8").tobytes())
    if data_buffer is not None and offsets[-1] > offsets[0]:
        digest.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
