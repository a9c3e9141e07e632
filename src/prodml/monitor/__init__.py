"""Monitoring: drift, data quality, performance (realised and estimated), health, alerts.

``run_monitor(project)`` is one pass over the prediction log (``prodml monitor``);
``record_feedback`` appends ground truth (``prodml feedback``); profiles and drift statistics
are usable on their own. Names are imported on first use, so ``import prodml.monitor`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodml._lazy import lazy_exports

__all__ = [
    "Alert",
    "ColumnDrift",
    "ColumnProfile",
    "DriftRule",
    "FeedbackReceipt",
    "MonitorReport",
    "Profile",
    "column_drift",
    "list_alerts",
    "profile_column",
    "record_feedback",
    "render_dashboard",
    "run_monitor",
]

_EXPORTS = {
    "Alert": "prodml.monitor.alerts",
    "ColumnDrift": "prodml.monitor.drift",
    "ColumnProfile": "prodml.monitor.profiles",
    "DriftRule": "prodml.monitor.drift",
    "FeedbackReceipt": "prodml.monitor.feedback",
    "MonitorReport": "prodml.monitor.run",
    "Profile": "prodml.monitor.profiles",
    "column_drift": "prodml.monitor.drift",
    "list_alerts": "prodml.monitor.alerts",
    "profile_column": "prodml.monitor.profiles",
    "record_feedback": "prodml.monitor.feedback",
    "render_dashboard": "prodml.monitor.dashboard",
    "run_monitor": "prodml.monitor.run",
}

if TYPE_CHECKING:
    from prodml.monitor.alerts import Alert, list_alerts
    from prodml.monitor.dashboard import render_dashboard
    from prodml.monitor.drift import ColumnDrift, DriftRule, column_drift
    from prodml.monitor.feedback import FeedbackReceipt, record_feedback
    from prodml.monitor.profiles import ColumnProfile, Profile, profile_column
    from prodml.monitor.run import MonitorReport, run_monitor


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
