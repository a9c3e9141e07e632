"""Segments, edge cases and weak slices: the worse group is found, the others are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prodml.evaluate.bootstrap import Bootstrap
from prodml.evaluate.rows import EvaluationRows
from prodml.evaluate.slices import (
    benjamini_hochberg,
    categorize,
    evaluate_edge_cases,
    evaluate_segments,
    find_weak_slices,
    holm,
    welch_less,
)
from prodml.evaluate.value import BinaryValues


def rows_with_a_bad_group(n: int = 1500, seed: int = 0) -> EvaluationRows:
    """Scores are informative everywhere except in Region C and where X1 is high and X2 is b."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Region": rng.choice(["A", "B", "C"], n),
            "X1": rng.random(n),
            "X2": rng.choice(["a", "b"], n),
            "X3": rng.normal(size=n),
            "Amount": rng.uniform(500, 1500, n),
        }
    )
    y = rng.random(n) < 0.3
    good = np.clip(0.8 * y + 0.1 + rng.normal(0, 0.1, n), 0, 1)
    bad = (frame["Region"] == "C") | ((frame["X1"] > 0.75) & (frame["X2"] == "b"))
    scores = np.where(bad.to_numpy(), 1.0 - good, good)  # wrong way round in the bad rows
    amount = frame["Amount"].to_numpy()
    values = BinaryValues(tp=0 * amount, fp=-0.1 * amount, tn=0.1 * amount, fn=-amount)
    return EvaluationRows.build("binary", frame, y, scores, 0.5, values)


def test_the_deliberately_worse_segment_is_flagged_and_only_it() -> None:
    rows = rows_with_a_bad_group()
    boot = Bootstrap(rows.n, resamples=300, seed=0)
    family = evaluate_segments(rows, boot, ["Region"], min_rows=30, significance=0.05)
    by_level = {r.level: r for r in family.results}
    assert by_level["C"].flagged
    assert not by_level["A"].flagged and not by_level["B"].flagged
    c = by_level["C"]
    assert c.value_per_decision is not None and c.rest_value_per_decision is not None
    assert c.value_per_decision < c.rest_value_per_decision
    assert c.ci is not None and c.ci[0] <= c.value_per_decision <= c.ci[1]
    assert c.p_adjusted is not None and c.p_adjusted < 0.001
    assert c.metrics["roc_auc"] < 0.5 < by_level["A"].metrics["roc_auc"]
    assert set(c.metric_ci) == {"roc_auc"}
    assert "Welch" in family.test and "Holm" in family.test


def test_small_levels_are_listed_but_not_tested() -> None:
    rows = rows_with_a_bad_group(n=200)
    frame = rows.frame.assign(Rare=["x"] * 10 + ["y"] * 190)
    rows = EvaluationRows.build("binary", frame, rows.y, rows.scores, 0.5, rows.values)
    family = evaluate_segments(
        rows, Bootstrap(rows.n, resamples=100), ["Rare"], min_rows=30, significance=0.05
    )
    rare = next(r for r in family.results if r.level == "x")
    assert not rare.tested and rare.rows == 10 and rare.value_per_decision is None


def test_edge_cases_are_evaluated_like_segments() -> None:
    from prodml.filters import parse_filter

    rows = rows_with_a_bad_group()
    masks = {
        name: (text, parse_filter(text, where=name).evaluate(rows.frame, rows.n))
        for name, text in {"south": "Region == 'C'", "north": "Region == 'A'"}.items()
    }
    family = evaluate_edge_cases(
        rows, Bootstrap(rows.n, resamples=200), masks, min_rows=30, significance=0.05
    )
    assert [r.name for r in family.results if r.flagged] == ["south"]
    assert family.results[0].filter == "Region == 'C'"


def test_weak_slice_search_finds_the_planted_two_feature_slice() -> None:
    rows = rows_with_a_bad_group(n=3000, seed=1)
    family = find_weak_slices(
        rows,
        Bootstrap(rows.n, resamples=200),
        ["Region", "X1", "X2", "X3"],
        numeric={"X1", "X3"},
        min_rows=30,
        significance=0.05,
        bins=4,
        top=10,
    )
    names = [r.name for r in family.results]
    assert "Region = C" in names
    planted = [r for r in family.results if r.features == ["X1", "X2"] and "X2 = b" in r.name]
    assert planted and "X1 >" in planted[0].name
    assert all("X3" not in r.features for r in family.results)  # noise is not reported
    for r in family.results:
        assert r.p_adjusted is not None and r.p_adjusted < 0.05
        assert r.regret_per_decision is not None and r.rest_regret_per_decision is not None
        assert r.regret_per_decision > r.rest_regret_per_decision
    totals = [r.total_shortfall for r in family.results]
    assert totals == sorted(totals, reverse=True)
    assert "Benjamini-Hochberg" in family.test


def test_welch_p_values_match_scipy() -> None:
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 40), rng.normal(0.5, 3, 300)
    ours = welch_less(
        np.array([40]),
        np.array([a.mean()]),
        np.array([a.var(ddof=1)]),
        np.array([300]),
        np.array([b.mean()]),
        np.array([b.var(ddof=1)]),
    )
    assert ours[0] == pytest.approx(ttest_ind(a, b, equal_var=False, alternative="less").pvalue)


def test_multiple_testing_adjustments() -> None:
    from scipy.stats import false_discovery_control

    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"))
    # Holm: sorted 0.001*5, 0.01*4, 0.03*3, 0.04*2, 0.2*1, made monotone
    np.testing.assert_allclose(holm(p), [0.04, 0.09, 0.09, 0.2, 0.005])


def test_numbers_are_cut_into_right_closed_quantile_bins_and_zero_inflation_splits() -> None:
    debt = pd.Series([0.0] * 70 + list(np.linspace(1, 30, 30)), name="Debt")
    codes, _, conditions = categorize(debt, bins=4, max_levels=20)
    assert conditions == ["Debt <= 0", "0 < Debt <= 5.25", "Debt > 5.25"]
    assert np.bincount(codes).tolist() == [70, 5, 25]
    many = pd.Series(np.arange(100.0), name="Age")
    _, _, conditions = categorize(many, bins=4, max_levels=20)
    assert conditions[0] == "Age <= 24.75" and conditions[-1] == "Age > 74.25"
