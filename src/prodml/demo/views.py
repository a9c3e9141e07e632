"""The demo's tables: monitoring windows, A/B looks, the audit trail and the value summary.

Pure functions from what prodml returns (``MonitorReport.to_dict()``, ``ABStatus.to_dict()``,
``HistoryEntry``, the demo's :class:`~prodml.demo.ledger.ValueRow`) to the narrator, so the
story module stays about the order of events and these stay about how they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodml.demo.ledger import ValueRow
    from prodml.demo.narrator import Narrator
    from prodml.maintain.journal import HistoryEntry

__all__ = ["ab_line", "counted", "history_table", "monitor_table", "value_table"]

REASON_WIDTH = 100


def monitor_table(say: Narrator, report: dict[str, Any]) -> None:
    """One row per window of the monitored version: volume, labels, value, drift."""
    unit = report["unit"]
    rows = []
    for w in report["windows"]:
        m = w["metrics"]
        drift = w["drift"] or {}
        rows.append(
            (
                w["start"][11:16],
                f"{w['rows']:,}",
                pct(m.get("labelled_share")),
                num(m.get("value_per_decision")),
                num(m.get("estimated_value_per_decision")),
                pct(m.get("drift_share")),
                ", ".join(drift.get("drifted_columns", [])) or "-",
            )
        )
    held = report["reference"]["held_out"].get("value_per_decision")
    say.table(
        f"champion v{report['version']}, windows of {report['window']} (UTC)",
        (
            "window",
            "decisions",
            "labelled",
            f"realised {unit}/decision",
            f"estimated {unit}/decision",
            "drift share",
            "drifted columns",
        ),
        rows,
        caption=f"held-out reference: {num(held)} {unit}/decision",
    )


def ab_line(status: dict[str, Any]) -> str:
    """One look at the A/B test: each variant's labelled decisions and value, the interval."""
    unit = status.get("unit", "")
    text = (
        f"champion v{status['champion']}: {status['n_champion']:,} labelled, "
        f"{status['value_champion']:+.2f} {unit}/decision | challenger v{status['challenger']}: "
        f"{status['n_challenger']:,} labelled, {status['value_challenger']:+.2f} {unit}/decision"
    )
    if status.get("lower") is not None and abs(status["lower"]) != float("inf"):
        text += (
            f" | uplift {status['uplift']:+.2f} [{status['lower']:+.2f}, {status['upper']:+.2f}]"
        )
    text += f" -> {status['decision'].replace('_', ' ')}"
    needed = status.get("samples_still_needed")
    if needed and status["decision"] in ("keep_running", "not_enough_data"):
        text += f" (about {needed:,} per variant still needed)"
    return text


def history_table(say: Narrator, entries: Sequence[HistoryEntry]) -> None:
    """``prodml history``: every alias move and maintenance decision, oldest first."""
    rows = []
    for e in entries:
        if e.kind == "move":
            what = f"{e.alias} moved {_v(e.from_version)} -> {_v(e.to_version)}"
        else:
            what = f"{e.kind}: {e.decision}"
        reason = e.reason if len(e.reason) <= REASON_WIDTH else e.reason[: REASON_WIDTH - 1] + "…"
        rows.append((e.at.strftime("%H:%M:%S"), what, e.actor, reason))
    say.table("audit trail (prodml history)", ("UTC", "what", "actor", "reason"), rows)


def value_table(say: Narrator, rows: Sequence[ValueRow], unit: str) -> None:
    """Realised value per decision per phase and version: the before/after of the story."""
    say.table(
        f"realised value per decision ({unit}), every simulated decision priced with its outcome",
        ("phase", "version", "variant", "decisions", f"{unit}/decision", "declined"),
        [
            (
                row.phase,
                f"v{row.version}",
                row.variant,
                f"{row.decisions:,}",
                num(row.value_per_decision),
                pct(row.declined_share),
            )
            for row in rows
        ],
    )


def counted(items: Sequence[str]) -> list[str]:
    """Repeats in a row said once with their count: ``ab: keep_running x5``."""
    runs: list[list[Any]] = []
    for item in items:
        if runs and runs[-1][0] == item:
            runs[-1][1] += 1
        else:
            runs.append([item, 1])
    return [f"{item} x{n}" if n > 1 else str(item) for item, n in runs]


def num(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def pct(value: Any) -> str:
    return "-" if value is None else f"{value:.0%}"


def _v(version: int | None) -> str:
    return "-" if version is None else f"v{version}"
