"""Data quality per window: what the validator repaired and rejected, and why; missing values
and unseen categories per feature; duplicate ids; volume anomalies.

The counts come from the prediction log (each record's status, and the structured repairs and
errors the validator attached to it); missing shares from the window's feature profile, which
sees the features as the model saw them after repair.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from prodml.monitor.profiles import Profile

__all__ = ["volume_ratios", "window_quality"]


def window_quality(counts: dict[str, Any] | None, profile: Profile | None) -> dict[str, Any]:
    """One window's quality summary from its log counts and its feature profile."""
    counts = counts or {"rows": 0, "repaired": 0, "rejected": 0, "checks": {}}
    rows = int(counts.get("rows", 0))
    by_check: dict[str, int] = {}
    for checks in counts.get("checks", {}).values():
        for key, count in checks.items():
            check = key.split(":", 1)[1]
            by_check[check] = by_check.get(check, 0) + int(count)
    missing = {}
    if profile is not None:
        for name, column in profile.features.items():
            if column.rows:
                missing[name] = column.missing_share
    share = (lambda k: by_check.get(k, 0) / rows) if rows else (lambda k: 0.0)
    return {
        "rows": rows,
        "rejected_share": counts.get("rejected", 0) / rows if rows else 0.0,
        "repaired_share": counts.get("repaired", 0) / rows if rows else 0.0,
        "missing_share": float(np.mean(list(missing.values()))) if missing else 0.0,
        "unseen_share": share("unseen"),
        "out_of_range_share": share("out_of_range"),
        "wrong_type_share": share("wrong_type"),
        "checks": by_check,
        "by_field": counts.get("checks", {}),
        "missing_by_feature": missing,
        "duplicate_ids": int(counts.get("duplicate_entity_ids", 0))
        + int(counts.get("duplicate_prediction_ids", 0)),
    }


def volume_ratios(
    rows: dict[datetime, int], tolerance: float
) -> dict[datetime, tuple[float | None, bool]]:
    """Each window's rows over the median of the other windows', and whether that is outside
    ``[1 / tolerance, tolerance]``; judged only with at least three other windows."""
    out: dict[datetime, tuple[float | None, bool]] = {}
    keys = list(rows)
    for key in keys:
        others = [rows[k] for k in keys if k != key]
        if len(others) < 3:
            out[key] = (None, False)
            continue
        median = float(np.median(others))
        ratio = rows[key] / median if median > 0 else None
        anomaly = ratio is not None and (ratio > tolerance or ratio < 1.0 / tolerance)
        out[key] = (ratio, bool(anomaly))
    return out
