"""All candidates' folds share one pool: each candidate's result must not depend on the others."""

from __future__ import annotations

import numpy as np

from prodml.evaluate.value import BinaryValues
from prodml.train.candidates import search_space
from prodml.train.crossval import cross_validate_all
from prodml.train.features import FeaturePlan
from prodml.train.splits import make_splits
from tests.train.test_assess import loans

PLAN = FeaturePlan(numeric=["Income", "Age"], categorical=["Home"])


def test_one_pool_gives_each_candidate_what_it_gets_alone() -> None:
    data = loans(n=400, seed=3)
    labels = (data["Status"] == "bad").to_numpy()
    splits = make_splits(len(data), y=labels, stratify=True, holdout_share=0.2, folds=4, seed=0)
    frame, y, folds = (
        data.iloc[splits.train].reset_index(drop=True),
        labels[splits.train],
        splits.folds,
    )
    amount = frame["Amount"].to_numpy(dtype=float)
    values = BinaryValues(np.zeros(len(y)), -0.1 * amount, 0.1 * amount, -amount)
    configs = [
        *search_space("baseline", "binary", 1, 0),
        *search_space("linear", "binary", 2, 0),
        *search_space("lightgbm", "binary", 2, 0),
    ]
    heard: list[str] = []
    common = {"task": "binary", "plan": PLAN, "X": frame, "y": y, "values": values, "seed": 0}
    together = cross_validate_all(configs, folds=folds, progress=heard.append, **common)
    alone = [cross_validate_all([c], folds=folds, n_jobs=1, **common)[0] for c in configs]

    assert [r.config for r in together] == configs  # in the order asked, whatever ran first
    for pooled, single in zip(together, alone, strict=True):
        assert np.array_equal(pooled.oof, single.oof, equal_nan=True), pooled.config.label
        assert pooled.summary() == single.summary()
        assert pooled.seconds > 0
    assert len(heard) == len(configs)
    assert {m.split(":")[1].split(" done")[0].strip() for m in heard} == {c.label for c in configs}


def test_rows_coerced_once_give_the_models_each_fold_would_fit_on_raw_rows() -> None:
    """Cross-validation coerces the rows once; each fold's complete pipeline must agree."""
    from prodml.train.candidates import build_pipeline
    from prodml.train.crossval import predict_scores

    data = loans(n=300, seed=5)
    data["Age"] = data["Age"].astype(str)  # numbers as text, as a CSV of quoted cells gives
    data["Home"] = data["Home"].astype(object)
    data.loc[::7, "Home"] = None
    data.loc[1::7, "Home"] = 1.0  # the category "1", as 1 and as 1.0
    data.loc[2::7, "Home"] = 1
    labels = (data["Status"] == "bad").to_numpy()
    splits = make_splits(len(data), y=labels, stratify=True, holdout_share=0.2, folds=3, seed=1)
    frame, y = data.iloc[splits.train].reset_index(drop=True), labels[splits.train]
    amount = frame["Amount"].to_numpy(dtype=float)
    values = BinaryValues(np.zeros(len(y)), -0.1 * amount, 0.1 * amount, -amount)
    configs = [*search_space("linear", "binary", 1, 0), *search_space("lightgbm", "binary", 1, 0)]
    results = cross_validate_all(
        configs, task="binary", plan=PLAN, X=frame, y=y, values=values, folds=splits.folds, seed=0
    )
    for config, result in zip(configs, results, strict=True):
        expected = np.full(len(y), np.nan)
        for train_idx, valid_idx in splits.folds:
            pipeline = build_pipeline(config, "binary", PLAN, 0)
            pipeline.fit(frame.iloc[train_idx], y[train_idx])
            expected[valid_idx] = predict_scores(pipeline, frame.iloc[valid_idx], "binary")
        assert np.array_equal(result.oof, expected), config.label
