"""Simulated production traffic: held-back applications, resampled, with injected drift.

Two changes of the world, both growing with the demo's progress:

* **income inflation**: every applicant's ``Income`` is multiplied by a factor rising from 1.0
  to ``max_income_factor`` (2.5 by default: at 1.5 or 2.0 the champion loses too little for an
  A/B test to tell champion and retrained challenger apart within the demo's few thousand
  decisions; measured out of sample, the challenger's uplift was about 15 EUR per decision at
  2.0 and 29 at 2.5 with the default seed). Nominal incomes rise, repayment does not:
  each applicant keeps their true outcome. A model trained before the inflation sees richer
  applicants, underestimates their risk and approves too many.
* **a new job category**: a growing share of the applicants who work part-time, freelance or in
  other insecure jobs now say ``gig``, a level the model never saw at training. They keep their
  real (high) default rate; the served model can only treat ``gig`` as unknown.

Each simulated application gets a new applicant id (``s000001``...), so A/B assignment is
sticky per applicant and delayed labels join their decision by entity id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prodml.demo.project import ID_COLUMN, TARGET

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["GIG", "GIG_SOURCES", "Applications", "Drift", "applicant_ids", "simulate"]

GIG = "gig"
GIG_SOURCES = ("partime", "freelance", "others")


@dataclass(frozen=True)
class Drift:
    """How far the world has moved: the income factor and the share of ``gig`` applicants."""

    income_factor: float = 1.0
    gig_share: float = 0.0

    @classmethod
    def at(
        cls, progress: float, *, max_income_factor: float = 2.5, max_gig_share: float = 0.35
    ) -> Drift:
        """The drift at ``progress`` in [0, 1]: none at 0, the full amount at 1, linear between."""
        p = min(1.0, max(0.0, progress))
        return cls(1.0 + (max_income_factor - 1.0) * p, max_gig_share * p)

    def describe(self) -> str:
        return f"incomes x{self.income_factor:.2f}, {self.gig_share:.0%} of applicants say 'gig'"


@dataclass(frozen=True)
class Applications:
    """One batch of simulated applications and, kept apart, their true outcomes."""

    records: pd.DataFrame  # what the server is sent: applicant_id and the features
    outcomes: pd.Series  # the true Status, indexed like records, sent later as feedback
    drift: Drift

    @property
    def ids(self) -> list[str]:
        return [str(x) for x in self.records[ID_COLUMN]]


def applicant_ids(prefix: str = "s") -> Iterator[str]:
    """Fresh applicant ids, never reused within one demo."""
    n = 0
    while True:
        n += 1
        yield f"{prefix}{n:06d}"


def simulate(
    pool: pd.DataFrame, n: int, drift: Drift, rng: np.random.Generator, ids: Iterator[str]
) -> Applications:
    """``n`` applications resampled from ``pool`` (with replacement) under ``drift``."""
    import numpy as np

    rows = pool.iloc[rng.integers(0, len(pool), size=n)].reset_index(drop=True)
    outcomes = rows.pop(TARGET).astype(str)
    rows["Income"] = rows["Income"] * drift.income_factor
    insecure = rows["Job"].isin(GIG_SOURCES).to_numpy()
    if drift.gig_share > 0 and insecure.any():
        # Of the insecure jobs, this share says gig, so that gig_share of all applicants do.
        switch = min(1.0, drift.gig_share / float(insecure.mean()))
        says_gig = insecure & (rng.random(n) < switch)
        rows["Job"] = np.where(says_gig, GIG, rows["Job"].to_numpy(dtype=object))
    rows.insert(0, ID_COLUMN, [next(ids) for _ in range(n)])
    return Applications(records=rows, outcomes=outcomes, drift=drift)
