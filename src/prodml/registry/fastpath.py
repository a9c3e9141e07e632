"""The fast path: a fitted pipeline compiled into numpy arrays and one model call.

A scikit-learn ``Pipeline`` costs about 5 ms per call whatever the batch size (DataFrame
construction, ColumnTransformer dispatch, input validation); the LightGBM booster on an encoded
row costs about 30 µs. :func:`compile_scorer` reads the fitted state of prodml's own pipelines
(``FrameCoercer`` -> ``ColumnTransformer`` -> model) into plain arrays and dictionaries:

* numbers: ``float64`` (the coercer's ``to_numeric``), then for linear models median imputation,
  missing-value indicators and standard scaling, in the training order of operations;
* categories: the coercer's canonical text (``1.0`` and ``1`` are the same level), then ordinal
  codes (LightGBM; unseen and missing -> NaN) or one-hot columns (linear; unseen -> all zero,
  missing -> the ``__missing__`` level);
* the model: ``booster.predict`` (LightGBM), ``X @ coef + intercept`` (+ logistic link), or the
  baseline's constant.

The result is the pipeline's own score bit for bit (same float64 operations in the same order),
then the bundle's own post-processing (calibration) is applied by the bundle itself
(:func:`finish`), never re-implemented here. A pipeline of any other shape is served by the
pipeline itself (``kind == "pipeline"``); :func:`check_parity` compares the two on synthetic
records before a model is put in service, and the server falls back to the pipeline if they
ever differ.

It lives in the registry layer, beside the bundle it compiles, because serving, batch scoring
and export all use it and a lower layer never imports a higher one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.registry.lgbm_single_row import single_row_predictor

if TYPE_CHECKING:
    import pandas as pd

    from prodml.registry.bundle import ModelBundle

__all__ = ["CompiledScorer", "check_parity", "compile_scorer", "finish", "synthetic_records"]

Columns = Mapping[str, Sequence[Any] | np.ndarray]
MISSING_LEVEL = "__missing__"


@dataclass
class CompiledScorer:
    """Scores feature columns exactly as ``bundle.predict`` scores the same frame."""

    kind: str  # "lightgbm", "linear", "baseline" or "pipeline" (not compiled)
    task: str
    numeric: list[str]
    categorical: list[str]
    bundle: Any = field(repr=False)
    _encode: Callable[[Columns, int], np.ndarray] | None = field(default=None, repr=False)
    _model: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _raw_of_values: Callable[[Sequence[Mapping[str, Any]]], np.ndarray] | None = field(
        default=None, repr=False
    )
    reason: str = ""  # why it is not compiled, when kind == "pipeline"

    @property
    def compiled(self) -> bool:
        return self.kind != "pipeline"

    def raw(self, columns: Columns, rows: int) -> np.ndarray:
        """The pipeline's score before the bundle's post-processing (see :func:`finish`)."""
        if self._encode is None or self._model is None:
            return _pipeline_raw(self.bundle, _frame(columns, list(self.bundle.features)))
        return self._model(self._encode(columns, rows))

    def scores(self, columns: Columns, rows: int) -> np.ndarray:
        """What ``bundle.predict`` returns for these records: P(positive) or the value."""
        if not self.compiled:
            return np.asarray(
                self.bundle.predict(_frame(columns, list(self.bundle.features))), dtype=np.float64
            )
        return finish(self.bundle, self.raw(columns, rows))

    def scores_of_values(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """:meth:`scores` of records given as feature -> value, as the validator passes clean
        ones (see :mod:`prodml.data.validation_clean`: floats for numbers, text for
        categories); the API's one-record path, without a column array per feature."""
        if self._raw_of_values is not None:
            return finish(self.bundle, self._raw_of_values(records))
        names = list(self.bundle.features)
        columns = {name: _object_column([r[name] for r in records]) for name in names}
        return self.scores(columns, len(records))

    def encode(self, columns: Columns, rows: int) -> np.ndarray:
        """The model matrix (for benchmarks and tests); only for compiled scorers."""
        if self._encode is None:
            raise ValueError(f"a {self.kind} scorer has no compiled encoder")
        return self._encode(columns, rows)


def finish(bundle: ModelBundle, raw: np.ndarray) -> np.ndarray:
    """The bundle's own post-processing of the pipeline's score (calibration), if it has any.

    The bundle owns this step (:meth:`ModelBundle.postprocess`, which its ``predict`` applies
    too), so that the API, batch scoring and exports cannot drift apart from ``predict``.
    """
    return np.asarray(bundle.postprocess(raw), dtype=np.float64)


