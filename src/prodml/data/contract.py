"""The data contract: what the training data looked like, column by column.

It is inferred once, at training, and versioned inside the model bundle. Everything that later
judges new data without the training rows at hand reads it: the inference-time validator
(repair or reject a record), the serving schema, and monitoring (drift against ranges, quantiles
and category counts). So it records more than a schema: how often values were missing, the range
and spread of numbers, the frequency of each category, the length of strings.

The contract is plain data: :meth:`Contract.to_dict` gives JSON-safe types only (``None`` instead
of NaN or infinity, ``float``/``int``/``str`` instead of numpy scalars) and
:meth:`Contract.from_dict` rebuilds an equal object, so it can be stored as JSON and compared.

Conventions a consumer must follow:

* Category levels are text keys made by :func:`category_keys`: strings as they are, whole numbers
  without a decimal point (``"1"`` not ``"1.0"``, so a 0/1 flag keeps its keys when missing
  values turn the column to float), booleans as ``"true"``/``"false"``.
* At most :data:`MAX_CATEGORIES` levels are listed, most frequent first (ties by key); rows of the
  remaining levels are counted in ``other_count``.
* Numeric statistics are over finite values only; ``std`` is the sample standard deviation
  (``ddof=1``) and is ``None`` for fewer than two values; quantiles use linear interpolation.
* Datetime ranges are ISO 8601 strings in UTC; naive timestamps are taken to be UTC.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from prodml.data.kinds import ColumnKind, infer_kinds, parse_datetime
from prodml.errors import DataError, IntegrityError

__all__ = [
    "CONTRACT_VERSION",
    "MAX_CATEGORIES",
    "QUANTILE_LEVELS",
    "ColumnContract",
    "Contract",
    "category_keys",
    "category_text",
    "infer_contract",
]

CONTRACT_VERSION = 1
MAX_CATEGORIES = 1000
QUANTILE_LEVELS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_LEVELLED_KINDS = frozenset({"categorical", "boolean"})


@dataclass(frozen=True)
class ColumnContract:
    """One column as seen in training; fields that do not apply to its kind are ``None``."""

    name: str
    kind: ColumnKind
    dtype: str
    nullable: bool
    missing_rate: float
    n_unique: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] | None = None
    is_integer: bool = False
    categories: dict[str, int] | None = None
    other_count: int = 0
    max_length: int | None = None
    earliest: str | None = None
    latest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnContract:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        missing = sorted(n for n in ("name", "kind", "dtype", "nullable") if n not in data)
        if unknown or missing or data["kind"] not in get_args(ColumnKind):
            raise IntegrityError(
                f"malformed column contract (unknown keys {unknown}, missing keys {missing}, "
                f"kind {data.get('kind')!r})",
                where=f"contract column {data.get('name')!r}",
                fix="the stored model bundle is damaged; retrain or restore it from the store",
            )
        values = dict(data)
        for key in ("quantiles", "categories"):
            if values.get(key) is not None:
                values[key] = dict(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Contract:
    """The whole table: its columns in data order, the row count and the roles of columns."""

    columns: dict[str, ColumnContract]
    n_rows: int
    target: str | None = None
    id_column: str | None = None
    time_column: str | None = None

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        return {name: column.kind for name, column in self.columns.items()}

    @property
    def feature_names(self) -> list[str]:
        """Columns a model may read: all but the target, id and time columns and identifiers.

        The time column orders the data but is not a feature: a model keyed on calendar dates
        cannot extrapolate to the future it will score.
        """
        roles = {self.target, self.id_column, self.time_column}
        return [
            name
            for name, column in self.columns.items()
            if name not in roles and column.kind != "identifier"
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; columns are a list so their order survives any JSON reader."""
        return {
            "format": "prodml.contract",
            "version": CONTRACT_VERSION,
            "n_rows": self.n_rows,
            "target": self.target,
            "id_column": self.id_column,
            "time_column": self.time_column,
            "columns": [column.to_dict() for column in self.columns.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contract:
        if data.get("format") != "prodml.contract" or not isinstance(data.get("columns"), list):
            raise IntegrityError(
                "not a prodml data contract",
                where="contract",
                fix="the stored model bundle is damaged; retrain or restore it from the store",
            )
        version = data.get("version")
        if version != CONTRACT_VERSION:
            raise IntegrityError(
                f"data contract version {version!r}; this prodml reads version {CONTRACT_VERSION}",
                where="contract",
                fix="use the prodml version that trained the model, or retrain with this one",
            )
        columns = [ColumnContract.from_dict(column) for column in data["columns"]]
        return cls(
            columns={column.name: column for column in columns},
            n_rows=int(data["n_rows"]),
            target=data.get("target"),
            id_column=data.get("id_column"),
            time_column=data.get("time_column"),
        )


def infer_contract(
    df: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    *,
    target: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
) -> Contract:
    """Summarise every column of the training frame; kinds not given are inferred."""
    for role, name in (("target", target), ("id column", id_column), ("time column", time_column)):
        if name is not None and name not in df.columns:
            raise DataError(
                f"the {role} {name!r} is not a column of the data",
                where=f"column {name!r}",
                fix=f"use one of: {', '.join(map(str, df.columns[:20]))}",
            )
    missing_kinds = [c for c in df.columns if c not in kinds]
    all_kinds = {**infer_kinds(df[missing_kinds]), **kinds} if missing_kinds else dict(kinds)
    columns = {
        str(name): _column_contract(str(name), df[name], all_kinds[str(name)])
        for name in df.columns
    }
    return Contract(
        columns=columns,
        n_rows=len(df),
        target=target,
        id_column=id_column,
        time_column=time_column,
    )


def category_keys(column: pd.Series) -> pd.Series:
    """The text key of every value, as the contract's ``categories`` spell them (missing stays)."""
    present = column.notna()
    values = column[present]
    if is_bool_dtype(values.dtype) or (
        values.dtype == object and pd.api.types.infer_dtype(values) == "boolean"
    ):
        keys = values.map({True: "true", False: "false"}).astype("str")
    elif is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64")
        finite = np.isfinite(numbers)
        safe = np.where(finite, numbers, 0.0)
        whole = finite & (np.floor(safe) == numbers) & (np.abs(safe) < 2.0**63)
        text = values.astype("str").to_numpy(dtype=object)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        keys = pd.Series(text, index=values.index, dtype="str")
    else:
        keys = values.astype("str")
    return keys.reindex(column.index)


def category_text(series: pd.Series) -> pd.Series:
    """The text every fitted pipeline encodes a categorical value as; missing stays NaN.

    The one implementation shared by :class:`~prodml.train.features.FrameCoercer` (the first
    step of every pipeline) and the inference validator, so "is this category known?" is decided
    on exactly the text the model's encoder will see: ``1.0`` from a float column and ``1`` from
    JSON are both ``"1"``, booleans are ``"true"``/``"false"``. Vectorised per dtype; a pandas
    categorical is converted through its (few) categories; only object columns of mixed Python
    values are converted value by value.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(dtype.categories.to_numpy(dtype=object), dtype=object)
        texts = category_text(categories).to_numpy(dtype=object)
        codes = series.cat.codes.to_numpy()
        out = np.where(codes >= 0, texts[np.maximum(codes, 0)] if len(texts) else np.nan, np.nan)
        return pd.Series(out.astype(object), index=series.index, dtype=object)
    missing = series.isna().to_numpy()
    if is_bool_dtype(dtype):
        text = np.where(series.to_numpy(dtype=bool, na_value=False), "true", "false")
    elif is_numeric_dtype(dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(numbers) & (numbers == np.round(numbers))
            whole &= np.abs(numbers) < 2.0**63
        # 1.0 from a float column and 1 from JSON must be the same category
        text = np.where(
            whole, np.where(whole, numbers, 0).astype(np.int64).astype(str), numbers.astype(str)
        )
    elif pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        text = series.to_numpy(dtype=object, na_value="")
    else:
        values = series.astype(object).to_numpy()
        text = np.array([_value_text(v) for v in values], dtype=object)
    out = np.asarray(text, dtype=object)
    out[missing] = np.nan
    return pd.Series(out, index=series.index, dtype=object)


def _value_text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    try:
        return str(value)
    except Exception:  # a hostile __str__ must not crash validation or scoring
        return f"<unprintable {type(value).__name__}>"


def _column_contract(name: str, column: pd.Series, kind: ColumnKind) -> ColumnContract:
    rows = len(column)
    missing = int(column.isna().sum())
    base: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "dtype": str(column.dtype),
        "nullable": missing > 0,
        "missing_rate": missing / rows if rows else 0.0,
        "n_unique": int(column.nunique(dropna=True)),
        "max_length": _max_length(column),
    }
    if kind == "numeric":
        base.update(_numeric_stats(column))
    elif kind in _LEVELLED_KINDS:
        base.update(_category_stats(column))
    elif kind == "datetime":
        stamps = parse_datetime(column).dropna()
        if len(stamps):
            base["earliest"] = stamps.min().isoformat()
            base["latest"] = stamps.max().isoformat()
    return ColumnContract(**base)


def _numeric_stats(column: pd.Series) -> dict[str, Any]:
    if is_numeric_dtype(column.dtype) and not is_bool_dtype(column.dtype):
        numbers = column.to_numpy(dtype="float64", na_value=np.nan)
    else:
        numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    finite = numbers[np.isfinite(numbers)]
    if len(finite) == 0:
        return {}
    quantiles = np.quantile(finite, QUANTILE_LEVELS, method="linear")
    return {
        "min": _json_float(finite.min()),
        "max": _json_float(finite.max()),
        "mean": _json_float(finite.mean()),
        "std": _json_float(finite.std(ddof=1)) if len(finite) > 1 else None,
        "quantiles": {
            f"{level:g}": _json_float(value)
            for level, value in zip(QUANTILE_LEVELS, quantiles, strict=True)
        },
        "is_integer": bool(np.all(np.floor(finite) == finite)),
    }


def _category_stats(column: pd.Series) -> dict[str, Any]:
    counts = category_keys(column).value_counts(dropna=True)
    if len(counts) == 0:
        return {"categories": {}}
    ordered = pd.DataFrame({"key": counts.index.astype("str"), "count": counts.to_numpy()})
    ordered = ordered.sort_values(["count", "key"], ascending=[False, True], kind="stable")
    kept = ordered.iloc[:MAX_CATEGORIES]
    return {
        "categories": {
            str(key): int(count)
            for key, count in zip(kept["key"].tolist(), kept["count"].tolist(), strict=True)
        },
        "other_count": int(ordered["count"].iloc[MAX_CATEGORIES:].sum()),
    }


def _max_length(column: pd.Series) -> int | None:
    """Longest string, for text-like columns only (a hint for storage and input validation)."""
    if is_numeric_dtype(column.dtype) or is_bool_dtype(column.dtype):
        return None
    present = column.dropna()
    if isinstance(present.dtype, pd.CategoricalDtype):
        present = present.astype(object)
    if len(present) == 0 or pd.api.types.infer_dtype(present) != "string":
        return None
    return int(present.astype("str").str.len().max())


def _json_float(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
