"""The A/B test must not crown a winner between identical models, however often it is checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from prodml.maintain.sequential import always_valid_interval, compare_sequential


def peeking_false_positive_rates(
    sims: int, looks: int, batch: int, seed: int
) -> tuple[float, float]:
    """A/A tests looked at after every batch: (mSPRT rate, naive z-test rate)."""
    rng = np.random.default_rng(seed)
    # value per decision of a loan book: skewed, mostly small gains and a few large losses
    a = np.where(rng.random((sims, looks * batch)) < 0.2, -600.0, 80.0)
    b = np.where(rng.random((sims, looks * batch)) < 0.2, -600.0, 80.0)
    sequential_hits = np.zeros(sims, dtype=bool)
    naive_hits = np.zeros(sims, dtype=bool)
    for look in range(1, looks + 1):
        n = look * batch
        xa, xb = a[:, :n], b[:, :n]
        diff = xb.mean(axis=1) - xa.mean(axis=1)
        variance = xa.var(axis=1, ddof=1) / n + xb.var(axis=1, ddof=1) / n
        naive_hits |= np.abs(diff) / np.sqrt(variance) > 1.96
        tau = 0.2 * math.sqrt(float(xa.var(ddof=1)))
        for i in np.flatnonzero(~sequential_hits):
            lower, upper, _ = always_valid_interval(
                float(diff[i]), float(variance[i]), tau=tau, alpha=0.05
            )
            sequential_hits[i] = lower > 0 or upper < 0
    return float(sequential_hits.mean()), float(naive_hits.mean())


def test_aa_tests_under_continuous_monitoring_keep_the_false_positive_rate() -> None:
    sequential, naive = peeking_false_positive_rates(sims=400, looks=40, batch=50, seed=1)
    assert sequential <= 0.05 + 0.02  # alpha plus simulation noise (s.e. ~0.011)
    assert naive > 0.15  # what peeking at a fixed-sample test would have done


def test_a_real_uplift_is_promoted_and_harm_is_stopped() -> None:
    rng = np.random.default_rng(3)
    champion = rng.normal(40, 100, 4000)
    better = compare_sequential(champion, rng.normal(55, 100, 4000))
    assert better.decision == "promote"
    assert better.lower > 0 and better.lower < 15 < better.upper
    worse = compare_sequential(champion, rng.normal(20, 100, 4000))
    assert worse.decision == "stop_for_harm"


def test_undecided_tests_say_how_many_samples_are_still_needed() -> None:
    rng = np.random.default_rng(4)
    result = compare_sequential(rng.normal(40, 100, 300), rng.normal(45, 100, 300))
    assert result.decision == "keep_running"
    assert result.samples_still_needed is not None and result.samples_still_needed > 300
    assert result.lower < result.uplift < result.upper


def test_too_few_labels_decide_nothing() -> None:
    result = compare_sequential(np.ones(5), np.ones(5) * 2)
    assert result.decision == "not_enough_data"
    assert result.p_value == pytest.approx(1.0)
