"""Comparing two snapshots: schema changes and how far each column moved."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prodml.data import take_snapshot
from prodml.data.diff import PSI_MAJOR, diff_frames


def test_schema_changes_and_shift_are_reported() -> None:
    rng = np.random.default_rng(0)
    a = pd.DataFrame(
        {
            "Income": rng.normal(100, 10, 2000),
            "Age": rng.integers(18, 70, 2000),
            "Home": rng.choice(["rent", "owner"], 2000),
            "Old": 1,
        }
    )
    b = pd.DataFrame(
        {
            "Income": rng.normal(140, 10, 1500),  # moved a lot
            "Age": rng.integers(18, 70, 1500),  # did not move
            "Home": rng.choice(["rent", "owner", "castle"], 1500),
            "New": "x",
        }
    )
    snap_a, snap_b = take_snapshot(a), take_snapshot(b.astype({"Age": "float64"}))
    result = diff_frames(a, b, types_a=snap_a.columns, types_b=snap_b.columns)
    assert (result.rows_a, result.rows_b) == (2000, 1500)
    assert result.added == {"New": "string"} and result.removed == {"Old": "int64"}
    assert result.retyped == {"Age": ("int64", "float64")}
    shifts = {s.name: s for s in result.shifts}
    assert shifts["Income"].psi > PSI_MAJOR and shifts["Income"].verdict == "major"
    assert shifts["Income"].ks is not None and shifts["Income"].ks > 0.8
    assert shifts["Age"].verdict == "stable"
    assert shifts["Home"].new_levels == ["castle"] and shifts["Home"].gone_levels == []
    assert result.to_dict()["columns"][0]["verdict"] in {"stable", "moderate", "major"}
