"""The one validator: check new records against a model's contract, repair or reject each value.

``prodml validate``, the HTTP API, batch scoring and monitoring all call :func:`validate` (or a
:class:`Validator` built once and called per batch), so a record is judged the same way wherever
it arrives. The validator never raises on the *records*, whatever they hold (wrong types, NaN,
+-inf, None, huge or unicode strings, missing or extra keys, non-mapping entries, an empty
batch): every row ends ``ok``, ``repaired`` or ``rejected`` with a reason. It raises only for a
bad *configuration* (a policy that cannot apply to its column), before looking at any record.

Per feature column, in this order, the first failing check decides what happens to a value:

1. **missing column**: a feature absent from the whole input rejects every row. (In a list of
   records, a key absent from some records only is a missing value in those.)
2. **missing value** (None, NaN, empty text in a numeric column): the ``missing`` policy.
3. **oversized text**: longer than ``max_string_length`` (and twice the longest text in
   training): rejected.
4. **wrong type**: text that is not a number, a boolean, a date or a container in a numeric
   column; a number, boolean or container where training had text categories (unless its text is
   a known level): rejected.
5. **+-inf** in a numeric column: the ``infinite`` policy. **Out of range**: beyond the training
   range widened by ``range_tolerance``: the ``out_of_range`` policy.
6. **unseen category**: a level not in the contract: the ``unseen`` policy (skipped for columns
   whose training levels were too many to list, where "unseen" cannot be decided).

Columns the contract knows but that are not features (target, id, excluded) are ignored; columns
it does not know are ignored and listed in :attr:`ValidationResult.extra_columns`.

The work is vectorised per column (numpy, pandas and Arrow kernels); only object columns of mixed
Python values, which list-of-dict input produces, are classified value by value. A list of a few
JSON records (an API request) is first offered to :mod:`prodml.data.validation_small`, which
applies the same rules and wording value by value without pandas's fixed cost per call.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import (
    is_bool_dtype,
    is_complex_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_object_dtype,
    is_string_dtype,
    is_timedelta64_dtype,
)

from prodml.data.contract import Contract, category_text
from prodml.data.repair import ColumnRules, Policies, plan_repairs
from prodml.data.text_numbers import parse_text, text_series, to_float
from prodml.data.validation_result import (
    Finding,
    ValidationResult,
    column_report,
    repaired_frame,
    row_codes,
)
from prodml.data.validation_small import SMALL_BATCH, check_small
from prodml.data.verdicts import MISSING_COLUMN, NOT_A_RECORD, ColumnVerdicts, column_verdicts

__all__ = ["Records", "Validator", "validate"]

Records: TypeAlias = (
    pd.DataFrame | pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]] | Mapping[str, Any]
)

# classes of values in object columns
_MISSING, _NUMBER, _BOOL, _TEXT, _OTHER = 0, 1, 2, 3, 4
_RECORD = "(record)"


class Validator:
    """A contract and policies resolved once, then applied to any number of batches.

    Build one per model (the API and batch scorer keep it for their lifetime); resolving the
    policies checks them against the contract, so a bad project file fails at start-up.

    A list of at most :data:`~prodml.data.validation_small.SMALL_BATCH` records (an API request)
    is judged value by value without pandas when its values allow it, with the same result;
    ``small_batches=False`` always takes the vectorised path (the parity tests compare the two).
    """

    def __init__(
        self,
        contract: Contract | Mapping[str, Any],
        policies: Policies | None = None,
        *,
        features: Sequence[str] | None = None,
        small_batches: bool = True,
    ) -> None:
        self.contract = contract if isinstance(contract, Contract) else Contract.from_dict(contract)
        self.policies = policies or Policies()
        self.features = list(features) if features is not None else self.contract.feature_names
        self.rules = plan_repairs(self.contract, self.features, self.policies)
        self.verdicts = {name: column_verdicts(rules) for name, rules in self.rules.items()}
        self.known_columns = frozenset(self.contract.columns)
        self.small_batches = small_batches

    def __call__(self, records: Records) -> ValidationResult:
        if self.small_batches and isinstance(records, list | tuple | dict):
            items = [records] if isinstance(records, dict) else records
            if len(items) <= SMALL_BATCH:
                result = check_small(self, items, lambda: _as_frame(items)[0])
                if result is not None:
                    return result
        return self._vectorised(records)

    def _vectorised(self, records: Records) -> ValidationResult:
        frame, not_records = _as_frame(records)
        n = len(frame)
        findings: list[Finding] = []
        if not_records is not None and not_records.any():
            rows = np.flatnonzero(not_records)
            findings.append(NOT_A_RECORD.finding(_RECORD, rows, None))
        out: dict[str, Any] = {}
        reports = {}
        missing_columns = []
        for name, rules in self.rules.items():
            if name in frame.columns:
                values, column_findings = _check_column(frame[name], rules, self.verdicts[name])
                present = True
            else:
                missing_columns.append(name)
                values = np.full(n, np.nan)
                column_findings = [MISSING_COLUMN.finding(name, np.arange(n), None)]
                present = False
            out[name] = values
            findings.extend(column_findings)
            reports[name] = column_report(
                name, "numeric" if rules.numeric else "categorical", present, n, column_findings
            )
        codes = row_codes(findings, n)
        extra = [str(c) for c in frame.columns if str(c) not in self.known_columns]
        repaired = repaired_frame(out, n, np.flatnonzero(codes < 2))
        return ValidationResult(
            n_rows=n,
            codes=codes,
            make_frame=lambda: repaired,
            make_columns=lambda: reports,
            extra_columns=extra,
            missing_columns=missing_columns,
            findings=tuple(findings),
            make_records=lambda: frame,
            max_rejected_share=self.policies.max_rejected_share,
        )


def validate(
    records: Records,
    contract: Contract | Mapping[str, Any],
    policies: Policies | None = None,
    *,
    features: Sequence[str] | None = None,
) -> ValidationResult:
    """Validate and repair ``records`` against ``contract``; see the module docstring.

    ``contract`` is a :class:`~prodml.data.Contract` or its dict form (``ModelBundle.contract``);
    ``features`` are the model's feature columns (``ModelBundle.features``), by default every
    feature-like column of the contract. The result's ``frame`` is ready for
    :meth:`prodml.ModelBundle.predict`.
    """
    return Validator(contract, policies, features=features)(records)


# -- input --------------------------------------------------------------------------------------


def _as_frame(records: Records) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Any accepted input as a frame with distinct string column names and a 0..n-1 index.

    Returns the frame and, for a list input, which entries were not mappings (their rows are
    empty in the frame and rejected).
    """
    not_records = None
    frame: pd.DataFrame
    if isinstance(records, pd.DataFrame):
        frame = records
    elif isinstance(records, pa.Table | pa.RecordBatch):
        frame = _arrow_frame(records)
    elif isinstance(records, Mapping):
        return _as_frame([records])
    elif isinstance(records, Iterable) and not isinstance(records, str | bytes):
        frame, not_records = _records_frame(list(records))
    else:
        raise TypeError(
            "records must be a pandas DataFrame, an Arrow table or a list of mappings, "
            f"not {type(records).__name__}"
        )
    names = [str(c) for c in frame.columns]
    if names != list(frame.columns) or len(set(names)) != len(names):
        frame = frame.set_axis(names, axis=1)
        frame = frame.loc[:, ~frame.columns.duplicated()]
    if (
        not isinstance(frame.index, pd.RangeIndex)
        or frame.index.start != 0
        or frame.index.step != 1
    ):
        frame = frame.reset_index(drop=True)
    return frame, not_records


