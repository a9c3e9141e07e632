"""LightGBM's single-row fast call gives the booster's own score, bit for bit."""

from __future__ import annotations

import threading

import lightgbm as lgb
import numpy as np
import pytest

from prodml.registry.lgbm_single_row import single_row_predictor


def _booster(objective: str, seed: int = 0) -> lgb.Booster:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, 6))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + rng.normal(size=400) > 0).astype(float)
    params = {"objective": objective, "verbose": -1, "num_leaves": 15, "seed": seed}
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=40)


@pytest.mark.parametrize("objective", ["binary", "regression"])
def test_single_row_equals_booster_predict_on_every_row(objective: str) -> None:
    booster = _booster(objective)
    single = single_row_predictor(booster)
    assert single is not None
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(300, 6)) * 3
    rows[rng.random(rows.shape) < 0.2] = np.nan
    expected = booster.predict(rows, num_threads=1)
    got = np.array([single(row) for row in rows])
    assert np.array_equal(got, expected)
    from_floats = np.array([single.of_values(row.tolist()) for row in rows])
    assert np.array_equal(from_floats, expected)


def test_best_iteration_is_respected_as_predict_does() -> None:
    booster = _booster("binary")
    booster.best_iteration = 10
    single = single_row_predictor(booster)
    assert single is not None
    row = np.linspace(-1, 1, 6)
    assert single(row) == booster.predict(row[None, :], num_threads=1)[0]
    assert single(row) != booster.predict(row[None, :], num_iteration=40, num_threads=1)[0]


def test_threads_get_their_own_configuration() -> None:
    booster = _booster("binary")
    single = single_row_predictor(booster)
    assert single is not None
    rows = np.random.default_rng(2).normal(size=(200, 6))
    expected = booster.predict(rows, num_threads=1)
    results: dict[int, np.ndarray] = {}

    def work(k: int) -> None:
        results[k] = np.array([single(row) for row in rows])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(result, expected) for result in results.values())


def test_a_row_of_the_wrong_width_is_refused() -> None:
    single = single_row_predictor(_booster("binary"))
    assert single is not None
    with pytest.raises(ValueError, match="expected 6"):
        single(np.zeros(5))
    with pytest.raises(ValueError, match="expected 6"):
        single.of_values([0.0] * 7)


def test_multiclass_models_use_predict() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 4))
    y = rng.integers(0, 3, 300)
    params = {"objective": "multiclass", "num_class": 3, "verbose": -1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=5)
    assert single_row_predictor(booster) is None


def test_an_error_of_the_library_is_raised_with_its_message() -> None:
    booster = _booster("binary")
    single = single_row_predictor(booster)
    assert single is not None
    single._num_iteration = 10_000  # beyond the model: LightGBM still answers (all trees)
    single._n_features = 3  # a width the booster does not have: LightGBM refuses it
    with pytest.raises(RuntimeError, match=r"(?i)feature|column"):
        single(np.zeros(3))


def test_pickles_as_its_booster_and_scores_the_same_after() -> None:
    import pickle

    booster = _booster("binary")
    single = single_row_predictor(booster)
    assert single is not None
    single(np.zeros(6))  # a configuration made: it must not travel
    copy = pickle.loads(pickle.dumps(single))
    assert copy is not single and copy._configs == []
    rows = np.random.default_rng(2).normal(size=(50, 6))
    assert np.array_equal([copy(row) for row in rows], booster.predict(rows, num_threads=1))
