"""An A/B comparison of value per decision that stays valid however often it is looked at.

A fixed-sample t-test checked every morning will, sooner or later, declare a winner between two
identical models: each look is another chance for noise to cross the line. We use the mixture
sequential probability ratio test (mSPRT, Johari et al., "Always valid inference", 2017) on the
difference of mean value per decision, with a normal mixing distribution ``N(0, tau^2)``:

    V      = var_a / n_a + var_b / n_b                       (variance of the difference)
    Lambda = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))

``Lambda >= 1 / alpha`` at any look rejects "no difference" with type-I error at most ``alpha``
over the whole, continuously monitored test. Inverting it gives a confidence *sequence*: the
interval below covers the true uplift at every sample size simultaneously. ``tau`` is the scale of
uplifts we expect; by default a fifth of the champion's per-decision standard deviation, which is
where the test is most sensitive (a small effect relative to the noise, the usual A/B regime).

Variances are plug-in estimates, so the guarantee is asymptotic; the test suite checks the
false-positive rate by simulating A/A tests with a look after every batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["SequentialResult", "always_valid_interval", "compare_sequential"]

Decision = Literal["promote", "keep_running", "stop_for_harm", "not_enough_data"]


@dataclass(frozen=True)
class SequentialResult:
    n_champion: int
    n_challenger: int
    value_champion: float
    value_challenger: float
    uplift: float  # challenger minus champion, value per decision
    lower: float  # always-valid confidence sequence at the current sample size
    upper: float
    p_value: float  # always-valid p-value for "no difference"
    decision: Decision
    samples_still_needed: int | None  # per variant, to resolve an uplift of the observed size
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _half_width(variance: float, tau2: float, alpha: float) -> float:
    """Half-width of the mSPRT confidence sequence for a difference with this variance."""
    if variance <= 0:
        return 0.0
    ratio = (variance + tau2) / variance
    return math.sqrt(2.0 * variance * (variance + tau2) / tau2 * math.log(math.sqrt(ratio) / alpha))


def always_valid_interval(
    difference: float, variance: float, *, tau: float, alpha: float
) -> tuple[float, float, float]:
    """``(lower, upper, p_value)`` for an observed difference whose variance is ``variance``."""
    tau2 = tau * tau
    if variance <= 0:
        return difference, difference, 0.0 if difference != 0 else 1.0
    log_lambda = 0.5 * math.log(variance / (variance + tau2)) + (
        difference * difference * tau2 / (2.0 * variance * (variance + tau2))
    )
    p_value = min(1.0, math.exp(-log_lambda)) if log_lambda < 700 else 0.0
    half = _half_width(variance, tau2, alpha)
    return difference - half, difference + half, p_value


def compare_sequential(
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    alpha: float = 0.05,
    tau: float | None = None,
    harm_margin: float = 0.0,
    min_samples: int = 30,
) -> SequentialResult:
    """Compare realised value per decision of two variants; decide promote / keep / stop.

    ``champion`` and ``challenger`` hold the realised value of each labelled decision. The
    decision: *promote* when the whole interval is above zero, *stop_for_harm* when it is wholly
    below ``-harm_margin``, otherwise *keep_running* (with the samples per variant still needed
    for an uplift of the observed size to resolve).
    """
    a = np.asarray(champion, dtype=np.float64)
    b = np.asarray(challenger, dtype=np.float64)
    n_a, n_b = len(a), len(b)
    mean_a = float(a.mean()) if n_a else 0.0
    mean_b = float(b.mean()) if n_b else 0.0
    uplift = mean_b - mean_a
    if min(n_a, n_b) < max(2, min_samples):
        return SequentialResult(
            n_a, n_b, mean_a, mean_b, uplift, -math.inf, math.inf, 1.0, "not_enough_data",
            None, alpha,
        )  # fmt: skip
    var_a = float(a.var(ddof=1))
    var_b = float(b.var(ddof=1))
    scale = tau if tau is not None else 0.2 * math.sqrt(max(var_a, var_b, 1e-12))
    variance = var_a / n_a + var_b / n_b
    lower, upper, p_value = always_valid_interval(uplift, variance, tau=scale, alpha=alpha)
    decision: Decision
    if lower > 0:
        decision = "promote"
    elif upper < -harm_margin:
        decision = "stop_for_harm"
    else:
        decision = "keep_running"
    needed = None
    if decision == "keep_running" and uplift != 0:
        needed = _samples_needed(abs(uplift), var_a + var_b, scale * scale, alpha)
    return SequentialResult(
        n_a, n_b, mean_a, mean_b, uplift, lower, upper, p_value, decision, needed, alpha
    )


def _samples_needed(effect: float, total_var: float, tau2: float, alpha: float) -> int:
    """Smallest n per variant at which an uplift of ``effect`` would clear the interval."""
    low, high = 1, 2
    while _half_width(total_var / high, tau2, alpha) >= effect:
        high *= 2
        if high > 10**12:
            return high
    while low < high:
        middle = (low + high) // 2
        if _half_width(total_var / middle, tau2, alpha) < effect:
            high = middle
        else:
            low = middle + 1
    return low