def _arrow_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    try:
        return table.to_pandas()
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        columns = {}
        for name, column in zip(table.column_names, table.columns, strict=True):
            try:
                columns[name] = column.to_pandas()
            except (pa.ArrowException, ValueError, TypeError, OverflowError):
                columns[name] = pd.Series(column.to_pylist(), dtype=object)
        return pd.DataFrame(columns)


def _records_frame(items: list[Any]) -> tuple[pd.DataFrame, np.ndarray]:
    is_record = np.fromiter((isinstance(item, Mapping) for item in items), bool, len(items))
    dicts = [
        {str(key): value for key, value in item.items()} if ok else {}
        for item, ok in zip(items, is_record, strict=True)
    ]
    try:
        frame = pd.DataFrame.from_records(dicts) if dicts else pd.DataFrame()
        if len(frame) != len(dicts):
            raise ValueError("row count changed")
    except (ValueError, TypeError, OverflowError):
        keys = list(dict.fromkeys(key for record in dicts for key in record))
        columns = {}
        for key in keys:
            array = np.empty(len(dicts), dtype=object)
            for i, record in enumerate(dicts):
                array[i] = record.get(key)
            columns[key] = pd.Series(array, dtype=object)  # object: no text conversion
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(dicts)))
    return frame, ~is_record


