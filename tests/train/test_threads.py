"""Training caps native thread pools at one thread, and gives them back afterwards."""

from __future__ import annotations

import sys
from typing import Any

from threadpoolctl import threadpool_info

from prodml.train.threads import import_model_libraries, single_native_threads
from tests.train.test_assess import loans, spec, train


def _threads() -> dict[str, int]:
    return {info["filepath"]: info["num_threads"] for info in threadpool_info()}


def test_model_libraries_are_loaded_so_their_pools_can_be_capped() -> None:
    import_model_libraries(["baseline", "linear", "lightgbm"])
    assert "sklearn.linear_model" in sys.modules
    assert "lightgbm" in sys.modules
    assert any(info["user_api"] == "blas" for info in threadpool_info())


def test_every_loaded_pool_has_one_thread_inside_and_its_own_count_after() -> None:
    import_model_libraries(["linear", "lightgbm"])
    before = _threads()
    with single_native_threads():
        inside = _threads()
    assert inside and set(inside.values()) == {1}
    assert _threads() == before


def test_cross_validation_folds_run_with_one_blas_thread(monkeypatch: Any) -> None:
    """The cap is in force where the fold workers fit, not only in the calling thread."""
    import prodml.train.crossval as crossval

    seen: list[int] = []
    predict = crossval.predict_scores

    def spy(pipeline: Any, X: Any, task: str) -> Any:
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return predict(pipeline, X, task)

    monkeypatch.setattr(crossval, "predict_scores", spy)
    train(loans(n=300), spec())
    assert seen and set(seen) == {1}