def compile_scorer(bundle: ModelBundle) -> CompiledScorer:
    """Compile a bundle's fitted pipeline; falls back to the pipeline when it is not ours."""
    pipeline = bundle.pipeline
    steps = dict(getattr(pipeline, "named_steps", {}))
    coercer = steps.get("coerce")
    model = steps.get("model")
    numeric = list(getattr(coercer, "numeric", []))
    categorical = list(getattr(coercer, "categorical", []))
    base = CompiledScorer(
        kind="pipeline", task=bundle.task, numeric=numeric, categorical=categorical, bundle=bundle
    )
    if coercer is None or model is None or set(steps) - {"coerce", "encode", "model"}:
        base.reason = "not a prodml pipeline (coerce -> encode -> model)"
        return base
    try:
        if "encode" not in steps:
            return _compile_baseline(base, model)
        encode = steps["encode"]
        name = type(model).__name__
        if name in ("LGBMClassifier", "LGBMRegressor"):
            return _compile_lightgbm(base, encode, model)
        if name in ("LogisticRegression", "Ridge"):
            return _compile_linear(base, encode, model)
    except _NotCompilable as exc:
        base.reason = str(exc)
        return base
    base.reason = f"no fast path for {type(model).__name__}"
    return base


class _NotCompilable(Exception):
    pass


# -- model families ----------------------------------------------------------------------------


def _compile_baseline(base: CompiledScorer, model: Any) -> CompiledScorer:
    if base.task == "binary":
        if getattr(model, "strategy", None) != "prior" or len(model.classes_) != 2:
            raise _NotCompilable("baseline classifier is not a two-class prior")
        constant = float(np.asarray(model.class_prior_, dtype=np.float64)[1])
    else:
        if getattr(model, "strategy", None) != "mean":
            raise _NotCompilable("baseline regressor does not predict the mean")
        constant = float(np.asarray(model.constant_, dtype=np.float64).ravel()[0])

    def encode(columns: Columns, rows: int) -> np.ndarray:
        return np.empty((rows, 0), dtype=np.float64)

    def predict(matrix: np.ndarray) -> np.ndarray:
        return np.full(matrix.shape[0], constant, dtype=np.float64)

    base.kind, base._encode, base._model = "baseline", encode, predict
    return base


def _compile_lightgbm(base: CompiledScorer, encoder: Any, model: Any) -> CompiledScorer:
    numeric, categorical = _transformer_columns(encoder, base)
    if base.numeric and not _is_passthrough(numeric[0]):
        raise _NotCompilable("tree encoder does not pass numbers through")
    ordinal = categorical[0]
    if ordinal is not None:
        if type(ordinal).__name__ != "OrdinalEncoder" or not _is_nan(
            getattr(ordinal, "unknown_value", None)
        ):
            raise _NotCompilable("tree encoder is not an OrdinalEncoder with unknown -> NaN")
        lookups = [_level_codes(levels) for levels in ordinal.categories_]
    else:
        lookups = []
    booster = model.booster_
    names = base.numeric
    levels = base.categorical

    def encode(columns: Columns, rows: int) -> np.ndarray:
        matrix = np.empty((rows, len(names) + len(levels)), dtype=np.float64)
        for j, name in enumerate(names):
            matrix[:, j] = _numbers(columns[name], rows)
        offset = len(names)
        for j, name in enumerate(levels):
            lookup = lookups[j]
            coded = _ordinal_codes(columns[name], rows, lookup) if rows >= _VECTOR_ROWS else None
            matrix[:, offset + j] = (
                coded
                if coded is not None
                else [
                    math.nan if text is None else lookup.get(text, math.nan)
                    for text in _category_text(columns[name], rows)
                ]
            )
        return matrix

    def row_of_values(record: Mapping[str, Any]) -> list[float]:
        # clean values: floats for numbers (what _numbers makes of them), text for categories
        # (its own canonical text), looked up as encode() looks them up
        return [record[name] for name in names] + [
            lookups[j].get(record[name], math.nan) for j, name in enumerate(levels)
        ]

    single = single_row_predictor(booster)

    def predict(matrix: np.ndarray) -> np.ndarray:
        if single is not None and matrix.shape[0] == 1:  # one API record: LightGBM's fast call
            return np.array([single(matrix[0])], dtype=np.float64)
        return np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float64)

    def raw_of_values(records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        if single is not None and len(records) == 1:
            return np.array([single.of_values(row_of_values(records[0]))], dtype=np.float64)
        rows = [row_of_values(record) for record in records]
        matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(names) + len(levels))
        return predict(matrix)

    base.kind, base._encode, base._model = "lightgbm", encode, predict
    base._raw_of_values = raw_of_values
    return base


