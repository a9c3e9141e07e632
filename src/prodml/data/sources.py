"""Read the project's data source into a DataFrame, or say exactly why it cannot be read.

Every later layer (kinds, contract, snapshot, training) starts from the frame this module returns,
so it is where third-party reader errors become :class:`~prodml.errors.DataError` with the file
or (password-masked) URL at fault and a concrete fix.

Decisions a user may notice:

* CSV is parsed by ``pyarrow.csv``: it infers integers, floats, booleans (``true``/``false``),
  ISO dates and timestamps over the whole file, and is multithreaded. Only an empty cell is
  missing: a word such as ``n/a`` or ``NA`` stays text, because guessing that a word means
  "missing" silently changes data; a numeric column holding such words is reported later by
  :func:`prodml.data.kinds.check_numeric_columns` with the rows to fix.
* ``.csv``, ``.tsv`` and ``.txt`` may be compressed (``.csv.gz``, ``.tsv.zst``, ...); ``.txt`` has
  its delimiter sniffed among ``, \\t ; |``.
* A Parquet file keeps its types; a pandas index stored in it becomes a column when named and is
  dropped when it is the default row number. A directory is read as one Parquet dataset
  (hive-style ``key=value`` folders become columns).
* SQL runs through SQLAlchemy; the query is sent verbatim (percent signs and colons included).
* Column names must be non-empty and distinct, and the table must have at least one row.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from prodml.errors import DataError
from prodml.spec import SqlSource

if TYPE_CHECKING:
    import pyarrow.dataset as pads
    from sqlalchemy.engine import URL

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "csv_error",
    "describe_source",
    "load_source",
    "mask_url",
    "parquet_dataset",
    "parquet_dataset_error",
]

_DELIMITED = {".csv": ",", ".tsv": "\t", ".txt": None}
_PARQUET = {".parquet", ".pq"}
_COMPRESSED = {".gz", ".bz2", ".zst", ".lz4", ".br"}
SUPPORTED_EXTENSIONS = (*_DELIMITED, *sorted(_PARQUET))
_CONNECT_TIMEOUT_S = 5
_PASSWORD_IN_URL = re.compile(r"(?P<head>://[^:/@\s]*):[^@/\s]*@")


def load_source(source: str | SqlSource, *, base_dir: Path) -> pd.DataFrame:
    """Read the whole source into memory, with clean column names and at least one row.

    ``base_dir`` is the project folder: a relative path in ``prodml.yaml`` means the same file
    whichever directory the command runs from.
    """
    if isinstance(source, SqlSource):
        return _check_frame(_load_sql(source, base_dir), where=_sql_where(source, base_dir))
    path = _resolve(source, base_dir)
    where = str(path)
    if not path.exists():
        relative = (
            ""
            if Path(source).expanduser().is_absolute()
            else (f"; relative paths are read from the project folder {base_dir.resolve()}")
        )
        raise DataError(
            "data file not found", where=where, fix=f"check data.source in prodml.yaml{relative}"
        )
    if path.is_dir():
        return _check_frame(_load_parquet_dir(path), where=where)
    extension = _extension(path)
    if extension in _DELIMITED:
        return _check_frame(_load_delimited(path, _DELIMITED[extension]), where=where)
    if extension in _PARQUET:
        return _check_frame(_load_parquet_file(path), where=where)
    raise DataError(
        f"unsupported file type {extension or '(no extension)'!r}",
        where=where,
        fix=f"save the data as one of {', '.join(SUPPORTED_EXTENSIONS)} (or a folder of Parquet "
        "files), or read it from a database with data.source.url and data.source.query",
    )


def describe_source(source: str | SqlSource, *, base_dir: Path) -> str:
    """Where the data came from, for lineage: never contains a password."""
    if isinstance(source, SqlSource):
        return f"{_sql_where(source, base_dir)} query: {' '.join(source.query.split())}"
    return str(_resolve(source, base_dir))


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, safe for logs, errors and lineage."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\g<head>:***@", url)


def _resolve(source: str, base_dir: Path) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


def _extension(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSED:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def _load_delimited(path: Path, delimiter: str | None) -> pd.DataFrame:
    import pyarrow.csv as pacsv

    where = str(path)
    if delimiter is None:
        delimiter = _sniff_delimiter(path)
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise csv_error(exc, where, delimiter) from exc
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type)]
    if binary:
        raise DataError(
            f"column {binary[0]!r} is not valid UTF-8 text",
            where=where,
            fix="save the file with UTF-8 encoding (e.g. in Excel: CSV UTF-8)",
        )
    _check_names(table.column_names, where)
    return table.to_pandas(date_as_object=False)


def _sniff_delimiter(path: Path) -> str:
    try:
        with pa.input_stream(str(path)) as stream:
            sample = stream.read(64 * 1024).decode("utf-8", errors="replace")
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"cannot read the file: {exc}",
            where=str(path),
            fix="check that the file is readable and not truncated",
        ) from exc
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _load_parquet_file(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"not a readable Parquet file ({exc})",
            where=str(path),
            fix="the file is corrupt or truncated, or not Parquet: write it again "
            "(pandas: df.to_parquet(path)) or rename it to its real extension",
        ) from exc
    return _parquet_frame(table, str(path))


def _load_parquet_dir(path: Path) -> pd.DataFrame:
    where = str(path)
    dataset = parquet_dataset(str(path), where=where)
    try:
        table = dataset.to_table()
    except (pa.ArrowException, OSError) as exc:
        raise parquet_dataset_error(exc, where) from exc
    return _parquet_frame(table, where)


def csv_error(exc: Exception, where: str, delimiter: str) -> DataError:
    """The DataError for a CSV that Arrow cannot open or parse (an empty file, a bad row, an
    unreadable stream); shared by training reads and batch scoring's streamed reads."""
    text = str(exc)
    if isinstance(exc, pa.ArrowInvalid) and "Empty CSV file" in text:
        return DataError(
            "the file is empty: it has no rows",
            where=where,
            fix="export the data again; the first line must name the columns",
        )
    if isinstance(exc, pa.ArrowInvalid):
        return DataError(
            f"cannot parse the file: {text.splitlines()[0]}",
            where=where,
            fix="check that every row has as many fields as the header, that quotes are "
            f"closed and that the delimiter is {delimiter!r}",
        )
    return DataError(
        f"cannot read the file: {exc}",
        where=where,
        fix="check that the file is readable and not truncated or still being written",
    )


