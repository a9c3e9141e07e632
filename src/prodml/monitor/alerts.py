"""Alert rules, and incidents: fire once when a rule starts to hold, resolve when it clears.

A rule (``monitoring.alerts`` in the project file) compares one window metric with a number
(``above`` / ``below``) or with the model's reference (``drop``: a share below the held-out
value, e.g. ``drop: 0.2`` is "20% below what the model earned on held-out data"). It holds
when the condition is true in each of the last ``for_windows`` windows that have the metric
(the minimum duration: one bad hour does not page anyone when ``for_windows: 3``).

Incidents live in the store's ``alerts`` table. A rule that holds with no open incident opens
one and its event goes to the sinks (``firing``); while it keeps holding nothing more is sent;
when it stops holding the incident is closed and a ``resolved`` event is sent. A rule whose
metric is unknown (no labels yet, too few rows) leaves its incident as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from prodml.spec import AlertRule

__all__ = ["DEFAULT_RULES", "Alert", "RuleCheck", "check_rules", "list_alerts", "sync_incidents"]

DEFAULT_RULES = (
    AlertRule(metric="value_per_decision", drop=0.2, severity="critical"),
    AlertRule(metric="estimated_value_per_decision", drop=0.2, severity="warning"),
    AlertRule(metric="drift_share", above=0.3, severity="warning"),
    AlertRule(metric="rejected_share", above=0.01, severity="warning"),
)


@dataclass(frozen=True)
class RuleCheck:
    """A rule's state at the latest window: holding (True), clear (False) or unknown (None)."""

    rule: AlertRule
    holds: bool | None
    value: float | None
    threshold: float | None
    window: datetime | None
    message: str


@dataclass(frozen=True)
class Alert:
    id: int
    rule: str
    metric: str
    severity: str
    status: str
    model_version: int | None
    value: float | None
    threshold: float | None
    message: str
    window_start: datetime | None
    fired_at: datetime
    resolved_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("window_start", "fired_at", "resolved_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def check_rules(
    rules: Sequence[AlertRule],
    windows: Sequence[tuple[datetime, Mapping[str, float | None]]],
    reference: Mapping[str, float | None],
    *,
    unit: str = "",
) -> list[RuleCheck]:
    """Each rule's state over ``windows`` (oldest first; each a start and its metrics)."""
    out = []
    for rule in rules:
        threshold = _threshold(rule, reference.get(rule.metric))
        known = [(start, m[rule.metric]) for start, m in windows if m.get(rule.metric) is not None]
        if threshold is None or len(known) < rule.for_windows:
            why = "no reference to compare with" if threshold is None else "not enough windows"
            out.append(RuleCheck(rule, None, None, threshold, None, why))
            continue
        recent = known[-rule.for_windows :]
        holds = all(_breaks(rule, float(v), threshold) for _, v in recent if v is not None)
        start, value = recent[-1]
        value = float(value) if value is not None else None
        side = "below" if rule.above is None else "above"
        message = (
            (
                f"{rule.metric} = {_fmt(value)} is {side} {_fmt(threshold)}"
                + (
                    f" ({rule.drop:.0%} below the reference {_fmt(reference.get(rule.metric))})"
                    if rule.drop is not None
                    else ""
                )
                + (f" for {rule.for_windows} windows" if rule.for_windows > 1 else "")
                + f" (window from {start:%Y-%m-%d %H:%M} UTC)"
            )
            if holds
            else f"{rule.metric} = {_fmt(value)}, within {_fmt(threshold)}"
        )
        out.append(RuleCheck(rule, holds, value, threshold, start, message))
    return out