def _compile_linear(base: CompiledScorer, encoder: Any, model: Any) -> CompiledScorer:
    from scipy.special import expit

    numeric, categorical = _transformer_columns(encoder, base)
    n_numeric = len(base.numeric)
    if n_numeric:
        steps = dict(getattr(numeric[0], "named_steps", {}))
        imputer, scaler = steps.get("impute"), steps.get("scale")
        if (
            imputer is None
            or scaler is None
            or getattr(imputer, "strategy", None) != "median"
            or type(scaler).__name__ != "StandardScaler"
        ):
            raise _NotCompilable("numeric encoder is not median-impute + StandardScaler")
        medians = np.asarray(imputer.statistics_, dtype=np.float64)
        if np.isnan(medians).any():
            raise _NotCompilable("a numeric column was empty in training (dropped by the imputer)")
        indicator = getattr(imputer, "indicator_", None)
        flagged = np.asarray(indicator.features_ if indicator is not None else [], dtype=np.intp)
        mean = scaler.mean_ if scaler.with_mean else None
        scale = scaler.scale_ if scaler.with_std else None
    n_categorical = len(base.categorical)
    onehot_levels: list[dict[str, int]] = []
    width = 0
    if n_categorical:
        steps = dict(getattr(categorical[0], "named_steps", {}))
        onehot = steps.get("onehot")
        cat_imputer = steps.get("impute")
        if (
            onehot is None
            or cat_imputer is None
            or getattr(cat_imputer, "fill_value", None) != MISSING_LEVEL
            or getattr(onehot, "drop_idx_", None) is not None
            or getattr(onehot, "handle_unknown", None) != "ignore"
            or getattr(onehot, "_infrequent_enabled", False)
        ):
            raise _NotCompilable("categorical encoder is not constant-impute + one-hot (ignore)")
        for levels in onehot.categories_:
            onehot_levels.append({str(level): i for i, level in enumerate(levels.tolist())})
        width = sum(len(levels) for levels in onehot_levels)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    binary = base.task == "binary"
    if binary and coef.shape[0] != 1:
        raise _NotCompilable("logistic regression with more than two classes")
    names, levels = base.numeric, base.categorical

    dense = n_numeric + (len(flagged) if n_numeric else 0)

    def encode(columns: Columns, rows: int) -> np.ndarray:
        # one matrix, filled in place: the numbers, their missing flags, then the one-hot block
        # (the same element-wise operations as the pipeline's, without a copy per step);
        # column-major, as it is filled column by column (2.4x faster than row-major, measured)
        matrix = np.zeros((rows, dense + width), dtype=np.float64, order="F")
        if n_numeric:
            values = matrix[:, :n_numeric]
            for j, name in enumerate(names):
                values[:, j] = _numbers(columns[name], rows)
            missing = np.isnan(values)
            np.copyto(values, medians, where=missing)
            matrix[:, n_numeric:dense] = missing[:, flagged]
            block = matrix[:, :dense]
            if mean is not None:
                block -= mean
            if scale is not None:
                block /= scale
        offset = dense
        for j, name in enumerate(levels):
            lookup = onehot_levels[j]
            found = _onehot_positions(columns[name], rows, lookup) if rows >= _VECTOR_ROWS else None
            if found is not None:
                hit = np.flatnonzero(found >= 0)
                matrix[hit, offset + found[hit]] = 1.0
            else:
                for i, text in enumerate(_category_text(columns[name], rows)):
                    position = lookup.get(MISSING_LEVEL if text is None else text)
                    if position is not None:
                        matrix[i, offset + position] = 1.0
            offset += len(lookup)
        return matrix

    def predict(matrix: np.ndarray) -> np.ndarray:
        # row-major for the product, as scikit-learn's matrix is: the same BLAS call, so the
        # pipeline's score to the last bit (the column-major product differed there on a third
        # of the rows)
        matrix = np.ascontiguousarray(matrix)
        scores = (matrix @ coef.T + intercept) if coef.ndim == 2 else (matrix @ coef + intercept)
        scores = scores.reshape(-1)
        return np.asarray(expit(scores) if binary else scores, dtype=np.float64)

    base.kind, base._encode, base._model = "linear", encode, predict
    return base


