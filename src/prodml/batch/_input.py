"""Batch inputs as a stream of record batches of exactly ``batch_size`` rows, in input order.

A CSV file (streamed by ``pyarrow.csv.open_csv``), a Parquet file
(``ParquetFile.iter_batches``), a folder of Parquet files (``pyarrow.dataset``, files in name
order) or a SQL query (SQLAlchemy with server-side cursors, ``pandas.read_sql_query`` in chunks).
Paths may be fsspec URLs (``s3://``, ``gs://``, ``memory://``...). Memory stays bounded by a few
batches whatever the input size.

Batches are re-cut to exactly ``batch_size`` rows (the last one may be shorter), so that part
``k`` of an interrupted run holds the same rows when the run is resumed.

CSV columns are all read as text: the validator parses numbers itself and rejects the rows whose
values are not numbers, where a typed CSV reader would stop the whole run at the first bad cell
of a later block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prodml.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

    from prodml.spec import SqlSource

__all__ = ["BatchInput", "filesystem", "open_input"]

_DELIMITED = {".csv": ",", ".tsv": "\t"}
_PARQUET = (".parquet", ".pq")


@dataclass
class BatchInput:
    """An opened input: its description, column names, row count if known, and batches."""

    where: str
    columns: list[str]
    total_rows: int | None
    fingerprint: dict[str, Any]
    _batches: Any = field(repr=False)
    schema: pa.Schema | None = field(default=None, repr=False)  # None: known per batch (SQL)

    def batches(self, batch_size: int) -> Iterator[Any]:
        """Arrow tables (or pandas frames, for SQL) of ``batch_size`` rows, in input order."""
        yield from self._batches(batch_size)


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The Arrow file system and path of a local path or an fsspec URL."""
    import pyarrow.fs as pafs

    if "://" not in location:
        from pathlib import Path

        return pafs.LocalFileSystem(), str(Path(location).expanduser().resolve())
    scheme = location.split("://", 1)[0]
    if scheme == "file":
        return pafs.LocalFileSystem(), location.split("://", 1)[1]
    try:
        import fsspec
    except ImportError as exc:
        raise DataError(
            f"reading {scheme}:// URLs needs fsspec",
            where=location,
            fix="pip install 'prodml[ray]' (or fsspec and the file system's package, e.g. s3fs)",
        ) from exc
    try:
        fs, path = fsspec.core.url_to_fs(location)
    except (ImportError, ValueError) as exc:
        raise DataError(
            f"no file system for {scheme}:// ({exc})",
            where=location,
            fix=f"install the fsspec package for {scheme} (e.g. s3fs, gcsfs, adlfs)",
        ) from exc
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def open_input(
    location: str, *, query: str | None = None, sql: SqlSource | None = None
) -> BatchInput:
    """Open a file, a folder of Parquet files, an fsspec URL or (with ``query``) a SQL URL."""
    if query is not None or sql is not None:
        from prodml.spec import SqlSource

        return _open_sql(sql or SqlSource(url=location, query=str(query)))
    import pyarrow.fs as pafs

    fs, path = filesystem(location)
    try:
        info = fs.get_file_info(path)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot reach the input ({exc})",
            where=location,
            fix="check the path or URL and your credentials for it",
        ) from exc
    if info.type == pafs.FileType.NotFound:
        raise DataError(
            "input not found", where=location, fix="check the path (relative to where you run)"
        )
    if info.type == pafs.FileType.Directory:
        return _open_parquet_dir(fs, path, location)
    name = path.lower()
    for extension, delimiter in _DELIMITED.items():
        if name.endswith(extension) or name.endswith(extension + ".gz"):
            return _open_csv(fs, path, location, delimiter, info.size)
    if name.endswith(_PARQUET):
        return _open_parquet_file(fs, path, location, info)
    raise DataError(
        "unsupported input type",
        where=location,
        fix="score a .csv, .tsv, .parquet file, a folder of Parquet files, or a SQL query "
        "(a SQLAlchemy URL with --query)",
    )


# -- Parquet ----------------------------------------------------------------------------------


def _open_parquet_file(fs: pafs.FileSystem, path: str, where: str, info: Any) -> BatchInput:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = fs.open_input_file(path)
        reader = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"not a readable Parquet file ({exc})",
            where=where,
            fix="the file is corrupt, truncated or not Parquet: write it again",
        ) from exc
    schema = reader.schema_arrow
    columns = [str(n) for n in schema.names]
    total = int(reader.metadata.num_rows)

    def batches(batch_size: int) -> Iterator[Any]:
        try:
            yield from _rechunk(
                (pa.Table.from_batches([b]) for b in reader.iter_batches(batch_size=batch_size)),
                batch_size,
            )
        except (pa.ArrowException, OSError) as exc:
            raise DataError(
                f"Parquet file unreadable part-way ({exc})",
                where=where,
                fix="the file is corrupt or truncated: write it again",
            ) from exc
        finally:
            handle.close()

    fingerprint = {"kind": "parquet", "path": where, "size": info.size, "mtime": _mtime(info)}
    return BatchInput(where, columns, total, fingerprint, batches, schema)


