"""Retraining policies: which of ``maintenance.policies`` hold now, and why.

Each policy gives a check with a verdict (fired, not fired, or unknown when there is nothing to
judge yet, e.g. no labelled window), the figure it looked at and its threshold, so ``prodml
maintain`` can say exactly why it retrained or why it did not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodml.monitor.run import MonitorReport
    from prodml.project import Project
    from prodml.store import ModelVersionRecord

__all__ = ["PolicyCheck", "check_policies", "needs_monitoring"]


@dataclass(frozen=True)
class PolicyCheck:
    policy: str  # max_age, drift_share, value_drop, new_labels
    fired: bool | None
    message: str
    value: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def needs_monitoring(project: Project) -> bool:
    policies = project.spec.maintenance.policies
    return policies.drift_share is not None or policies.value_drop is not None


def check_policies(
    project: Project,
    champion: ModelVersionRecord,
    monitored: MonitorReport | None,
    *,
    now: datetime,
) -> list[PolicyCheck]:
    """The verdict of every policy the project file sets (none set: an empty list)."""
    policies = project.spec.maintenance.policies
    checks: list[PolicyCheck] = []
    if policies.max_age is not None:
        checks.append(_age(champion, policies.max_age, now))
    windows = monitored.windows if monitored is not None else []
    if policies.drift_share is not None:
        checks.append(_drift(windows, policies.drift_share))
    if policies.value_drop is not None:
        checks.append(_value(windows, champion, policies.value_drop, project.spec.problem.unit))
    if policies.new_labels is not None:
        checks.append(_labels(project, champion, policies.new_labels))
    return checks


def _age(champion: ModelVersionRecord, max_age: str, now: datetime) -> PolicyCheck:
    from prodml.monitor.logquery import parse_window

    limit = parse_window(max_age, where="maintenance.policies.max_age")
    age = now - champion.created_at
    days = age.total_seconds() / 86400
    fired = age >= limit
    verb = "is older than" if fired else "is within"
    return PolicyCheck(
        "max_age",
        fired,
        f"the champion (v{champion.version}) is {_duration(age.total_seconds())} old: "
        f"{verb} {max_age}",
        round(days, 4),
        limit.total_seconds() / 86400,
    )


def _drift(windows: list[dict[str, Any]], threshold: float) -> PolicyCheck:
    judged = [w for w in windows if w["metrics"].get("drift_share") is not None]
    if not judged:
        return PolicyCheck(
            "drift_share", None, "no window with enough rows to judge drift", None, threshold
        )
    latest = judged[-1]
    share = float(latest["metrics"]["drift_share"])
    drifted = ", ".join((latest.get("drift") or {}).get("drifted_columns", [])) or "none"
    fired = share >= threshold
    return PolicyCheck(
        "drift_share",
        fired,
        f"drift share {share:.2f} in the window from {latest['start']:%Y-%m-%d %H:%M} UTC "
        f"({'at or above' if fired else 'below'} {threshold:g}; drifted: {drifted})",
        share,
        threshold,
    )


def _value(
    windows: list[dict[str, Any]], champion: ModelVersionRecord, drop: float, unit: str
) -> PolicyCheck:
    reference = champion.value_per_decision
    limit = reference - drop * abs(reference)
    for key, kind in (
        ("value_per_decision", "realised"),
        ("estimated_value_per_decision", "estimated"),
    ):
        known = [w for w in windows if w["metrics"].get(key) is not None]
        if known:
            value = float(known[-1]["metrics"][key])
            fired = value < limit
            return PolicyCheck(
                "value_drop",
                fired,
                f"{kind} value per decision {value:.2f} {unit} "
                f"{'is below' if fired else 'is not below'} {limit:.2f} "
                f"({drop:.0%} under the held-out {reference:.2f})",
                value,
                limit,
            )
    return PolicyCheck("value_drop", None, "no window with a value to compare", None, limit)


def _labels(project: Project, champion: ModelVersionRecord, wanted: int) -> PolicyCheck:
    from prodml.store import log_root, read_labelled_predictions

    log = read_labelled_predictions(log_root(project.root), since=champion.created_at)
    count = int((log["label"].notna() & (log["variant"] != "shadow")).sum()) if len(log) else 0
    fired = count >= wanted
    return PolicyCheck(
        "new_labels",
        fired,
        f"{count} labelled decisions since v{champion.version} was trained "
        f"({'at least' if fired else 'fewer than'} {wanted})",
        float(count),
        float(wanted),
    )


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"