def _transformer_columns(encoder: Any, base: CompiledScorer) -> tuple[list[Any], list[Any]]:
    """The fitted numeric and categorical transformers, checked against the coercer's columns."""
    if type(encoder).__name__ != "ColumnTransformer":
        raise _NotCompilable("encoder is not a ColumnTransformer")
    fitted = {name: (trans, list(cols)) for name, trans, cols in encoder.transformers_}
    numeric = fitted.get("numeric", (None, []))
    categorical = fitted.get("categorical", (None, []))
    if numeric[1] != base.numeric or categorical[1] != base.categorical:
        raise _NotCompilable("encoder columns differ from the coercer's")
    extra = set(fitted) - {"numeric", "categorical", "remainder"}
    if extra or fitted.get("remainder", ("drop", []))[0] != "drop":
        raise _NotCompilable("encoder has transformers prodml did not write")
    numeric_step = numeric[0] if base.numeric else None
    categorical_step = categorical[0] if base.categorical else None
    return [numeric_step], [categorical_step]


# -- coercion (the FrameCoercer's rules, for plain columns) --------------------------------------


def _numbers(values: Sequence[Any] | np.ndarray, rows: int) -> np.ndarray:
    """``pd.to_numeric(errors="coerce")`` as float64, without pandas for clean input."""
    array = values if isinstance(values, np.ndarray) else None
    if array is not None and array.dtype.kind in "fiub":
        return array.astype(np.float64, copy=False)
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        import pandas as pd

        out = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    if out.shape != (rows,):
        raise ValueError(f"expected {rows} values, got shape {out.shape}")
    return out


