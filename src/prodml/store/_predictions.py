"""The prediction log and the feedback log: their columns, where they live, how to query them.

Both are :class:`~prodml.store._eventlog.EventLog` directories under the log root, by default
``.prodml/`` beside ``prodml.yaml`` (``PRODML_LOG_DIR`` overrides it)::

    .prodml/predictions/date=YYYY-MM-DD/part-*.parquet
    .prodml/feedback/date=YYYY-MM-DD/part-*.parquet

Queries run in DuckDB straight over the segments (partition pruning on ``date``), so monitoring
reads a day out of a year of logs without touching the rest. Columns of the prediction log:

=================  ==========  ===============================================================
prediction_id      string      unique per record; feedback refers to it
request_id         string      one per HTTP request
ts                 timestamp   UTC, when the request arrived
endpoint           string      predict, v2, invocations
model_version      int64       the version that scored (or would have scored) the record
variant            string      champion, challenger or shadow
entity_id          string      the project's ``data.id_column`` value, if the record had one
assignment         string      sticky (hash of the entity id) or random (no entity id)
status             string      ok, repaired, rejected, or error (scoring failed: HTTP 500)
score              float64     P(positive) for binary, the predicted value for regression
decision           float64     binary: 1 act / 0 do not act; regression: the value decided
decision_rule      float64     the threshold (binary) or offset (regression) that decided
latency_ms         float64     time spent in the server for the whole request
features           string      JSON object of the features after repair (what the model saw)
repairs            string      JSON list of repairs applied ({"field", "repair", ...})
errors             string      JSON list of per-field errors (rejected records)
source             string      live (scored by the server) or precomputed (a batch score
                               answered, ``prodml serve --precomputed``); null in segments
                               written before the column existed (read as live)
=================  ==========  ===============================================================

Feedback: ``feedback_id``, ``ts``, ``prediction_id`` and/or ``entity_id``, ``label`` (the
outcome as text, e.g. ``bad``) and ``label_value`` (the outcome as a number when it is one).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FEEDBACK",
    "PREDICTIONS",
    "feedback_log_dir",
    "feedback_schema",
    "log_relation",
    "log_root",
    "log_window",
    "prediction_log_dir",
    "prediction_schema",
    "read_feedback",
    "read_labelled_predictions",
    "read_predictions",
]

PREDICTIONS = "predictions"
FEEDBACK = "feedback"


def log_root(project_dir: Path) -> Path:
    """Where the logs live: ``PRODML_LOG_DIR``, else ``.prodml/`` beside the project file."""
    override = os.environ.get("PRODML_LOG_DIR", "").strip()
    return Path(override) if override else Path(project_dir) / ".prodml"


def prediction_log_dir(root: Path) -> Path:
    """The prediction log's directory under a log root (see :func:`log_root`)."""
    return Path(root) / PREDICTIONS


def feedback_log_dir(root: Path) -> Path:
    """The feedback log's directory under a log root."""
    return Path(root) / FEEDBACK


def prediction_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("prediction_id", pa.string()),
            ("request_id", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("endpoint", pa.string()),
            ("model_version", pa.int64()),
            ("variant", pa.string()),
            ("entity_id", pa.string()),
            ("assignment", pa.string()),
            ("status", pa.string()),
            ("score", pa.float64()),
            ("decision", pa.float64()),
            ("decision_rule", pa.float64()),
            ("latency_ms", pa.float64()),
            ("features", pa.string()),
            ("repairs", pa.string()),
            ("errors", pa.string()),
            ("source", pa.string()),
        ]
    )


def feedback_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("feedback_id", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("prediction_id", pa.string()),
            ("entity_id", pa.string()),
            ("label", pa.string()),
            ("label_value", pa.float64()),
        ]
    )


def read_predictions(
    root: Path,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    *,
    features: list[str] | None = None,
) -> pd.DataFrame:
    """Logged predictions with ``since <= ts < until`` (UTC; a date means its midnight).

    ``features`` names feature columns to extract from the JSON ``features`` column as their
    own text columns (``feature.<name>``; cast them as their kind needs), for monitoring.
    """
    extra = ""
    if features:
        extra = ", " + ", ".join(
            f"json_extract_string(features, {_sql_text('$.' + _json_key(name))}) "
            f"AS {_sql_ident('feature.' + name)}"
            for name in features
        )
    schema = prediction_schema()
    frame = _query(Path(root) / PREDICTIONS, schema, since, until, select=f"*{extra}")
    for name in schema.names:  # a column added later is null in older segments
        if name not in frame.columns:
            frame[name] = None
    return frame


