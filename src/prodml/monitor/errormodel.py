"""Regression performance before labels: models of the error, trained on held-out residuals.

(Direct loss estimation.) The held-out rows, never seen by the fitted model, give per row the
features, the model's prediction and what the decision then realised: the absolute error, the
squared error and the value of the decision. Three small LightGBM regressors learn each of them
from the features and the prediction, and are stored in the reference profile. In production
every scored row gets its expected value, absolute and squared error, and a window's estimate is
their mean (RMSE: the root of the mean squared error).

Unlike a table of errors by decile of the prediction, the models see *where in feature space*
the model errs: a population moving into a region where prices are noisier raises the estimate
even when the predictions' distribution stays where it was. They assume, like CBPE, that the
relation of error to features holds (covariate shift); a change of the relation itself is only
seen once labels arrive, which is why realised and estimated values are shown side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MIN_ROWS", "TARGETS", "ErrorModel", "fit_error_model"]

MIN_ROWS = 200  # fewer held-out rows: the decile table alone (a model would fit noise)
TARGETS = ("value", "abs_error", "sq_error")
_PARAMS = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 20,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}


def fit_error_model(
    frame: Any,
    kinds: Mapping[str, str],
    scores: np.ndarray,
    targets: Mapping[str, np.ndarray],
    *,
    seed: int = 0,
    rounds: int = 150,
) -> dict[str, Any] | None:
    """The stored form of the three error models, or None with fewer than :data:`MIN_ROWS`."""
    import pyarrow as pa

    from prodml.data.contract import category_keys

    if len(scores) < MIN_ROWS:
        return None
    import lightgbm as lgb

    names = [n for n in kinds if n in frame.columns]
    columns: dict[str, Any] = {}
    levels: dict[str, list[str]] = {}
    for name in names:
        if kinds[name] == "numeric":
            columns[name] = pa.array(np.asarray(frame[name], dtype=np.float64), from_pandas=True)
        else:
            keys = category_keys(frame[name])
            levels[name] = sorted({str(k) for k in keys.dropna()})
            columns[name] = pa.array(keys.astype(object).where(keys.notna(), None).tolist())
    stored: dict[str, Any] = {
        "method": "error models (LightGBM on held-out features and prediction)",
        "rows": len(scores),
        "features": names,
        "kinds": {n: kinds[n] for n in names},
        "levels": levels,
        "models": {},
    }
    design = ErrorModel(stored).design(columns, np.asarray(scores, dtype=np.float64))
    for target in TARGETS:
        label = np.asarray(targets[target], dtype=np.float64)
        data = lgb.Dataset(design, label, free_raw_data=True)
        booster = lgb.train({**_PARAMS, "seed": seed}, data, num_boost_round=rounds)
        stored["models"][target] = booster.model_to_string()
    return stored


class ErrorModel:
    """The stored error models, loaded once, predicting per row from Arrow columns."""

    def __init__(self, stored: Mapping[str, Any]) -> None:
        self.stored = stored
        self.features: list[str] = list(stored["features"])
        self.kinds: dict[str, str] = dict(stored["kinds"])
        self.index = {
            name: {key: float(i) for i, key in enumerate(keys)}
            for name, keys in stored["levels"].items()
        }
        self._boosters: dict[str, Any] = {}

    def design(self, columns: Mapping[str, Any], scores: np.ndarray) -> np.ndarray:
        """Features (numbers as they are, categories as their level's index, unseen or missing
        as NaN) and the prediction as the last column; ``columns`` are Arrow arrays."""
        from prodml.monitor.arrays import floats, integers
        from prodml.monitor.scan import category_key

        out = np.full((len(scores), len(self.features) + 1), np.nan)
        for j, name in enumerate(self.features):
            array = columns.get(name)
            if array is None:
                continue
            if self.kinds[name] == "numeric":
                out[:, j] = floats(array)
                continue
            encoded = array.dictionary_encode()
            lookup = self.index.get(name, {})
            positions = np.array(
                [lookup.get(category_key(str(v)), np.nan) for v in encoded.dictionary.to_pylist()]
                + [np.nan]
            )
            out[:, j] = positions[integers(encoded.indices)]  # null: -1, the trailing NaN
        out[:, -1] = scores
        return out

    def predict(self, columns: Mapping[str, Any], scores: np.ndarray) -> dict[str, np.ndarray]:
        """Each row's expected value, absolute error and squared error."""
        if not self._boosters:
            import lightgbm as lgb

            self._boosters = {
                t: lgb.Booster(model_str=text) for t, text in self.stored["models"].items()
            }
        design = self.design(columns, np.asarray(scores, dtype=np.float64))
        return {
            target: np.asarray(booster.predict(design), dtype=np.float64)
            for target, booster in self._boosters.items()
        }