def sync_incidents(
    engine: Any, project: str, checks: Sequence[RuleCheck], *, version: int | None
) -> list[tuple[str, Alert]]:
    """Open an incident for each rule that holds without one, close those that cleared.

    Returns the events to send (``firing`` / ``resolved``) with their incident.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._engine import write_transaction
    from prodml.store._schema import AlertRow

    now = datetime.now(UTC)
    events: list[tuple[str, Alert]] = []
    # under the project's alert lock: two monitors at once cannot both open an incident
    with (
        write_transaction(engine, f"alerts:{project}") as conn,
        Session(bind=conn, expire_on_commit=False) as session,
    ):
        open_rows = {
            row.rule: row
            for row in session.scalars(
                select(AlertRow).where(AlertRow.project == project, AlertRow.status == "firing")
            )
        }
        for check in checks:
            label = check.rule.label[:200]
            row = open_rows.get(label)
            if check.holds and row is None:
                row = AlertRow(
                    project=project,
                    rule=label,
                    metric=check.rule.metric,
                    severity=check.rule.severity,
                    status="firing",
                    model_version=version,
                    value=check.value,
                    threshold=check.threshold,
                    message=check.message,
                    window_start=check.window,
                    fired_at=now,
                    resolved_at=None,
                    details={"for_windows": check.rule.for_windows},
                )
                session.add(row)
                session.flush()
                events.append(("firing", _alert(row)))
            elif check.holds is False and row is not None:
                row.status = "resolved"
                row.resolved_at = now
                row.details = {**dict(row.details), "resolved_value": check.value}
                session.flush()
                events.append(("resolved", _alert(row, message=check.message, value=check.value)))
        session.flush()
    return events


def list_alerts(engine: Any, project: str, *, firing_only: bool = False) -> list[Alert]:
    """Incidents of the project, newest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._schema import AlertRow

    query = select(AlertRow).where(AlertRow.project == project)
    if firing_only:
        query = query.where(AlertRow.status == "firing")
    with Session(engine) as session, session.begin():
        return [_alert(row) for row in session.scalars(query.order_by(AlertRow.id.desc()))]


def event_payload(kind: str, alert: Alert, *, project: str) -> dict[str, Any]:
    return {"event": kind, "project": project, **alert.to_dict()}


def _threshold(rule: AlertRule, reference: float | None) -> float | None:
    if rule.above is not None:
        return rule.above
    if rule.below is not None:
        return rule.below
    if reference is None or rule.drop is None:
        return None
    return reference - rule.drop * abs(reference)


def _breaks(rule: AlertRule, value: float, threshold: float) -> bool:
    return value > threshold if rule.above is not None else value < threshold


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.4g}"


def _alert(row: Any, *, message: str | None = None, value: float | None = None) -> Alert:
    return Alert(
        id=row.id,
        rule=row.rule,
        metric=row.metric,
        severity=row.severity,
        status=row.status,
        model_version=row.model_version,
        value=value if value is not None else row.value,
        threshold=row.threshold,
        message=message or row.message,
        window_start=row.window_start,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
    )


def record_incident(
    engine: Any,
    project: str,
    *,
    rule: str,
    metric: str,
    severity: str,
    message: str,
    version: int | None,
    window_start: datetime | None,
    details: dict[str, Any],
    resolved: bool,
) -> Alert:
    """An incident raised outside the alert rules (e.g. a rollback by the promotion guard);
    ``resolved`` when the action that raised it already resolved it."""
    from sqlalchemy.orm import Session

    from prodml.store._engine import write_transaction
    from prodml.store._schema import AlertRow

    now = datetime.now(UTC)
    row = AlertRow(
        project=project,
        rule=rule[:200],
        metric=metric[:64],
        severity=severity,
        status="resolved" if resolved else "firing",
        model_version=version,
        value=None,
        threshold=None,
        message=message,
        window_start=window_start,
        fired_at=now,
        resolved_at=now if resolved else None,
        details=details,
    )
    with (
        write_transaction(engine, f"alerts:{project}") as conn,
        Session(bind=conn, expire_on_commit=False) as session,
    ):
        session.add(row)
        session.flush()
        return _alert(row)