def parquet_dataset(
    path: str, *, where: str, filesystem: Any = None, pointer: str = "data.source"
) -> pads.Dataset:
    """A folder of Parquet files as one dataset, its files in name order (so rows come in the
    same order on every read: batch scoring resumes part by part on it); hive-style
    ``key=value`` folders become columns. ``pointer`` names what the user should point
    elsewhere in the error for an empty folder."""
    import pyarrow.dataset as pads

    try:
        found = pads.dataset(path, filesystem=filesystem, format="parquet", partitioning="hive")
        if not found.files:
            raise DataError(
                "the folder holds no Parquet files",
                where=where,
                fix=f"point {pointer} at a CSV or Parquet file, or at a folder of .parquet files",
            )
        return pads.dataset(
            sorted(found.files),
            filesystem=filesystem,
            format="parquet",
            schema=found.schema,
            partitioning="hive",
            partition_base_dir=str(path),
        )
    except (pa.ArrowException, OSError) as exc:
        raise parquet_dataset_error(exc, where) from exc


def parquet_dataset_error(exc: Exception, where: str) -> DataError:
    """The DataError for a Parquet folder Arrow cannot read as one dataset (at open or part-way
    through a scan): a corrupt file, or files whose columns differ."""
    return DataError(
        f"cannot read the folder as one Parquet dataset ({exc})",
        where=where,
        fix="keep only Parquet files with the same columns in the folder; remove corrupt or "
        "foreign files, or rewrite the one with other columns",
    )


def _parquet_frame(table: pa.Table, where: str) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    _check_names(list(frame.columns), where)
    return frame