# -- one column ---------------------------------------------------------------------------------


def _check_column(
    column: pd.Series, rules: ColumnRules, verdicts: ColumnVerdicts
) -> tuple[np.ndarray, list[Finding]]:
    if rules.numeric:
        return _check_numeric(column, rules, verdicts)
    return _check_categorical(column, rules, verdicts)


def _check_numeric(
    column: pd.Series, rules: ColumnRules, verdicts: ColumnVerdicts
) -> tuple[np.ndarray, list[Finding]]:
    name = rules.name
    raw = column.to_numpy(dtype=object) if _needs_raw(column) else None
    numbers_, missing, wrong, oversized = _as_numbers(column, rules.max_length)
    findings: list[Finding] = []
    values_of = _values_getter(column, raw)

    if oversized.any():
        rows = np.flatnonzero(oversized)
        findings.append(verdicts.oversized.finding(name, rows, values_of(rows)))
    if wrong.any():
        rows = np.flatnonzero(wrong)
        findings.append(verdicts.wrong_type.finding(name, rows, values_of(rows)))
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(numbers_)
    if infinite.any():
        assert verdicts.infinite is not None
        rows = np.flatnonzero(infinite)
        shown = numbers_[rows].astype(object)
        if rules.infinite == "clip":
            assert rules.low is not None and rules.high is not None
            numbers_[rows] = np.where(numbers_[rows] > 0, rules.high, rules.low)
        elif rules.infinite != "reject":  # treated as missing, then the missing policy applies
            numbers_[rows] = np.nan
            _apply_missing(numbers_, rows, rules)
        findings.append(verdicts.infinite.finding(name, rows, shown))
    if missing.any():
        rows = np.flatnonzero(missing)
        _apply_missing(numbers_, rows, rules)
        findings.append(verdicts.missing.finding(name, rows, None))
    if verdicts.out_of_range is not None:
        assert rules.low is not None and rules.high is not None
        with np.errstate(invalid="ignore"):
            outside = ~infinite & ((numbers_ < rules.low) | (numbers_ > rules.high))
        outside &= ~missing & ~wrong & ~oversized
        if outside.any():
            rows = np.flatnonzero(outside)
            shown = numbers_[rows].astype(object)
            if rules.out_of_range == "clip":
                numbers_[rows] = np.clip(numbers_[rows], rules.low, rules.high)
            findings.append(verdicts.out_of_range.finding(name, rows, shown))
    return numbers_, findings


def _apply_missing(values: np.ndarray, rows: np.ndarray, rules: ColumnRules) -> None:
    """Fill ``values[rows]`` per the missing policy (the verdict says what that was)."""
    if rules.missing == "impute":
        values[rows] = rules.fill


