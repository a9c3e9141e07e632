import numpy as np

from prodml.train.splits import make_splits


def test_random_splits_are_stratified_disjoint_and_seeded() -> None:
    y = np.array([True] * 30 + [False] * 270)
    a = make_splits(300, y=y, stratify=True, holdout_share=0.2, folds=5, seed=1)
    b = make_splits(300, y=y, stratify=True, holdout_share=0.2, folds=5, seed=1)
    assert not set(a.train) & set(a.holdout)
    assert len(a.holdout) == 60
    assert y[a.holdout].sum() == 6
    np.testing.assert_array_equal(a.holdout, b.holdout)
    for _, valid in a.folds:
        assert y[a.train][valid].sum() in (4, 5)


def test_time_ordered_splits_never_validate_on_the_past() -> None:
    times = np.random.default_rng(0).permutation(100)
    order = np.argsort(times)
    s = make_splits(
        100, y=np.zeros(100), stratify=False, holdout_share=0.2, folds=4, seed=0, time_order=order
    )
    assert times[s.holdout].min() > times[s.train].max()
    for train, valid in s.folds:
        assert times[s.train][valid].min() > times[s.train][train].max()
