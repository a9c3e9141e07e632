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
