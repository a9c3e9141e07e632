"""DuckDB SQL over the prediction and feedback logs: scored rows, quality, health, samples.

Each query scans the Parquet segments once (partition pruning on ``date``) and cuts time into
windows with ``time_bucket``. Quality and health are aggregated per window and model version
inside DuckDB (:func:`log_counts`; they need neither the model nor its features, so monitoring
starts them in a second thread before it has even looked the model up). The
one query that needs the features (:func:`stream_scored`) parses the JSON ``features`` column
once per record into typed columns (``json_transform``) and streams Arrow batches, which
:mod:`prodml.monitor.scan` folds into window profiles; nothing holds all rows' features.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from prodml.errors import UserError
from prodml.monitor.profiles import Profile

__all__ = [
    "LogCounts",
    "Scope",
    "log_counts",
    "parse_window",
    "sample_features",
    "stream_scored",
    "window_profiles",
]

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_ORIGIN = "TIMESTAMPTZ '2000-01-03 00:00:00+00'"  # a Monday: weeks start on Mondays


def parse_window(text: str, *, where: str = "--window") -> timedelta:
    match = re.fullmatch(r"\s*([1-9][0-9]*)\s*([mhdw])\s*", text or "")
    if not match:
        raise UserError(
            f"window {text!r} is not a duration",
            where=where,
            fix="use a number and a unit: 30m, 1h, 1d or 1w",
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class Scope:
    """Which log rows: a directory, a model version (None: every version) and a time range,
    cut into windows."""

    root: Path
    version: int | None
    window: timedelta
    since: datetime | date | None = None
    until: datetime | date | None = None

    def bucket(self, column: str = "ts") -> str:
        seconds = int(self.window.total_seconds())
        return f"time_bucket(INTERVAL '{seconds} seconds', {column}, {_ORIGIN})"

    def where(self, *extra: str, version: bool = True) -> tuple[str, list[Any]]:
        from prodml.store import log_window

        clauses, params = log_window(self.since, self.until)
        if version and self.version is not None:
            clauses.append("model_version = ?")
            params.append(self.version)
        clauses.extend(extra)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def window_profiles(scope: Scope, reference: Profile) -> list[tuple[datetime, Profile]]:
    """The profile of every window with scored rows of the version, oldest first."""
    from prodml.monitor.scan import scan_log

    return list(scan_log(scope, reference).profiles.items())


def stream_scored(scope: Scope, kinds: Mapping[str, str], batch_rows: int) -> Iterator[Any]:
    """The version's accepted records as Arrow record batches, streamed: ``w`` (window start,
    epoch microseconds), ``profiled`` (the record has features), ``score``, ``decision``, the
    latest ``label`` / ``label_value`` (feedback joined by prediction id, else entity id) and
    feature ``j`` of ``kinds`` (parsed from the JSON once) as ``f{j}``."""

    from prodml.store import FEEDBACK, PREDICTIONS, log_relation

    where, params = scope.where(
        "status <> 'rejected'", "(features IS NOT NULL OR score IS NOT NULL)"
    )
    structure = {name: "DOUBLE" if kind == "numeric" else "VARCHAR" for name, kind in kinds.items()}
    picked = "".join(f", p.f.{_ident(name)} AS f{j}" for j, name in enumerate(kinds))
    sql = f"""
        WITH p AS (
            SELECT epoch_us({scope.bucket()}) AS w, prediction_id, entity_id, score, decision,
                   features IS NOT NULL AS profiled,
                   json_transform(features, {_text(json.dumps(structure))}) AS f
            FROM {log_relation(scope.root, PREDICTIONS)} {where}
        ),
        fb AS (SELECT * FROM {log_relation(scope.root, FEEDBACK)}),
        by_id AS (
            SELECT prediction_id, arg_max(label, ts) AS label, arg_max(label_value, ts) AS lv
            FROM fb WHERE prediction_id IS NOT NULL GROUP BY prediction_id
        ),
        by_entity AS (
            SELECT entity_id, arg_max(label, ts) AS label, arg_max(label_value, ts) AS lv
            FROM fb WHERE entity_id IS NOT NULL AND prediction_id IS NULL GROUP BY entity_id
        )
        SELECT p.w AS w, p.profiled AS profiled, p.score AS score, p.decision AS decision,
               coalesce(i.label, e.label) AS label, coalesce(i.lv, e.lv) AS label_value{picked}
        FROM p
        LEFT JOIN by_id i ON p.prediction_id = i.prediction_id
        LEFT JOIN by_entity e ON p.entity_id = e.entity_id
    """
    with _connect() as conn:
        reader: Any = conn.sql(sql, params=params).to_arrow_reader(batch_rows)
        yield from reader


Quality = dict[tuple[int | None, datetime], dict[str, Any]]  # (version, window start) -> counts


@dataclass
class LogCounts:
    """What the log says per window besides the features: quality counts per model version and
    window start, and health rows of every version and variant (see :func:`log_counts`)."""

    quality: Quality
    health: list[dict[str, Any]]

    def of(self, version: int) -> dict[datetime, dict[str, Any]]:
        """The quality counts of one version, by window start."""
        return {start: counts for (v, start), counts in self.quality.items() if v == version}


def log_counts(scope: Scope) -> LogCounts:
    """Quality and health per window, from one connection, for ``scope.version`` or (None)
    every version.

    One aggregation per request (window, version, variant, request id) gives health: requests,
    records, latency percentiles per request (as the server measured it), rejected, repaired
    and failed (``error``) records. Each version's rows of it add up to its quality totals
    (rows, repaired, rejected), so they need no scan of their own; two more queries count the
    duplicate ids and the validator's repairs and errors per field and check, per version.
    """
    # half the cores: the counts run beside the feature scan (or the imports before it), and a
    # parallel hash aggregation of a million distinct ids costs a quarter more CPU than one
    with _connect(threads=max(1, (os.cpu_count() or 2) // 2)) as conn:
        health, totals = _health(conn, scope)
        quality = {
            key: {**counts, "duplicate_entity_ids": 0, "duplicate_prediction_ids": 0}
            for key, counts in totals.items()
        }
        _duplicates(conn, scope, quality)
        _checks(conn, scope, quality)
    return LogCounts(quality, health)


def _health(conn: Any, scope: Scope) -> tuple[list[dict[str, Any]], Quality]:
    from prodml.store import PREDICTIONS, log_relation

    where, params = scope.where(version=False)
    source = log_relation(scope.root, PREDICTIONS)
    # the per-request table (a million groups for a million single-record requests) holds only
    # what needs a request: its latency; the records are counted by status without it
    sql = f"""
        WITH r AS (
            SELECT {scope.bucket()} AS w, model_version, variant, any_value(latency_ms) AS latency
            FROM {source} {where} GROUP BY w, model_version, variant, request_id
        ),
        q AS (
            SELECT w, model_version, variant, count(*) AS requests,
                   quantile_cont(latency, [0.5, 0.95, 0.99]) AS latency
            FROM r GROUP BY ALL
        ),
        c AS (
            SELECT {scope.bucket()} AS w, model_version, variant, count(*) AS records,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected,
                   count(*) FILTER (WHERE status = 'repaired') AS repaired,
                   count(*) FILTER (WHERE status = 'error') AS failed
            FROM {source} {where} GROUP BY ALL
        )
        SELECT c.w, c.model_version, c.variant, q.requests, c.records, c.rejected, c.repaired,
               c.failed, q.latency
        FROM c JOIN q ON c.w = q.w AND c.model_version IS NOT DISTINCT FROM q.model_version
                     AND c.variant IS NOT DISTINCT FROM q.variant
        ORDER BY 1, 2, 3
    """
    out = []
    totals: Quality = {}
    for row in conn.execute(sql, params + params).fetchall():
        w, version, variant, requests, records, rejected, repaired, failed, latency = row
        p50, p95, p99 = latency if latency else (None, None, None)
        out.append(
            {
                "window": _utc(w),
                "version": int(version) if version is not None else None,
                "variant": variant,
                "requests": int(requests),
                "records": int(records),
                "rejected_share": int(rejected) / int(records) if records else 0.0,
                "repaired_share": int(repaired) / int(records) if records else 0.0,
                "errors": int(failed),
                "error_share": int(failed) / int(records) if records else 0.0,
                "latency_p50_ms": p50,
                "latency_p95_ms": p95,
                "latency_p99_ms": p99,
            }
        )
        if version is not None and scope.version in (None, int(version)):
            total = totals.setdefault(
                (int(version), _utc(w)), {"rows": 0, "repaired": 0, "rejected": 0, "checks": {}}
            )
            total["rows"] += int(records)
            total["repaired"] += int(repaired)
            total["rejected"] += int(rejected)
    return out, totals


def _duplicates(conn: Any, scope: Scope, quality: Quality) -> None:
    from prodml.store import PREDICTIONS, log_relation

    where, params = scope.where()
    sql = f"""
        SELECT {scope.bucket()} AS w, model_version, count(entity_id) - count(DISTINCT entity_id),
               count(*) - count(DISTINCT prediction_id)
        FROM {log_relation(scope.root, PREDICTIONS)} {where} GROUP BY w, model_version
    """
    for w, version, dup_entities, dup_predictions in conn.execute(sql, params).fetchall():
        window = quality.get((version, _utc(w)))
        if window is not None:
            window["duplicate_entity_ids"] = int(dup_entities)
            window["duplicate_prediction_ids"] = int(dup_predictions)


def _checks(conn: Any, scope: Scope, quality: Quality) -> None:
    """(check -> count) of the repairs and errors per field, into each window's ``checks``."""
    from prodml.store import PREDICTIONS, log_relation

    source = log_relation(scope.root, PREDICTIONS)
    where, params = scope.where()
    item = '\'[{"field": "VARCHAR", "check": "VARCHAR"}]\''
    sql = f"""
        WITH items AS (
            SELECT {scope.bucket()} AS w, model_version, 'repaired' AS outcome,
                   unnest(from_json(repairs, {item})) AS it
            FROM {source} {where} {"AND" if where else "WHERE"} repairs IS NOT NULL
            UNION ALL
            SELECT {scope.bucket()} AS w, model_version, 'rejected' AS outcome,
                   unnest(from_json(errors, {item})) AS it
            FROM {source} {where} {"AND" if where else "WHERE"} errors IS NOT NULL
        )
        SELECT w, model_version, outcome, coalesce(it.field, '(record)'), it."check", count(*)
        FROM items GROUP BY ALL ORDER BY ALL
    """
    rows = conn.execute(sql, params + params).fetchall()
    for w, version, outcome, name, check, count in rows:
        window = quality.get((version, _utc(w)))
        if window is not None:
            key = f"{outcome}:{check}"
            window["checks"].setdefault(str(name), {})[key] = int(count)


def sample_features(scope: Scope, columns: dict[str, str], rows: int, seed: int = 0) -> Any:
    """A seeded sample of at most ``rows`` scored records' features, as a pandas frame."""
    from prodml.store import PREDICTIONS, log_relation

    where, params = scope.where("status <> 'rejected'", "features IS NOT NULL")
    structure = _text(json.dumps(columns))
    picked = ", ".join(f"f.{_ident(name)} AS {_ident(name)}" for name in columns)
    sql = f"""
        WITH sampled AS (
            SELECT features FROM {log_relation(scope.root, PREDICTIONS)} {where}
            USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE ({int(seed)})
        )
        SELECT {picked} FROM (SELECT json_transform(features, {structure}) AS f FROM sampled)
    """
    with _connect() as conn:
        return conn.sql(sql, params=params).to_arrow_table().to_pandas()


def _connect(threads: int | None = None) -> Any:
    """An in-memory DuckDB connection that reads and buckets timestamps in UTC (with
    ``threads`` worker threads, default one per core)."""
    import duckdb

    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    if threads is not None:
        conn.execute(f"SET threads = {int(threads)}")
    return conn


def _utc(moment: Any) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