def _load_sql(source: SqlSource, base_dir: Path) -> pd.DataFrame:
    from pandas.errors import DatabaseError
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    where = _sql_where(source, base_dir)
    try:
        url = _resolve_url(source.url, base_dir)
        engine = create_engine(url, connect_args=_connect_args(url))
    except (NoSuchModuleError, ImportError) as exc:
        raise DataError(
            f"no database driver for this URL ({exc})",
            where=where,
            fix="install the driver named in the URL (e.g. pip install psycopg[binary]) or use "
            "a supported dialect such as postgresql+psycopg:// or sqlite:///",
        ) from exc
    except (ArgumentError, ValueError) as exc:
        raise DataError(
            f"not a valid database URL ({exc})",
            where=where,
            fix="write data.source.url as dialect+driver://user:password@host:port/database, "
            "e.g. postgresql+psycopg://me@localhost/sales or sqlite:///data.db",
        ) from exc
    try:
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            if url.get_backend_name() == "sqlite":
                fix = (
                    "check the database file in data.source.url: sqlite:///name.db is read from "
                    "the project folder, sqlite:////abs/path.db is absolute"
                )
            else:
                fix = (
                    "check that the server is running and reachable, and the host, port, "
                    "database name, user and password in data.source.url"
                )
            raise DataError(
                f"cannot connect to the database: {_first_line(exc)}", where=where, fix=fix
            ) from exc
        with connection:
            try:
                # no_parameters: the query goes to the driver as written, so LIKE '%x' works
                raw = connection.execution_options(no_parameters=True)
                frame = pd.read_sql_query(source.query, raw)
            except (SQLAlchemyError, DatabaseError) as exc:
                raise DataError(
                    f"the query failed: {_first_line(exc)}",
                    where=where,
                    fix="run data.source.query in a SQL client against the same database and "
                    "correct table or column names and syntax",
                ) from exc
    finally:
        engine.dispose()
    frame.columns = [str(c) for c in frame.columns]
    _check_names(list(frame.columns), where)
    return _normalise_objects(frame)


def _sql_where(source: SqlSource, base_dir: Path) -> str:
    from sqlalchemy.exc import ArgumentError

    try:
        return _resolve_url(source.url, base_dir).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_url(source.url)


def _resolve_url(text: str, base_dir: Path) -> URL:
    """Parse the URL; a relative SQLite file is read from the project folder, like CSV paths."""
    from sqlalchemy.engine import make_url

    url = make_url(text)
    database = url.database
    if (
        url.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).is_absolute()
    ):
        url = url.set(database=str((base_dir / database).resolve()))
    return url


def _connect_args(url: URL) -> dict[str, Any]:
    # a dead host must fail in seconds, not after the OS TCP timeout of minutes
    if url.get_backend_name() in {"postgresql", "mysql", "mariadb"}:
        return {"connect_timeout": _CONNECT_TIMEOUT_S}
    return {}


def _normalise_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Give SQL object columns the dtypes a CSV or Parquet read would have produced.

    Drivers return DATE as ``datetime.date`` and text as Python ``str`` in object columns; left
    alone, the same table would get different kinds and a different snapshot hash per origin.
    """
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            continue
        kind = array.type
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            converted = pa.chunked_array([array]).to_pandas(date_as_object=False)
            frame[name] = pd.Series(converted, index=frame.index, name=name)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            frame[name] = column.astype("str")
    return frame


def _first_line(exc: BaseException) -> str:
    """The driver's own message: SQLAlchemy and pandas wrap it in SQL text and help links."""
    original: BaseException = exc
    while True:
        inner = getattr(original, "orig", None) or original.__cause__
        if not isinstance(inner, BaseException):
            break
        original = inner
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def _check_names(names: list[str], where: str) -> None:
    blank = [i + 1 for i, n in enumerate(names) if not str(n).strip()]
    if blank:
        raise DataError(
            f"column {blank[0]} has no name",
            where=where,
            fix="give every column a header (a pandas index saved with to_csv? use index=False)",
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(
                f"column {name!r} appears twice",
                where=where,
                fix="rename one of the columns so every name is distinct",
            )
        seen.add(name)


def _check_frame(frame: pd.DataFrame, *, where: str) -> pd.DataFrame:
    if len(frame) == 0:
        header = ", ".join(str(c) for c in frame.columns[:5])
        raise DataError(
            f"has no rows (only the header: {header})" if header else "has no rows",
            where=where,
            fix="point data.source at the data itself, or widen the query so it returns rows",
        )
    if len(frame.columns) == 0:
        raise DataError(
            "has no columns", where=where, fix="export the data again with a header line"
        )
    return frame
