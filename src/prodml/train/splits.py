"""Held-out set and cross-validation folds that respect time and class balance.

With a time column the held-out set is the latest rows and folds only ever validate on rows
later than those they train on: a random split would let the model learn from the future and
report value it will never earn. Without one, splits are stratified for binary targets so that a
rare event is present in every fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Splits", "make_splits"]


@dataclass(frozen=True)
class Splits:
    """Row positions: ``train`` (for CV and the final fit) and ``holdout`` (used once)."""

    train: np.ndarray
    holdout: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]  # positions *within* train
    time_ordered: bool


def make_splits(
    n_rows: int,
    *,
    y: np.ndarray,
    stratify: bool,
    holdout_share: float,
    folds: int,
    seed: int,
    time_order: np.ndarray | None = None,
) -> Splits:
    """Split rows; ``time_order`` is an argsort of the time column when one is declared."""
    from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, train_test_split

    positions = np.arange(n_rows)
    if time_order is not None:
        n_holdout = max(1, round(n_rows * holdout_share))
        ordered = np.asarray(time_order)
        train, holdout = ordered[: n_rows - n_holdout], ordered[n_rows - n_holdout :]
        splitter = TimeSeriesSplit(n_splits=folds)
        fold_list = [(tr, va) for tr, va in splitter.split(train)]
        return Splits(train=train, holdout=holdout, folds=fold_list, time_ordered=True)

    train, holdout = train_test_split(
        positions,
        test_size=holdout_share,
        random_state=seed,
        stratify=y if stratify else None,
    )
    train = np.sort(train)
    holdout = np.sort(holdout)
    if stratify:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        fold_list = [(tr, va) for tr, va in cv.split(train, y[train])]
    else:
        kcv = KFold(n_splits=folds, shuffle=True, random_state=seed)
        fold_list = [(tr, va) for tr, va in kcv.split(train)]
    return Splits(train=train, holdout=holdout, folds=fold_list, time_ordered=False)