def log_relation(root: Path, name: str) -> str:
    """SQL text of a DuckDB relation over the ``name`` log's segments (``PREDICTIONS`` or
    ``FEEDBACK``), with a ``date`` partition column; for queries of other layers (monitoring)."""
    schema = prediction_schema() if name == PREDICTIONS else feedback_schema()
    return _scan(Path(root) / name, schema)


def log_window(
    since: datetime | date | None, until: datetime | date | None
) -> tuple[list[str], list[Any]]:
    """SQL conditions (with partition pruning) and their parameters for ``since <= ts < until``."""
    where, params = _window(since, until)
    return ([where.removeprefix("WHERE ")] if where else []), params


def read_feedback(
    root: Path,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
) -> pd.DataFrame:
    """Feedback rows (ground truth) with ``since <= ts < until``."""
    return _query(Path(root) / FEEDBACK, feedback_schema(), since, until)


def read_labelled_predictions(
    root: Path,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
) -> pd.DataFrame:
    """Predictions joined with their latest feedback, by prediction id, else by entity id.

    Shadow predictions are included (monitoring compares variants); rows without feedback
    have a null ``label``.
    """
    import duckdb

    predictions = _scan(Path(root) / PREDICTIONS, prediction_schema())
    feedback = _scan(Path(root) / FEEDBACK, feedback_schema())
    where, params = _window(since, until)
    sql = f"""
        WITH p AS (SELECT * FROM {predictions} {where}),
        f AS (SELECT * FROM {feedback}),
        by_id AS (
            SELECT prediction_id, arg_max(label, ts) AS label, arg_max(label_value, ts) AS lv,
                   max(ts) AS fts
            FROM f WHERE prediction_id IS NOT NULL GROUP BY prediction_id
        ),
        by_entity AS (
            SELECT entity_id, arg_max(label, ts) AS label, arg_max(label_value, ts) AS lv,
                   max(ts) AS fts
            FROM f WHERE entity_id IS NOT NULL AND prediction_id IS NULL GROUP BY entity_id
        )
        SELECT p.*, coalesce(i.label, e.label) AS label,
               coalesce(i.lv, e.lv) AS label_value,
               coalesce(i.fts, e.fts) AS feedback_ts
        FROM p
        LEFT JOIN by_id i ON p.prediction_id = i.prediction_id
        LEFT JOIN by_entity e ON p.entity_id = e.entity_id
        ORDER BY p.ts, p.prediction_id
    """
    with duckdb.connect() as conn:
        return _to_pandas(conn, sql, params)


def _query(
    directory: Path,
    schema: Any,
    since: datetime | date | None,
    until: datetime | date | None,
    *,
    select: str = "*",
) -> pd.DataFrame:
    import duckdb

    source = _scan(directory, schema)
    where, params = _window(since, until)
    sql = f"SELECT {select} FROM {source} {where} ORDER BY ts"
    with duckdb.connect() as conn:
        return _to_pandas(conn, sql, params)


def _to_pandas(conn: Any, sql: str, params: list[Any]) -> pd.DataFrame:
    """Through Arrow, which keeps UTC timestamps tz-aware (no pytz needed)."""
    conn.execute("SET TimeZone = 'UTC'")
    frame: pd.DataFrame = conn.sql(sql, params=params).to_arrow_table().to_pandas()
    return frame


def _scan(directory: Path, schema: Any) -> str:
    """A DuckDB relation over the segments, or an empty one with the right columns."""
    files = list(directory.glob("date=*/part-*.parquet")) if directory.is_dir() else []
    if not files:
        columns = ", ".join(
            f"CAST(NULL AS {_duck_type(field.type)}) AS {_sql_ident(field.name)}"
            for field in schema
        )
        return f"(SELECT {columns}, CAST(NULL AS DATE) AS date LIMIT 0)"
    pattern = _sql_text(str(directory / "date=*" / "part-*.parquet"))
    return (
        f"read_parquet({pattern}, hive_partitioning = true, union_by_name = true, "
        "hive_types = {'date': DATE})"
    )


def _window(since: datetime | date | None, until: datetime | date | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        start = _instant(since)
        clauses.append("date >= ? AND ts >= ?")
        params += [start.date(), start]
    if until is not None:
        end = _instant(until)
        clauses.append("date <= ? AND ts < ?")
        params += [end.date(), end]
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _instant(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _duck_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    if pa.types.is_int64(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    return "VARCHAR"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_key(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
