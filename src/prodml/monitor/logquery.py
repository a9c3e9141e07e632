"""DuckDB SQL over the prediction and feedback logs: window profiles, quality, health, rows.

Each query scans the Parquet segments once (partition pruning on ``date``), parses the JSON
``features`` column once per row into a typed struct (``json_transform``) and aggregates per
time window (``time_bucket``) inside DuckDB: numbers into the reference's bins (``histogram``
with the reference edges), categories into level counts. Only the aggregates reach Python, so
memory is bounded by (windows x columns x bins), not by the size of the log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from prodml.errors import UserError
from prodml.monitor.profiles import ColumnProfile, Profile

__all__ = [
    "Scope",
    "health_rows",
    "parse_window",
    "quality_rows",
    "sample_features",
    "scored_rows",
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
    """Which log rows: a directory, a model version and a time range, cut into windows."""

    root: Path
    version: int
    window: timedelta
    since: datetime | date | None = None
    until: datetime | date | None = None

    def bucket(self, column: str = "ts") -> str:
        seconds = int(self.window.total_seconds())
        return f"time_bucket(INTERVAL '{seconds} seconds', {column}, {_ORIGIN})"

    def where(self, *extra: str, version: bool = True) -> tuple[str, list[Any]]:
        from prodml.store import log_window

        clauses, params = log_window(self.since, self.until)
        if version:
            clauses.append("model_version = ?")
            params.append(self.version)
        clauses.extend(extra)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def window_profiles(scope: Scope, reference: Profile) -> list[tuple[datetime, Profile]]:
    """The profile of every window with scored rows of the version, oldest first."""
    from prodml.store import PREDICTIONS, log_relation

    columns = list(reference.features.values())
    structure = {c.name: "DOUBLE" if c.kind == "numeric" else "VARCHAR" for c in columns}
    where, params = scope.where("status <> 'rejected'", "features IS NOT NULL")
    selects = ["count(*) AS rows"]
    for j, column in enumerate(columns):
        value = f"f.{_ident(column.name)}"
        selects += _aggregates(column, value, j)
    if reference.prediction is not None:
        selects += _aggregates(reference.prediction, "score", len(columns))
    sql = f"""
        WITH p AS (
            SELECT {scope.bucket()} AS w, score,
                   json_transform(features, {_text(json.dumps(structure))}) AS f
            FROM {log_relation(scope.root, PREDICTIONS)} {where}
        )
        SELECT w, {", ".join(selects)} FROM p GROUP BY w ORDER BY w
    """
    out = []
    for row in _fetch(sql, params):
        start, rows, values = row[0], int(row[1]), list(row[2:])
        features = {}
        for j, column in enumerate(columns):
            features[column.name] = _column(column, rows, values, j)
        prediction = None
        if reference.prediction is not None:
            prediction = _column(reference.prediction, rows, values, len(columns))
        out.append((_utc(start), Profile(features, prediction, rows, "prediction log")))
    return out


def _aggregates(column: ColumnProfile, value: str, j: int) -> list[str]:
    if column.kind == "categorical":
        key = f"regexp_replace(CAST({value} AS VARCHAR), '^(-?[0-9]+)\\.0+$', '\\1')"
        return [f"count({value}) AS n{j}", f"histogram({key}) AS h{j}"]
    edges = column.edges
    if not edges:
        return [f"count({value}) AS n{j}"] + [f"NULL AS x{j}_{k}" for k in range(7)]
    cuts = "[" + ", ".join(repr(float(e)) for e in edges) + "]::DOUBLE[]"
    return [
        f"count({value}) AS n{j}",
        f"histogram({value}, {cuts}) AS h{j}",
        f"sum({value}) AS s{j}",
        f"sum({value} * {value}) AS q{j}",
        f"min({value}) AS lo{j}",
        f"max({value}) AS hi{j}",
        f"sum({value}) FILTER (WHERE {value} <= {float(edges[0])!r}) AS ls{j}",
        f"sum({value}) FILTER (WHERE {value} > {float(edges[-1])!r}) AS hs{j}",
    ]


def _column(reference: ColumnProfile, rows: int, values: list[Any], j: int) -> ColumnProfile:
    """Turn one column's aggregates (consumed from the front of ``values``) into a profile."""
    profile = reference.empty_like()
    profile.rows = rows
    present = int(values.pop(0) or 0)
    profile.missing = rows - present
    if reference.kind == "categorical":
        counts = values.pop(0) or {}
        profile.categories = {str(k): int(v) for k, v in _items(counts)}
        return profile
    if not reference.edges:
        del values[:7]
        return profile
    histogram, total, total_sq, low, high, low_sum, high_sum = (values.pop(0) for _ in range(7))
    position = {float(e): i for i, e in enumerate(reference.edges)}
    counts = [0] * (len(reference.edges) + 1)
    for key, count in _items(histogram or {}):
        index = position.get(float(key), len(reference.edges))
        counts[index] += int(count)
    profile.counts = counts
    profile.total = float(total or 0.0)
    profile.total_sq = float(total_sq or 0.0)
    profile.minimum = None if low is None else float(low)
    profile.maximum = None if high is None else float(high)
    profile.low_sum = float(low_sum or 0.0)
    profile.high_sum = float(high_sum or 0.0)
    return profile


