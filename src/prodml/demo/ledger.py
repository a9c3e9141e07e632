"""What every simulated decision earned, kept by the demo for its before/after summary.

The demo knows each application's true outcome, so it can price every decision the server took
with the project's own value expressions (``problem.value``) and the same per-row rule as
training and monitoring (:func:`prodml.evaluate.value.binary_row_values`). Grouped by phase
(before drift, under drift, A/B test, after promotion) and by model version, this is the
"value per decision before and after" of the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prodml.demo.project import ID_COLUMN

if TYPE_CHECKING:
    import pandas as pd

    from prodml.demo.traffic import Applications
    from prodml.spec import Spec

__all__ = ["Ledger", "ValueRow"]


@dataclass(frozen=True)
class ValueRow:
    """Realised value per decision of one model version in one phase."""

    phase: str
    version: int
    variant: str
    decisions: int
    value_per_decision: float
    declined_share: float


@dataclass
class Ledger:
    """Every scored application: phase, who decided, what, and what it earned."""

    spec: Spec
    frames: list[pd.DataFrame] = field(default_factory=list)

    def add(self, phase: str, applications: Applications, decisions: pd.DataFrame) -> None:
        """Price the scored ``decisions`` of ``applications`` (rejected records earn nothing)."""
        import numpy as np

        from prodml.evaluate.value import BinaryValues, binary_row_values

        records = applications.records.assign(outcome=applications.outcomes.to_numpy())
        scored = decisions[decisions["decision"].notna()].merge(records, on=ID_COLUMN)
        data = {column: scored[column].to_numpy() for column in scored.columns}
        values = BinaryValues.from_expressions(
            self.spec.problem.value_expressions(), data, len(scored)
        )
        y = (scored["outcome"].astype(str) == str(self.spec.problem.positive)).to_numpy()
        act = scored["decision"].to_numpy(dtype=bool)
        priced = scored[[ID_COLUMN, "variant", "model_version", "decision"]].assign(
            phase=phase, value=binary_row_values(y, act, values).astype(np.float64)
        )
        self.frames.append(priced)

    def summary(self) -> list[ValueRow]:
        """Value per decision per phase and version, in the order the phases happened."""
        import pandas as pd

        if not self.frames:
            return []
        frame = pd.concat(self.frames, ignore_index=True)
        phases = list(dict.fromkeys(frame["phase"]))
        grouped = frame.groupby(["phase", "model_version", "variant"], sort=False)
        rows = [
            ValueRow(
                phase=str(phase),
                version=int(str(version)),
                variant=str(variant),
                decisions=len(group),
                value_per_decision=float(group["value"].mean()),
                declined_share=float(group["decision"].astype(bool).mean()),
            )
            for (phase, version, variant), group in grouped
        ]
        return sorted(rows, key=lambda r: (phases.index(r.phase), r.version))
