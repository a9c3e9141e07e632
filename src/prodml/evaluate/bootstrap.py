"""Seeded, vectorised bootstrap: confidence intervals for value and metrics.

Every interval in an evaluation comes from the same resamples of the evaluation rows: resample
``b`` gives each row a count ``W[b, i]`` (how often row ``i`` was drawn, a multinomial draw of
``n`` rows with replacement). A mean over any subset of rows is then one matrix product,
``(W @ (mask * v)) / (W @ mask)``, so segment, edge-case and overall statistics are computed for
all resamples at once, and differences between policies are paired (same resample, same rows).
A segment's mean is then a ratio estimator whose size varies across resamples, which is what an
evaluation on a random sample of rows should reflect.

Intervals are percentile intervals (the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
quantiles of the resampled statistic). Counts are generated in chunks of at most
``MAX_CELLS`` cells, each chunk from its own generator seeded with ``(seed, chunk)``, so results
depend only on the seed and the number of rows; a matrix that fits one chunk is generated once
and reused by every statistic. On very large evaluation sets the number of resamples is reduced
so that resamples x rows stays below ``MAX_WORK`` (at least ``MIN_RESAMPLES``): at that size the
sampling error of a mean is tiny anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["MAX_CELLS", "Bootstrap", "weighted_auc"]

MAX_CELLS = 4_000_000  # counts generated per chunk (32 MB of float64)
MAX_WORK = 200_000_000  # resamples x rows, in total
MIN_RESAMPLES = 200


class Bootstrap:
    """Resamples of ``n_rows`` rows; statistics are computed chunk by chunk, vectorised."""

    def __init__(
        self, n_rows: int, *, resamples: int = 1000, seed: int = 0, confidence: float = 0.95
    ) -> None:
        if n_rows < 1:
            raise ValueError("the bootstrap needs at least one row")
        self.n_rows = n_rows
        self.resamples = max(min(resamples, MAX_WORK // n_rows), min(resamples, MIN_RESAMPLES))
        self.seed = seed
        self.confidence = confidence
        self._small: list[np.ndarray] | None = None  # the counts, kept when they fit one chunk

    @property
    def method(self) -> str:
        return f"percentile bootstrap, {self.resamples} resamples, seed {self.seed}"

    def counts(self) -> Iterator[np.ndarray]:
        """Chunks of the ``(resamples, n_rows)`` count matrix, always the same for one seed."""
        if self._small is not None:
            yield from self._small
            return
        if self.resamples * self.n_rows <= MAX_CELLS:
            self._small = list(self._generate())
            yield from self._small
            return
        yield from self._generate()

    def _generate(self) -> Iterator[np.ndarray]:
        n = self.n_rows
        per_chunk = max(1, MAX_CELLS // n)
        for chunk, start in enumerate(range(0, self.resamples, per_chunk)):
            b = min(per_chunk, self.resamples - start)
            rng = np.random.default_rng([self.seed, chunk])
            drawn = rng.integers(0, n, size=(b, n))
            flat = (drawn + (np.arange(b) * n)[:, None]).ravel()
            yield np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)

    def apply(self, statistic: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``statistic(W)`` for every chunk ``W`` of counts, stacked along the first axis."""
        return np.concatenate([np.asarray(statistic(w)) for w in self.counts()], axis=0)

    def sums(self, columns: np.ndarray) -> np.ndarray:
        """Resampled sums of each column of ``columns`` (rows x k): shape (resamples, k)."""
        matrix = np.asarray(columns, dtype=np.float64).reshape(self.n_rows, -1)
        return self.apply(lambda w: w @ matrix)

    def means(self, values: np.ndarray, masks: np.ndarray | None = None) -> np.ndarray:
        """Resampled means of ``values`` over each mask (k x rows): shape (resamples, k).

        Without masks, the mean over all rows: shape (resamples, 1). A resample that draws no
        row of a mask gives NaN for it (ignored by :meth:`interval`).
        """
        values = np.asarray(values, dtype=np.float64)
        if masks is None:
            masks = np.ones((1, self.n_rows), dtype=bool)
        masks = np.asarray(masks, dtype=np.float64).reshape(-1, self.n_rows)
        stacked = np.concatenate([(masks * values).T, masks.T], axis=1)
        totals = self.sums(stacked)
        k = masks.shape[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            return totals[:, :k] / totals[:, k:]

    def interval(self, replicates: np.ndarray) -> np.ndarray:
        """Percentile interval per column: shape (2,) for a vector, (2, k) for a matrix.

        Columns whose resamples are all NaN (a statistic that is never defined) give NaN.
        """
        replicates = np.asarray(replicates, dtype=np.float64)
        alpha = (1.0 - self.confidence) / 2.0
        flat = replicates.reshape(len(replicates), -1)
        out = np.full((2, flat.shape[1]), np.nan)
        defined = ~np.all(np.isnan(flat), axis=0)
        if defined.any():
            out[:, defined] = np.nanquantile(flat[:, defined], [alpha, 1.0 - alpha], axis=0)
        return out[:, 0] if replicates.ndim == 1 else out


def weighted_auc(weights: np.ndarray, y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC for each row of ``weights`` (resamples x rows), ties counted as one half.

    One sort of the scores, then per-resample weighted counts of positives and negatives per
    distinct score: ``AUC = sum_g P_g (N_below_g + N_g / 2) / (P N)``. NaN where a resample has
    no positive or no negative. Equals ``sklearn.metrics.roc_auc_score(y, scores,
    sample_weight=w)`` for each row ``w``.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    w = weights[:, order]
    is_positive = y[order]
    if len(starts) == len(scores):  # no ties: every row is its own group
        negatives = np.where(is_positive, 0.0, w)
        below = np.cumsum(negatives, axis=1) - negatives
        numerator = (w[:, is_positive] * below[:, is_positive]).sum(axis=1)
        denominator = w[:, is_positive].sum(axis=1) * negatives.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)
    positives = np.add.reduceat(w * is_positive, starts, axis=1)
    negatives = np.add.reduceat(w * ~is_positive, starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives
    numerator = (positives * (below + 0.5 * negatives)).sum(axis=1)
    denominator = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)
