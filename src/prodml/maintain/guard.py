"""The promotion guard: after a new champion takes over, watch it and roll back on a breach.

For ``maintenance.guard.window`` after any champion move that replaced another champion (by
``maintain`` or by hand), the champion's own traffic since the move is checked against the
guard's limits: share of records that failed (``error``) or were rejected, p95 latency per
request, and value per decision (realised once enough labels are in, estimated from the
calibrated probabilities before that) against the version's held-out value. Nothing is judged
before ``guard.min_records`` records. A breach rolls the champion back to the previous one,
alerts through the monitoring sinks and is recorded; a window that ends clean is recorded once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from prodml.project import Project
    from prodml.store import AliasMove

__all__ = ["GuardCheck", "active_promotion", "check_guard"]

MIN_LABELLED = 30


@dataclass(frozen=True)
class GuardCheck:
    move_id: int
    version: int
    previous: int | None
    promoted_at: datetime
    window_over: bool
    records: int
    judged: bool  # enough records to judge (guard.min_records)
    breaches: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["promoted_at"] = self.promoted_at.isoformat()
        return out


def active_promotion(project: Project, now: datetime) -> tuple[AliasMove, int | None] | None:
    """The champion move the guard watches (with the version it replaced), if any.

    Rollbacks are not watched (they go back to a version that already served), nor is the first
    champion (there is nothing to roll back to).
    """
    from prodml.registry.aliases import ROLLBACK_MARK

    moves = project.store.metadata.alias_moves("champion")
    if not moves:
        return None
    last = moves[-1]
    if last.reason.startswith(ROLLBACK_MARK) or last.from_version is None:
        return None
    return last, last.from_version


def check_guard(
    project: Project, move: AliasMove, previous: int | None, *, now: datetime
) -> GuardCheck:
    from prodml.monitor.logquery import parse_window

    settings = project.spec.maintenance.guard
    window = parse_window(settings.window, where="maintenance.guard.window")
    version = int(move.to_version or 0)
    health = _health(project, version, move.at)
    metrics: dict[str, Any] = dict(health)
    breaches: list[str] = []
    records = int(health["records"])
    if records >= settings.min_records:
        if health["error_share"] > settings.max_error_share:
            breaches.append(
                f"error share {health['error_share']:.1%} above {settings.max_error_share:.1%}"
            )
        if health["rejected_share"] > settings.max_rejected_share:
            breaches.append(
                f"rejected share {health['rejected_share']:.1%} above "
                f"{settings.max_rejected_share:.1%}"
            )
        p95 = health["latency_p95_ms"]
        if p95 is not None and p95 > settings.max_latency_p95_ms:
            breaches.append(f"latency p95 {p95:.1f} ms above {settings.max_latency_p95_ms:g} ms")
        value, kind = _value(project, version, move.at)
        reference = project.store.metadata.get_model_version(version).value_per_decision
        limit = reference - settings.value_drop * abs(reference)
        metrics.update(value=value, value_kind=kind, value_limit=limit, reference=reference)
        if value is not None and value < limit:
            unit = project.spec.problem.unit
            breaches.append(
                f"{kind} value per decision {value:.2f} {unit} below {limit:.2f} "
                f"({settings.value_drop:.0%} under the held-out {reference:.2f})"
            )
    else:
        metrics["note"] = f"{records} records; the guard judges from {settings.min_records}"
    return GuardCheck(
        move_id=move.id,
        version=version,
        previous=previous,
        promoted_at=move.at,
        window_over=now - move.at >= window,
        records=records,
        judged=records >= settings.min_records,
        breaches=breaches,
        metrics=metrics,
    )


def _health(project: Project, version: int, since: datetime) -> dict[str, Any]:
    import duckdb

    from prodml.store import PREDICTIONS, log_relation, log_root, log_window

    clauses, params = log_window(since, None)
    where = " AND ".join([*clauses, "model_version = ?", "variant = 'champion'"])
    sql = f"""
        WITH r AS (
            SELECT request_id, any_value(latency_ms) AS latency, count(*) AS records,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected,
                   count(*) FILTER (WHERE status = 'error') AS failed
            FROM {log_relation(log_root(project.root), PREDICTIONS)} WHERE {where}
            GROUP BY request_id
        )
        SELECT coalesce(sum(records), 0), coalesce(sum(rejected), 0), coalesce(sum(failed), 0),
               quantile_cont(latency, 0.95), count(*)
        FROM r
    """
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        row = conn.execute(sql, [*params, version]).fetchone()
    records, rejected, failed, p95, requests = row if row else (0, 0, 0, None, 0)
    records = int(records)
    return {
        "records": records,
        "requests": int(requests),
        "rejected_share": int(rejected) / records if records else 0.0,
        "error_share": int(failed) / records if records else 0.0,
        "latency_p95_ms": float(p95) if p95 is not None else None,
    }


def _value(project: Project, version: int, since: datetime) -> tuple[float | None, str]:
    """Realised value per decision of the champion's traffic since ``since`` when enough of it
    is labelled, else the value its calibrated probabilities promise (binary only)."""
    from prodml.maintain.fresh_data import labelled_log_rows
    from prodml.maintain.realised import decision_values
    from prodml.train.target import prepare_target

    bundle = project.load_model(version)
    rows = labelled_log_rows(project, bundle, since)
    rows = rows[(rows["__version__"] == version) & (rows["__variant__"] == "champion")]
    if len(rows) >= MIN_LABELLED:
        labels = prepare_target(rows, project.spec.problem)
        taken = rows.iloc[labels.rows]
        values = decision_values(project.spec, taken, labels.y, taken["__decision__"].to_numpy())
        return float(values.mean()), "realised"
    if bundle.task != "binary":
        return None, "realised"
    return _estimated(project, version, since), "estimated"


def _estimated(project: Project, version: int, since: datetime) -> float | None:
    from prodml.evaluate.value import BinaryValues
    from prodml.monitor.estimation import estimate_binary
    from prodml.store import log_root, read_predictions

    expressions = project.spec.problem.value_expressions()
    columns = sorted({c for e in expressions.values() for c in e.columns})
    log = read_predictions(log_root(project.root), since=since, features=columns)
    if len(log) == 0:
        return None
    log = log[
        (log["model_version"] == version) & (log["variant"] == "champion") & log["score"].notna()
    ]
    if len(log) == 0:
        return None
    data = {c: np.asarray(log[f"feature.{c}"].astype(float)) for c in columns}
    if any(np.isnan(v).any() for v in data.values()):
        return None
    values = BinaryValues.from_expressions(expressions, data, len(log))
    found = estimate_binary(
        log["score"].to_numpy(float), log["decision"].to_numpy(float) >= 0.5, values
    )
    value = found.get("value_per_decision")
    return float(value) if value is not None else None
