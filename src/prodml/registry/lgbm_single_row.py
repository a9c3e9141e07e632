"""One row through a LightGBM booster in microseconds: LightGBM's own single-row fast C API.

``Booster.predict`` builds a predictor object, a parameter string and a ``Config`` on every call:
about 25 µs before the first tree is walked, most of the cost of scoring one record. LightGBM
ships the remedy in its C API (``LGBM_BoosterPredictForMatSingleRowFastInit`` /
``...SingleRowFast``): the configuration is parsed once, and each call only walks the trees.
It is the same prediction code (``PredictForMatSingleRowFast`` ends in the predictor ``predict``
uses), so the score is the same to the last bit; :func:`prodml.registry.fastpath.check_parity`
checks it again before a model is served.

A fast configuration is not safe to share between threads (it holds the row buffer), so each
thread gets its own, made on first use. The configurations are freed with the booster's handle
holder (this object), never while a call can still use them.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from typing import Any

import numpy as np

__all__ = ["SingleRowPredictor", "single_row_predictor"]

_PREDICT_NORMAL = 0  # C_API_PREDICT_NORMAL: with the objective's transform, as predict()
_FLOAT64 = 1  # C_API_DTYPE_FLOAT64


class SingleRowPredictor:
    """``booster.predict(row[None, :], num_threads=1)[0]`` for one float64 row."""

    def __init__(self, booster: Any, lib: Any, num_iteration: int, n_features: int) -> None:
        self._booster = booster  # keeps the handle alive as long as the configurations
        self._lib = lib
        self._num_iteration = num_iteration
        self._n_features = n_features
        self._row_type = ctypes.c_double * n_features
        self._local = threading.local()
        self._configs: list[ctypes.c_void_p] = []
        self._lock = threading.Lock()
        weakref.finalize(self, _free, lib, self._configs)

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        """Pickled as its booster (the Ray engine ships the compiled scorer to its actors): the
        library handle and the per-thread configurations are remade where it is unpickled."""
        return single_row_predictor, (self._booster,)

    @property
    def n_features(self) -> int:
        return self._n_features

    def _config(self) -> tuple[ctypes.c_void_p, Any, Any]:
        state = getattr(self._local, "state", None)
        if state is None:
            handle = ctypes.c_void_p()
            _check(
                self._lib,
                self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                    self._booster._handle,
                    ctypes.c_int(_PREDICT_NORMAL),
                    ctypes.c_int(0),
                    ctypes.c_int(self._num_iteration),
                    ctypes.c_int(_FLOAT64),
                    ctypes.c_int32(self._n_features),
                    ctypes.c_char_p(b"num_threads=1"),
                    ctypes.byref(handle),
                ),
            )
            with self._lock:
                self._configs.append(handle)
            state = (handle, ctypes.c_int64(0), (ctypes.c_double * 1)())
            self._local.state = state
        return state

    def __call__(self, row: np.ndarray) -> float:
        """The score of one row (``row``: float64, ``n_features`` long)."""
        if row.dtype != np.float64 or row.size != self._n_features:
            raise ValueError(f"expected {self._n_features} float64 values, got {row.size}")
        row = np.ascontiguousarray(row)
        return self._predict(ctypes.c_void_p(row.ctypes.data))

    def of_values(self, values: list[float]) -> float:
        """The score of one row given as Python floats (no numpy array on the way)."""
        if len(values) != self._n_features:
            raise ValueError(f"expected {self._n_features} values, got {len(values)}")
        return self._predict(self._row_type(*values))

    def _predict(self, data: Any) -> float:
        handle, length, out = self._config()
        _check(
            self._lib,
            self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                handle, data, ctypes.byref(length), out
            ),
        )
        if length.value != 1:
            raise ValueError(f"the booster returned {length.value} values for one row")
        return float(out[0])


def single_row_predictor(booster: Any) -> SingleRowPredictor | None:
    """The fast single-row predictor of a one-output booster, or None where LightGBM's library
    lacks the API or the model has several outputs (multiclass): ``predict`` then serves."""
    try:
        from lightgbm.basic import _LIB
    except ImportError:  # pragma: no cover - lightgbm is a dependency
        return None
    if not hasattr(_LIB, "LGBM_BoosterPredictForMatSingleRowFast"):
        return None
    # The same loaded library, called with the GIL held: a call of a few microseconds gains
    # nothing from releasing it, and each release lets a background thread take the GIL for up
    # to the interpreter's switch interval (milliseconds) before the request can go on.
    lib = ctypes.PyDLL(_LIB._name, handle=_LIB._handle)
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    if booster.num_model_per_iteration() != 1:
        return None
    best = int(getattr(booster, "best_iteration", 0) or 0)
    num_iteration = best if best > 0 else -1  # as Booster.predict(num_iteration=None)
    return SingleRowPredictor(booster, lib, num_iteration, booster.num_feature())


def _check(lib: Any, code: int) -> None:
    if code != 0:
        raise RuntimeError(lib.LGBM_GetLastError().decode("utf-8", "replace"))


def _free(lib: Any, configs: list[ctypes.c_void_p]) -> None:
    for handle in configs:
        lib.LGBM_FastConfigFree(handle)
    configs.clear()
