"""Bootstrap intervals: right on simulated data, reproducible, and equal to the slow way."""

from __future__ import annotations

import numpy as np
import pytest

from prodml.evaluate.bootstrap import Bootstrap, weighted_auc


def test_the_interval_covers_the_true_mean_about_as_often_as_promised() -> None:
    # 200 simulated evaluation sets of 200 skewed, heavy-tailed row values (like losses)
    rng = np.random.default_rng(0)
    truth = 1.0 * np.exp(0.5)  # mean of a lognormal(0, 1)
    hits = 0
    trials = 200
    for trial in range(trials):
        values = rng.lognormal(0.0, 1.0, 200)
        boot = Bootstrap(200, resamples=400, seed=trial, confidence=0.90)
        low, high = boot.interval(boot.means(values)[:, 0])
        hits += low <= truth <= high
    # percentile intervals under-cover a little on skewed data; 90% promised
    assert 0.83 <= hits / trials <= 0.96


def test_the_same_seed_gives_the_same_interval_and_another_seed_a_close_one() -> None:
    values = np.random.default_rng(1).normal(10, 3, 500)
    a = Bootstrap(500, seed=42).interval(Bootstrap(500, seed=42).means(values)[:, 0])
    b = Bootstrap(500, seed=42).interval(Bootstrap(500, seed=42).means(values)[:, 0])
    c = Bootstrap(500, seed=7).interval(Bootstrap(500, seed=7).means(values)[:, 0])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c, atol=0.15)


def test_masked_means_are_subset_means_of_each_resample() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(size=50)
    masks = np.stack([rng.random(50) < 0.5, np.ones(50, dtype=bool)])
    boot = Bootstrap(50, resamples=20, seed=3)
    means = boot.means(values, masks)
    counts = np.concatenate(list(boot.counts()))
    for b in range(20):
        for k in range(2):
            w = counts[b] * masks[k]
            assert means[b, k] == pytest.approx((w @ values) / w.sum())


def test_chunks_do_not_change_the_resamples(monkeypatch: pytest.MonkeyPatch) -> None:
    import prodml.evaluate.bootstrap as module

    values = np.random.default_rng(4).normal(size=100)
    whole = Bootstrap(100, resamples=50, seed=1).means(values)
    monkeypatch.setattr(module, "MAX_CELLS", 100 * 7)  # 7 resamples per chunk
    chunked = Bootstrap(100, resamples=50, seed=1).means(values)
    assert chunked.shape == whole.shape
    assert np.all(np.isfinite(chunked))


@pytest.mark.parametrize("ties", [True, False])
def test_weighted_auc_matches_scikit_learn_with_sample_weights(ties: bool) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.4
    scores = rng.random(300) * 0.6 + 0.4 * y
    if ties:
        scores = np.round(scores, 2)
    weights = rng.integers(0, 4, size=(5, 300)).astype(float)
    ours = weighted_auc(weights, y, scores)
    for w, auc in zip(weights, ours, strict=True):
        assert auc == pytest.approx(roc_auc_score(y, scores, sample_weight=w))


def test_very_large_sets_use_fewer_resamples() -> None:
    assert Bootstrap(10_000_000, resamples=1000).resamples == 200
    assert Bootstrap(1000, resamples=1000).resamples == 1000