def _as_numbers(
    column: pd.Series, max_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(float64 values, missing, wrong type, oversized) masks for a numeric feature column."""
    n = len(column)
    nothing = np.zeros(n, dtype=bool)
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if is_bool_dtype(dtype):
        missing = column.isna().to_numpy()
        return np.full(n, np.nan), missing, ~missing, nothing
    if is_complex_dtype(dtype) or is_datetime64_any_dtype(dtype) or is_timedelta64_dtype(dtype):
        missing = column.isna().to_numpy()
        return np.full(n, np.nan), missing, ~missing, nothing
    if is_numeric_dtype(dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        return values, np.isnan(values), nothing, nothing
    if is_string_dtype(dtype) and not is_object_dtype(dtype):
        return parse_text(column, max_length)
    return _object_numbers(column.to_numpy(dtype=object), max_length)


def _object_numbers(
    values: np.ndarray, max_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(values)
    classes = np.fromiter(map(_classify, values), dtype=np.int8, count=n)
    out = np.full(n, np.nan)
    missing = classes == _MISSING
    wrong = (classes == _BOOL) | (classes == _OTHER)
    oversized = np.zeros(n, dtype=bool)
    numeric = np.flatnonzero(classes == _NUMBER)
    if len(numeric):
        out[numeric] = np.fromiter(map(to_float, values[numeric]), np.float64, len(numeric))
        missing[numeric] |= np.isnan(out[numeric])
    text_rows = np.flatnonzero(classes == _TEXT)
    if len(text_rows):
        parsed, t_missing, t_wrong, t_oversized = parse_text(
            text_series(values[text_rows]), max_length
        )
        out[text_rows] = parsed
        missing[text_rows] = t_missing
        wrong[text_rows] = t_wrong
        oversized[text_rows] = t_oversized
    return out, missing, wrong, oversized


def _arrow_text(dtype: Any) -> bool:
    """Text held in Arrow (pandas' default string dtype when read from Parquet or CSV)."""
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _arrow_factorize(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize`` for Arrow text, done by Arrow's dictionary encoding (about 3x faster).

    Codes are -1 for missing values; the levels are the dictionary's texts, which are already
    the category keys (text needs no re-spelling).
    """
    import pyarrow as pa

    array = pa.array(column.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = array.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    levels = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    return codes, levels


def _check_categorical(
    column: pd.Series, rules: ColumnRules, verdicts: ColumnVerdicts
) -> tuple[Any, list[Finding]]:
    """Checks on the distinct levels of the column, mapped back to rows by their codes.

    A categorical column has few distinct values, so every test (known level? too long? a number
    where text was trained?) runs once per level, and the repaired column is a pandas
    ``Categorical`` over the level texts: no per-row string work, even for a million rows.
    """
    name = rules.name
    dtype = column.dtype
    n = len(column)
    findings: list[Finding] = []
    row_classes: np.ndarray | None = None
    if isinstance(dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        raw_levels = pd.Series(dtype.categories.to_numpy(dtype=object), dtype=object)
        level_keys = category_text(raw_levels)
        level_typed = np.fromiter(map(_classify, raw_levels), np.int8, len(raw_levels))
        level_typed = (level_typed == _NUMBER) | (level_typed == _BOOL)
    elif is_object_dtype(dtype):
        raw = column.to_numpy(dtype=object)
        row_classes = np.fromiter(map(_classify, raw), dtype=np.int8, count=n)
        codes, uniques = pd.factorize(category_text(column), use_na_sentinel=True)
        level_keys = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        level_typed = np.zeros(len(level_keys), dtype=bool)
    elif _arrow_text(dtype):
        codes, level_keys = _arrow_factorize(column)
        level_typed = np.zeros(len(level_keys), dtype=bool)
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        level_keys = category_text(pd.Series(uniques))
        typed = is_bool_dtype(dtype) or is_numeric_dtype(dtype)
        level_typed = np.full(len(level_keys), typed, dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    # one text per distinct key: levels that print alike (1 and 1.0) share a code
    key_codes, key_uniques = pd.factorize(level_keys, use_na_sentinel=True)
    keys = pd.Index(np.asarray(key_uniques, dtype=object), dtype=object)
    row_codes = np.where(
        missing, -1, np.asarray(key_codes)[np.maximum(codes, 0)] if len(key_codes) else -1
    )
    missing = row_codes < 0

    def per_row(level_mask: np.ndarray) -> np.ndarray:
        if len(level_mask) == 0:
            return np.zeros(n, dtype=bool)
        return level_mask[np.maximum(codes, 0)] & ~missing

    # per distinct key, not per row; a plain loop keeps lone surrogates away from Arrow
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    oversized = (
        (lengths > rules.max_length)[np.maximum(row_codes, 0)] & ~missing
        if len(keys)
        else np.zeros(n, bool)
    )
    known = rules.known
    key_known = keys.isin(list(known)) if known is not None else np.ones(len(keys), dtype=bool)
    is_known = key_known[np.maximum(row_codes, 0)] & ~missing if len(keys) else np.zeros(n, bool)
    if row_classes is not None:
        wrong = row_classes == _OTHER
        typed_rows = (row_classes == _NUMBER) | (row_classes == _BOOL)
    else:
        wrong = np.zeros(n, dtype=bool)
        typed_rows = per_row(level_typed)
    if rules.text_trained:
        wrong |= typed_rows & ~is_known
    wrong &= ~missing & ~oversized
    key_text = keys.to_numpy(dtype=object)

    def keys_at(rows: np.ndarray) -> np.ndarray:
        return key_text[row_codes[rows]]

    raw_of = _values_getter(
        column, column.to_numpy(dtype=object) if row_classes is not None else None
    )
    if oversized.any():
        rows = np.flatnonzero(oversized)
        findings.append(verdicts.oversized.finding(name, rows, keys_at(rows)))
    if wrong.any():
        rows = np.flatnonzero(wrong)
        findings.append(verdicts.wrong_type.finding(name, rows, raw_of(rows)))
    categories = list(key_text)

    def code_of(level: str) -> int:
        if level not in categories:
            categories.append(level)
        return categories.index(level)

    out_codes = row_codes.copy()
    if missing.any():
        rows = np.flatnonzero(missing)
        if rules.missing == "impute":
            out_codes[rows] = code_of(str(rules.fill))
        findings.append(verdicts.missing.finding(name, rows, None))
    if verdicts.unseen is not None:
        unseen = ~is_known & ~missing & ~wrong & ~oversized
        if unseen.any():
            rows = np.flatnonzero(unseen)
            findings.append(verdicts.unseen.finding(name, rows, keys_at(rows)))
            if rules.unseen != "reject":
                out_codes[rows] = code_of(str(rules.unseen_fill))
    repaired = pd.Categorical.from_codes(out_codes, categories=pd.Index(categories, dtype=object))
    return repaired, findings


# -- helpers ------------------------------------------------------------------------------------


def _needs_raw(column: pd.Series) -> bool:
    return not is_numeric_dtype(column.dtype) or is_bool_dtype(column.dtype)


def _values_getter(column: pd.Series, raw: np.ndarray | None) -> Any:
    """Offending values at given rows, for messages and examples, without copying the column."""

    def get(rows: np.ndarray) -> np.ndarray:
        if raw is not None:
            return raw[rows]
        return column.iloc[rows].to_numpy(dtype=object)

    return get


def _classify(value: Any) -> int:
    if value is None or value is pd.NA or value is pd.NaT:
        return _MISSING
    if isinstance(value, bool | np.bool_):
        return _BOOL
    if isinstance(value, float | np.floating):
        return _MISSING if value != value else _NUMBER
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, numbers.Real | Decimal):
        return _NUMBER
    return _OTHER
