"""Drift statistics against scipy on fixed samples, and the sample-size-aware verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

from prodml.monitor import DriftRule, Profile, column_drift, profile_column
from prodml.monitor.drift import DEFAULT_THRESHOLDS, chi_square, jensen_shannon, ks_test, psi

RNG = np.random.default_rng(11)
REFERENCE = RNG.integers(0, 60, 800).astype(float)  # few distinct values: exact bins
CURRENT = np.clip(RNG.integers(0, 60, 500) + 4, 0, 70).astype(float)
LEVELS = np.array(["rent", "owner", "parents", "other"])
REF_CAT = RNG.choice(LEVELS, 900, p=[0.4, 0.4, 0.15, 0.05])
CUR_CAT = RNG.choice(LEVELS, 400, p=[0.5, 0.3, 0.15, 0.05])


def _numeric_pair() -> tuple[object, object]:
    edges = sorted(set(REFERENCE) | set(CURRENT))
    return (
        profile_column("x", REFERENCE, "numeric", edges=edges),
        profile_column("x", CURRENT, "numeric", edges=edges),
    )


def test_ks_statistic_equals_scipys_and_its_p_value_stays_close() -> None:
    reference, current = _numeric_pair()
    statistic, p_value = ks_test(np.array(reference.counts), np.array(current.counts))
    expected = ks_2samp(REFERENCE, CURRENT, method="asymp")
    assert statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=0.03)


@pytest.mark.parametrize("size", [50, 100, 1000, 100_000])
def test_ks_p_value_is_exact_where_the_verdict_is_made(size: int) -> None:
    """Within 0.3% of the exact distribution at 0.05, within 1.1% from 0.01 to 0.1."""
    from scipy.stats import kstwo

    for alpha in (0.1, 0.05, 0.01):
        d = float(kstwo.isf(alpha, size))
        # two samples of 2 * size rows each have an effective size of `size`
        scale = 2 * size
        reference = np.zeros(2)
        reference[:] = [scale * 0.5, scale * 0.5]
        current = np.array([scale * (0.5 + d), scale * (0.5 - d)])
        statistic, p_value = ks_test(reference, current)
        assert statistic == pytest.approx(d, rel=1e-9)
        assert p_value == pytest.approx(alpha, rel=0.003 if alpha == 0.05 else 0.011)


def test_wasserstein_equals_scipys_and_is_normalised_by_the_reference_spread() -> None:
    reference, current = _numeric_pair()
    drift = column_drift(reference, current, DriftRule())
    raw = wasserstein_distance(REFERENCE, CURRENT)
    assert drift.stats["wasserstein_raw"] == pytest.approx(raw, rel=1e-9)
    assert drift.stats["wasserstein"] == pytest.approx(raw / REFERENCE.std(ddof=1), rel=1e-9)


def test_wasserstein_with_percentile_bins_stays_close_to_the_exact_one() -> None:
    reference = RNG.normal(50, 10, 20_000)
    current = RNG.normal(53, 12, 20_000)
    ref = profile_column("x", reference, "numeric")
    cur = profile_column("x", current, "numeric", edges=ref.edges)
    drift = column_drift(ref, cur, DriftRule())
    exact = wasserstein_distance(reference, current) / reference.std(ddof=1)
    assert drift.stats["wasserstein"] == pytest.approx(exact, abs=0.02)


def test_chi_square_and_jensen_shannon_equal_scipys() -> None:
    ref = profile_column("home", REF_CAT, "categorical")
    cur = profile_column("home", CUR_CAT, "categorical")
    levels = list(ref.categories)
    r = np.array([ref.categories.get(k, 0) for k in levels])
    c = np.array([cur.categories.get(k, 0) for k in levels])
    statistic, p_value, cramers_v = chi_square(r, c)
    expected = chi2_contingency(np.vstack([r, c]), correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-6)
    assert cramers_v == pytest.approx(np.sqrt(expected.statistic / (r.sum() + c.sum())))
    assert jensen_shannon(r, c) == pytest.approx(jensenshannon(r, c, base=2), rel=1e-9)


def test_psi_follows_its_formula() -> None:
    r, c = np.array([50.0, 30.0, 20.0]), np.array([30.0, 30.0, 40.0])
    shares_r, shares_c = r / r.sum(), c / c.sum()
    expected = np.sum((shares_c - shares_r) * np.log(shares_c / shares_r))
    assert psi(r, c) == pytest.approx(expected)


@pytest.mark.parametrize("method", sorted(DEFAULT_THRESHOLDS))
@pytest.mark.parametrize("kind", ["numeric", "categorical"])
def test_every_method_sees_no_drift_between_a_sample_and_itself(method: str, kind: str) -> None:
    values = REFERENCE if kind == "numeric" else REF_CAT
    profile = profile_column("x", values, kind)  # type: ignore[arg-type]
    drift = column_drift(profile, profile, DriftRule(method=method))
    assert drift.judged and not drift.drifted
    assert drift.effect == pytest.approx(0.0, abs=1e-12)


def test_a_tiny_shift_in_a_huge_window_is_significant_but_not_drift() -> None:
    reference = RNG.normal(0, 1, 400_000)
    current = RNG.normal(0.02, 1, 400_000)  # a fiftieth of a standard deviation
    ref = profile_column("x", reference, "numeric")
    drift = column_drift(ref, profile_column("x", current, "numeric", edges=ref.edges), DriftRule())
    assert drift.p_value is not None and drift.p_value < 1e-6  # a p-value rule would flag it
    assert not drift.drifted


def test_a_small_noisy_window_is_not_flagged_and_a_tiny_one_is_not_judged() -> None:
    reference = RNG.normal(0, 1, 5000)
    ref = profile_column("x", reference, "numeric")
    flagged = large_effect = 0
    for seed in range(40):
        sample = np.random.default_rng(seed).normal(0, 1, 120)
        drift = column_drift(
            ref, profile_column("x", sample, "numeric", edges=ref.edges), DriftRule()
        )
        flagged += drift.drifted
        large_effect += drift.effect is not None and drift.effect >= drift.threshold
    assert large_effect >= 20  # an effect threshold alone would flag most of these windows
    assert flagged <= 4  # the test keeps false alarms near alpha (5%)
    tiny = column_drift(
        ref, profile_column("x", reference[:20], "numeric", edges=ref.edges), DriftRule()
    )
    assert not tiny.judged and "at least 100" in tiny.note


def test_a_real_shift_and_a_new_category_are_flagged() -> None:
    ref = profile_column("x", RNG.normal(0, 1, 5000), "numeric")
    shifted = profile_column("x", RNG.normal(0.5, 1, 1000), "numeric", edges=ref.edges)
    assert column_drift(ref, shifted, DriftRule()).drifted
    cats = profile_column("home", REF_CAT, "categorical")
    current = np.concatenate([REF_CAT[:600], np.full(200, "boat")])
    drift = column_drift(cats, profile_column("home", current, "categorical"), DriftRule())
    assert drift.drifted and drift.new_levels == {"boat": pytest.approx(0.25)}


def test_profiles_merge_to_the_profile_of_all_rows() -> None:
    ref = profile_column("x", REFERENCE, "numeric")
    a = profile_column("x", CURRENT[:200], "numeric", edges=ref.edges)
    b = profile_column("x", CURRENT[200:], "numeric", edges=ref.edges)
    whole = profile_column("x", CURRENT, "numeric", edges=ref.edges)
    merged = a.merge(b)
    assert merged.counts == whole.counts and merged.rows == whole.rows
    assert merged.mean == pytest.approx(whole.mean) and merged.std == pytest.approx(whole.std)
    profile = Profile({"x": ref}, None, len(REFERENCE))
    assert Profile.from_dict(profile.to_dict()).features["x"] == ref


def test_the_expected_auc_equals_the_auc_of_soft_labels() -> None:
    from prodml.evaluate.bootstrap import weighted_auc
    from prodml.monitor.estimation import expected_auc

    p = np.round(RNG.beta(2, 5, 3000), 3)  # ties included
    both = np.concatenate([p, 1 - p])[None, :]
    labels = np.concatenate([np.ones(len(p), dtype=bool), np.zeros(len(p), dtype=bool)])
    assert expected_auc(p) == pytest.approx(weighted_auc(both, labels, np.r_[p, p])[0])


def test_the_public_names_of_prodml_monitor_resolve() -> None:
    import prodml.monitor

    assert sorted(prodml.monitor.__all__) == prodml.monitor.__all__
    for name in prodml.monitor.__all__:
        assert getattr(prodml.monitor, name) is not None


def test_the_closed_form_survival_functions_equal_scipys() -> None:
    from scipy.special import chdtrc, kolmogorov

    from prodml.monitor.drift import chi_square_sf, kolmogorov_sf

    for y in np.linspace(0.01, 4.0, 400):
        assert kolmogorov_sf(float(y)) == pytest.approx(float(kolmogorov(y)), abs=1e-13)
    for dof in (1, 2, 3, 10, 51, 1000):
        for x in (*np.linspace(0.01, 3.0 * dof + 30.0, 60), 1e4, 1e5):
            expected = float(chdtrc(dof, x))
            assert chi_square_sf(float(x), dof) == pytest.approx(expected, rel=1e-10, abs=1e-300)