def quality_rows(scope: Scope) -> dict[datetime, dict[str, Any]]:
    """Per window: rows, repaired and rejected counts, duplicate ids, and (check -> count) of
    repairs and errors per field."""
    from prodml.store import PREDICTIONS, log_relation

    source = log_relation(scope.root, PREDICTIONS)
    where, params = scope.where()
    totals = f"""
        SELECT {scope.bucket()} AS w, count(*),
               count(*) FILTER (WHERE status = 'repaired'),
               count(*) FILTER (WHERE status = 'rejected'),
               count(entity_id) - count(DISTINCT entity_id),
               count(*) - count(DISTINCT prediction_id)
        FROM {source} {where} GROUP BY w ORDER BY w
    """
    out: dict[datetime, dict[str, Any]] = {}
    for w, rows, repaired, rejected, dup_entities, dup_predictions in _fetch(totals, params):
        out[_utc(w)] = {
            "rows": int(rows),
            "repaired": int(repaired),
            "rejected": int(rejected),
            "duplicate_entity_ids": int(dup_entities),
            "duplicate_prediction_ids": int(dup_predictions),
            "checks": {},
        }
    item = '\'[{"field": "VARCHAR", "check": "VARCHAR"}]\''
    checks = f"""
        WITH items AS (
            SELECT {scope.bucket()} AS w, 'repaired' AS outcome,
                   unnest(from_json(repairs, {item})) AS it
            FROM {source} {where} {"AND" if where else "WHERE"} repairs IS NOT NULL
            UNION ALL
            SELECT {scope.bucket()} AS w, 'rejected' AS outcome,
                   unnest(from_json(errors, {item})) AS it
            FROM {source} {where} {"AND" if where else "WHERE"} errors IS NOT NULL
        )
        SELECT w, outcome, coalesce(it.field, '(record)'), it."check", count(*)
        FROM items GROUP BY ALL ORDER BY ALL
    """
    for w, outcome, name, check, count in _fetch(checks, params + params):
        window = out.get(_utc(w))
        if window is not None:
            key = f"{outcome}:{check}"
            window["checks"].setdefault(str(name), {})[key] = int(count)
    return out


def health_rows(scope: Scope) -> list[dict[str, Any]]:
    """Per window, model version and variant: requests, records, latency percentiles (per
    request, as the server measured it) and rejected / repaired records."""
    from prodml.store import PREDICTIONS, log_relation

    where, params = scope.where(version=False)
    sql = f"""
        WITH r AS (
            SELECT {scope.bucket()} AS w, model_version, variant, request_id,
                   any_value(latency_ms) AS latency, count(*) AS records,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected,
                   count(*) FILTER (WHERE status = 'repaired') AS repaired
            FROM {log_relation(scope.root, PREDICTIONS)} {where}
            GROUP BY ALL
        )
        SELECT w, model_version, variant, count(*), sum(records), sum(rejected), sum(repaired),
               quantile_cont(latency, [0.5, 0.95, 0.99])
        FROM r GROUP BY ALL ORDER BY ALL
    """
    out = []
    for w, version, variant, requests, records, rejected, repaired, latency in _fetch(sql, params):
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
                "latency_p50_ms": p50,
                "latency_p95_ms": p95,
                "latency_p99_ms": p99,
            }
        )
    return out


def scored_rows(
    scope: Scope, columns: dict[str, str], labelled_only: frozenset[str] = frozenset()
) -> Any:
    """Every scored row of the version (window, score, decision, the label when feedback
    arrived, and ``columns``: feature -> DuckDB type) as an Arrow table; feedback is joined by
    prediction id, else by entity id, the latest label winning. Columns in ``labelled_only``
    (segments) are null on unlabelled rows, so a million unlabelled rows carry no text."""
    from prodml.store import FEEDBACK, PREDICTIONS, log_relation

    where, params = scope.where("status <> 'rejected'", "score IS NOT NULL")
    structure = _text(json.dumps(columns))
    picked = "".join(
        f", CASE WHEN coalesce(i.label, e.label) IS NOT NULL THEN f.{_ident(name)} END"
        f" AS {_ident(name)}"
        if name in labelled_only
        else f", f.{_ident(name)} AS {_ident(name)}"
        for name in columns
    )
    sql = f"""
        WITH p AS (
            SELECT {scope.bucket()} AS w, prediction_id, entity_id, score, decision,
                   json_transform(features, {structure}) AS f
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
        SELECT p.w AS w, p.score AS score, p.decision AS decision,
               coalesce(i.label, e.label) AS label, coalesce(i.lv, e.lv) AS label_value{picked}
        FROM p
        LEFT JOIN by_id i ON p.prediction_id = i.prediction_id
        LEFT JOIN by_entity e ON p.entity_id = e.entity_id
        ORDER BY p.w
    """
    import duckdb

    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.sql(sql, params=params).to_arrow_table()


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
    import duckdb

    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.sql(sql, params=params).to_arrow_table().to_pandas()


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.execute(sql, params).fetchall()


def _items(mapping: Any) -> list[tuple[Any, Any]]:
    if isinstance(mapping, dict):
        return list(mapping.items())
    if isinstance(mapping, list):  # older DuckDB: a list of {key, value}
        return [(item["key"], item["value"]) for item in mapping]
    return list(zip(mapping["key"], mapping["value"], strict=True))


def _utc(moment: Any) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