def _open_parquet_dir(fs: pafs.FileSystem, path: str, where: str) -> BatchInput:
    import pyarrow as pa

    from prodml.data.sources import parquet_dataset, parquet_dataset_error

    dataset = parquet_dataset(path, where=where, filesystem=fs, pointer="IN")
    files = list(dataset.files)
    try:
        total = int(dataset.count_rows())
    except (pa.ArrowException, OSError) as exc:
        raise parquet_dataset_error(exc, where) from exc
    infos = fs.get_file_info(files)

    def batches(batch_size: int) -> Iterator[Any]:
        try:
            scanner = dataset.scanner(batch_size=batch_size, use_threads=True)
            yield from _rechunk(
                (pa.Table.from_batches([b]) for b in scanner.to_batches()), batch_size
            )
        except (pa.ArrowException, OSError) as exc:
            raise parquet_dataset_error(exc, where) from exc

    fingerprint = {
        "kind": "parquet-dir",
        "path": where,
        "files": [[i.path, i.size, _mtime(i)] for i in infos],
    }
    names = [str(n) for n in dataset.schema.names]
    return BatchInput(where, names, total, fingerprint, batches, dataset.schema)


# -- CSV --------------------------------------------------------------------------------------


def _open_csv(
    fs: pafs.FileSystem, path: str, where: str, delimiter: str, size: int | None
) -> BatchInput:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from prodml.data.sources import csv_error

    def reader() -> Any:
        compression = "gzip" if path.lower().endswith(".gz") else None
        stream = fs.open_input_stream(path, compression=compression)
        try:
            header = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=1 << 20),
                parse_options=pacsv.ParseOptions(delimiter=delimiter),
            ).schema.names
        finally:
            stream.close()
        stream = fs.open_input_stream(path, compression=compression)
        return header, pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=4 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        columns, _ = reader()
    except (pa.ArrowException, OSError) as exc:
        raise csv_error(exc, where, delimiter) from exc

    def batches(batch_size: int) -> Iterator[Any]:
        _, stream = reader()
        try:
            yield from _rechunk((pa.Table.from_batches([b]) for b in stream), batch_size)
        except (pa.ArrowException, OSError) as exc:
            raise csv_error(exc, where, delimiter) from exc

    fingerprint = {"kind": "csv", "path": where, "size": size}
    schema = pa.schema([pa.field(str(c), pa.string()) for c in columns])
    return BatchInput(where, [str(c) for c in columns], None, fingerprint, batches, schema)


# -- SQL --------------------------------------------------------------------------------------


def _open_sql(source: SqlSource) -> BatchInput:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    from prodml.data.sources import mask_url

    where = mask_url(source.url)
    try:
        engine = create_engine(source.url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise DataError(
            f"not a usable database URL ({exc})",
            where=where,
            fix="give a SQLAlchemy URL, e.g. postgresql+psycopg://me@host/db or sqlite:///x.db",
        ) from exc
    try:
        with engine.connect() as connection:
            columns = list(connection.execute(text(source.query)).keys())
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DataError(
            f"the query failed: {str(exc).splitlines()[0]}",
            where=where,
            fix="run the query in a SQL client against the same database and correct it",
        ) from exc

    def batches(batch_size: int) -> Iterator[Any]:
        import pandas as pd

        try:
            with engine.connect() as connection:
                raw = connection.execution_options(stream_results=True, no_parameters=True)
                yield from pd.read_sql_query(source.query, raw, chunksize=batch_size)
        except SQLAlchemyError as exc:
            raise DataError(
                f"the query failed part-way: {str(exc).splitlines()[0]}",
                where=where,
                fix="check the database is reachable and rerun: completed parts are kept",
            ) from exc
        finally:
            engine.dispose()

    fingerprint = {"kind": "sql", "url": where, "query": source.query}
    return BatchInput(where, [str(c) for c in columns], None, fingerprint, batches)


# -- helpers ----------------------------------------------------------------------------------


def _rechunk(tables: Iterator[pa.Table], size: int) -> Iterator[pa.Table]:
    """Exactly ``size`` rows per table (the last may be shorter), whatever the reader yields."""
    import pyarrow as pa

    pending: list[pa.Table] = []
    count = 0
    for table in tables:
        if table.num_rows == 0:
            continue
        pending.append(table)
        count += table.num_rows
        while count >= size:
            joined = pa.concat_tables(pending) if len(pending) > 1 else pending[0]
            yield joined.slice(0, size).combine_chunks()
            rest = joined.slice(size)
            pending = [rest] if rest.num_rows else []
            count = rest.num_rows
    if count:
        joined = pa.concat_tables(pending) if len(pending) > 1 else pending[0]
        yield joined.combine_chunks()


def _mtime(info: Any) -> float | None:
    mtime = getattr(info, "mtime", None)
    return mtime.timestamp() if mtime is not None else None