def _object_column(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _category_text(values: Sequence[Any] | np.ndarray, rows: int) -> list[str | None]:
    """The coercer's canonical text of each value; None for missing ones."""
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if len(items) != rows:
        raise ValueError(f"expected {rows} values, got {len(items)}")
    return [_text(value) for value in items]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


_VECTOR_ROWS = 256  # batch scoring: from this many rows, look categories up in Arrow


def _ordinal_codes(
    values: Sequence[Any] | np.ndarray, rows: int, lookup: dict[str, float]
) -> np.ndarray | None:
    """Ordinal codes of a column that holds only text and missing values (unseen and missing
    -> NaN); None for any other column, which then takes the value-by-value path."""
    return _arrow_lookup(values, rows, lookup, missing=None, unknown=math.nan, dtype=np.float64)


def _onehot_positions(
    values: Sequence[Any] | np.ndarray, rows: int, lookup: dict[str, int]
) -> np.ndarray | None:
    """One-hot position of each value (missing -> the ``__missing__`` level), -1 for unknown
    levels; for a column of text and missing values only, else None."""
    return _arrow_lookup(values, rows, lookup, missing=MISSING_LEVEL, unknown=-1, dtype=np.int64)


def _arrow_lookup(
    values: Sequence[Any] | np.ndarray,
    rows: int,
    lookup: Mapping[str, float],
    *,
    missing: str | None,
    unknown: float,
    dtype: Any,
) -> np.ndarray | None:
    """``lookup`` applied to each text, vectorised in Arrow (the canonical text of a string is
    the string itself); a missing value is looked up as ``missing`` (None: it is unknown).
    None when the column holds anything but text and missing values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    levels = getattr(values, "categories", None)
    codes = getattr(values, "codes", None)
    if levels is not None and codes is not None:  # a pandas Categorical: look levels up once
        return _categorical_lookup(levels, np.asarray(codes), rows, lookup, missing, unknown, dtype)
    try:
        texts = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if len(texts) != rows:
        raise ValueError(f"expected {rows} values, got {len(texts)}")
    if missing is not None:
        texts = texts.fill_null(missing)
    keys = pa.array(list(lookup), type=pa.string())
    table = np.asarray([*lookup.values(), unknown], dtype=dtype)
    found = pc.index_in(texts, value_set=keys).fill_null(len(keys))
    return table[found.to_numpy(zero_copy_only=False)]


def _categorical_lookup(
    levels: Any,
    codes: np.ndarray,
    rows: int,
    lookup: Mapping[str, float],
    missing: str | None,
    unknown: float,
    dtype: Any,
) -> np.ndarray:
    """``lookup`` of a pandas Categorical: each level's canonical text is looked up once and
    the per-row codes index the result (code -1, a missing value, takes ``missing``'s entry).
    What the validator hands batch scoring: no per-row string work at all."""
    if len(codes) != rows:
        raise ValueError(f"expected {rows} values, got {len(codes)}")
    absent = unknown if missing is None else lookup.get(missing, unknown)
    found = [absent if text is None else lookup.get(text, unknown) for text in map(_text, levels)]
    table = np.asarray([*found, absent], dtype=dtype)
    return table[codes]  # -1 picks the last entry: the missing value's


def _level_codes(levels: np.ndarray) -> dict[str, float]:
    """Category text -> ordinal code; a NaN level (missing seen in training) maps nowhere."""
    return {
        level: float(code)
        for code, level in enumerate(levels.tolist())
        if isinstance(level, str)  # the coercer only ever produces text or NaN
    }


def _is_passthrough(step: Any) -> bool:
    """``"passthrough"`` before fitting; an identity FunctionTransformer after."""
    if isinstance(step, str):
        return step == "passthrough"
    return (
        type(step).__name__ == "FunctionTransformer"
        and step.func is None
        and getattr(step, "inverse_func", None) is None
    )


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- the uncompiled path and parity ----------------------------------------------------------


def _frame(columns: Columns, names: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({name: list(columns[name]) for name in names})


def _pipeline_raw(bundle: Any, frame: pd.DataFrame) -> np.ndarray:
    if bundle.task == "binary":
        return np.asarray(bundle.pipeline.predict_proba(frame)[:, 1], dtype=np.float64)
    return np.asarray(bundle.pipeline.predict(frame), dtype=np.float64)


def synthetic_records(bundle: ModelBundle, rows: int = 64, seed: int = 0) -> dict[str, list[Any]]:
    """Records that exercise every branch: typical values from the contract, quantile edges,
    values outside the training range, missing values, unseen and numeric-looking categories."""
    rng = np.random.default_rng(seed)
    contract = {c["name"]: c for c in bundle.contract.get("columns", [])}
    scorer_columns = compile_columns(bundle)
    out: dict[str, list[Any]] = {}
    for name in scorer_columns[0]:
        info = contract.get(name, {})
        quantiles = [v for v in (info.get("quantiles") or {}).values() if v is not None]
        low = info.get("min") if info.get("min") is not None else 0.0
        high = info.get("max") if info.get("max") is not None else 1.0
        pool = [*quantiles, low, high, low - 1.0, high * 2 + 1, None, 0.0]
        values: list[Any] = [pool[int(rng.integers(len(pool)))] for _ in range(rows)]
        values += [float(rng.uniform(low, high)) for _ in range(rows)]
        out[name] = values
    for name in scorer_columns[1]:
        info = contract.get(name, {})
        levels = list((info.get("categories") or {}).keys()) or ["a"]
        pool = [*levels, None, "__never_seen__", "1", 1.0]
        out[name] = [pool[int(rng.integers(len(pool)))] for _ in range(2 * rows)]
    return out


def compile_columns(bundle: ModelBundle) -> tuple[list[str], list[str]]:
    coercer = dict(getattr(bundle.pipeline, "named_steps", {})).get("coerce")
    return list(getattr(coercer, "numeric", [])), list(getattr(coercer, "categorical", []))


def check_parity(scorer: CompiledScorer, rows: int = 64, tolerance: float = 1e-12) -> float:
    """Largest absolute difference between the fast path and ``bundle.predict`` on synthetic
    records; raises AssertionError above ``tolerance``."""
    if not scorer.compiled:
        return 0.0
    records = synthetic_records(scorer.bundle, rows)
    n = len(next(iter(records.values()))) if records else rows
    fast = scorer.scores(records, n)
    slow = np.asarray(
        scorer.bundle.predict(_frame(records, scorer.numeric + scorer.categorical)),
        dtype=np.float64,
    )
    gap = _gap(fast, slow)
    # one record at a time (the API's single-row call) and, for the records whose values are
    # all clean (numbers and text), from values as the clean-record path passes them
    names = scorer.numeric + scorer.categorical
    single = np.array(
        [
            scorer.scores({k: v[i : i + 1] for k, v in records.items()}, 1)[0]
            for i in range(min(n, 16))
        ]
    )
    gap = max(gap, _gap(single, slow[: len(single)]))
    clean = [
        i
        for i in range(n)
        if all(_is_number(records[k][i]) for k in scorer.numeric)
        and all(isinstance(records[k][i], str) for k in scorer.categorical)
    ]
    if clean:
        values = [
            {k: float(records[k][i]) if k in scorer.numeric else records[k][i] for k in names}
            for i in clean
        ]
        gap = max(gap, _gap(scorer.scores_of_values(values), slow[clean]))
    if not gap <= tolerance:
        raise AssertionError(f"fast path differs from the pipeline by {gap:.3g}")
    return gap


def _gap(fast: np.ndarray, slow: np.ndarray) -> float:
    both_nan = np.isnan(fast) & np.isnan(slow)
    return float(np.max(np.abs(np.where(both_nan, 0.0, fast - slow)), initial=0.0))


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)
