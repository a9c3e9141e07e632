"""The running A/B test: realised value per decision of each variant, judged sequentially.

Each variant is judged on its own traffic since the test started (the router's sticky share):
the realised value of every labelled decision it made, from the project's value expressions on
the features it saw and the outcome that came back. :func:`~prodml.maintain.sequential.
compare_sequential` turns the two samples into an always-valid interval for the uplift, so
``prodml ab`` can be run every hour without inflating the false-positive rate, and a decision:
promote, keep running, or stop for harm. A test that stays unresolved past
``maintenance.ab.max_duration`` expires (the champion stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from prodml.maintain.journal import ABTest
    from prodml.maintain.sequential import SequentialResult
    from prodml.project import Project

__all__ = ["ABStatus", "ab_status"]


@dataclass(frozen=True)
class ABStatus:
    test: ABTest
    result: SequentialResult
    expired: bool
    unit: str

    @property
    def decision(self) -> str:
        if self.result.decision in ("keep_running", "not_enough_data") and self.expired:
            return "expired"
        return self.result.decision

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.test.to_dict(),
            **self.result.to_dict(),
            "decision": self.decision,
            "expired": self.expired,
            "unit": self.unit,
        }

    def lines(self) -> list[str]:
        r, t = self.result, self.test
        lines = [
            f"A/B test {t.id}: champion v{t.champion} vs challenger v{t.challenger} "
            f"({t.share:.0%} of entities), since {t.started_at:%Y-%m-%d %H:%M} UTC",
            f"  champion   v{t.champion}: {r.n_champion} labelled decisions, "
            f"{r.value_champion:+.2f} {self.unit} per decision",
            f"  challenger v{t.challenger}: {r.n_challenger} labelled decisions, "
            f"{r.value_challenger:+.2f} {self.unit} per decision",
        ]
        if np.isfinite(r.lower):
            lines.append(
                f"  uplift {r.uplift:+.2f} {self.unit} per decision, always-valid "
                f"{1 - r.alpha:.0%} interval [{r.lower:+.2f}, {r.upper:+.2f}], "
                f"p = {r.p_value:.3g}"
            )
        decision = self.decision.replace("_", " ")
        needed = (
            f" (about {r.samples_still_needed} labelled decisions per variant still needed)"
            if r.samples_still_needed
            else ""
        )
        lines.append(f"  decision: {decision}{needed}")
        return lines


def ab_status(project: Project, test: ABTest, *, now: datetime) -> ABStatus:
    """Compare the two variants on the labelled decisions each made since ``test`` started."""
    from prodml.maintain.fresh_data import labelled_log_rows
    from prodml.maintain.sequential import compare_sequential
    from prodml.monitor.logquery import parse_window

    settings = project.spec.maintenance.ab
    bundle = project.load_model(test.champion)
    rows = labelled_log_rows(project, bundle, test.started_at)
    samples = []
    for variant, version in (("champion", test.champion), ("challenger", test.challenger)):
        mine = rows[(rows["__variant__"] == variant) & (rows["__version__"] == version)]
        samples.append(_realised(project, mine))
    result = compare_sequential(
        samples[0],
        samples[1],
        alpha=settings.alpha,
        harm_margin=settings.harm_margin,
        min_samples=settings.min_samples,
    )
    limit = parse_window(settings.max_duration, where="maintenance.ab.max_duration")
    return ABStatus(test, result, now - test.started_at >= limit, project.spec.problem.unit)


def _realised(project: Project, rows: Any) -> np.ndarray:
    from prodml.maintain.realised import decision_values
    from prodml.train.target import prepare_target

    if len(rows) == 0:
        return np.zeros(0)
    labels = prepare_target(rows, project.spec.problem)
    taken = rows.iloc[labels.rows]
    return decision_values(project.spec, taken, labels.y, taken["__decision__"].to_numpy())
