"""Choose the model: most value per decision, but simple unless complexity clearly pays.

Within a family the configuration with the highest cross-validated value wins. Across families we
walk from simplest to most complex; a more complex family replaces the current choice only when
its value exceeds it by ``tolerance x headroom``, where headroom is the value per decision a
perfect model would add over the best trivial policy. Expressing the tolerance as a share of the
headroom makes one setting mean the same thing for loans in euros and houses in dollars.
"""

from __future__ import annotations

from dataclasses import dataclass

from prodml.train.candidates import COMPLEXITY
from prodml.train.crossval import CandidateResult

__all__ = ["Selection", "select_candidate"]


@dataclass(frozen=True)
class Selection:
    chosen: CandidateResult
    margin: float  # the value per decision a more complex family had to add
    notes: list[str]


def select_candidate(
    results: list[CandidateResult], *, headroom: float, tolerance: float, unit: str
) -> Selection:
    best_per_family: dict[str, CandidateResult] = {}
    for result in results:
        name = result.config.name
        if name not in best_per_family or (
            result.value_per_decision > best_per_family[name].value_per_decision
        ):
            best_per_family[name] = result
    margin = tolerance * max(headroom, 0.0)
    ordered = [best_per_family[name] for name in COMPLEXITY if name in best_per_family]
    chosen = ordered[0]
    notes = [
        f"a more complex model must add {margin:.4g} {unit} per decision "
        f"({tolerance:.1%} of the {headroom:.4g} headroom over the best trivial policy)"
    ]
    for challenger in ordered[1:]:
        gain = challenger.value_per_decision - chosen.value_per_decision
        if gain > margin:
            notes.append(
                f"{challenger.config.label} beats {chosen.config.label} by {gain:.4g} {unit} "
                "per decision: chosen"
            )
            chosen = challenger
        else:
            notes.append(
                f"{challenger.config.label} adds only {gain:.4g} {unit} per decision over "
                f"{chosen.config.label}: the simpler model is kept"
            )
    return Selection(chosen=chosen, margin=margin, notes=notes)
