"""Score one batch of records: validate, repair or reject, score, decide, one output row each.

The same :class:`BatchScorer` runs in the local engine's threads and inside the Ray engine's
actors, so both engines give the same output row for row. A batch goes through:

1. the one validator (:class:`prodml.data.validation.Validator`, built from the model's contract
   and the project's repair policies): every row ends ``ok``, ``repaired`` or ``rejected``;
2. the fast path (:mod:`prodml.registry.fastpath`, shared with serving: a compiled vectorised
   encoder and one model call) on the rows that are not rejected, checked against the bundle's
   own ``predict`` before use; a pipeline it cannot compile is scored by ``ModelBundle.predict``;
3. the bundle's decision rule.

Rejected rows are kept, with their reason and no score. The output columns are, in order:
``row`` (input position, when known), the id column (when the project names one and the input
has it), ``prediction`` (binary: the predicted label; regression: the model's value),
``probability`` (binary only), ``decision`` (binary: act or not; regression: the value-optimal
prediction), ``model_version``, ``status``, ``repairs`` and ``reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

    from prodml.data.repair import Policies
    from prodml.registry.bundle import ModelBundle
    from prodml.registry.fastpath import CompiledScorer

__all__ = ["BatchScorer", "output_schema"]


@cache
def _status_text() -> pa.Array:
    """The status names, indexed by the validator's per-row codes."""
    import pyarrow as pa

    from prodml.data.validation_result import STATUSES

    return pa.array(STATUSES, type=pa.string())


def output_schema(task: str, id_column: str | None, id_type: Any = None) -> pa.Schema:
    """The Arrow schema every output part has (``row`` first; the id column when known)."""
    import pyarrow as pa

    fields: list[Any] = [pa.field("row", pa.int64())]
    if id_column is not None:
        fields.append(pa.field(id_column, id_type if id_type is not None else pa.string()))
    if task == "binary":
        fields += [
            pa.field("prediction", pa.string()),
            pa.field("probability", pa.float64()),
            pa.field("decision", pa.bool_()),
        ]
    else:
        fields += [pa.field("prediction", pa.float64()), pa.field("decision", pa.float64())]
    fields += [
        pa.field("model_version", pa.int64()),
        pa.field("status", pa.string()),
        pa.field("repairs", pa.string()),
        pa.field("reason", pa.string()),
    ]
    return pa.schema(fields)


class BatchScorer:
    """A model version ready to score batches; build once per thread pool or Ray actor.

    ``bundle`` is a loaded :class:`~prodml.registry.bundle.ModelBundle` or its verified bytes
    (what the Ray engine ships to each actor).
    """

    def __init__(
        self,
        bundle: ModelBundle | bytes,
        *,
        version: int,
        policies: Policies | None = None,
        id_column: str | None = None,
    ) -> None:
        from prodml.data.validation import Validator
        from prodml.registry.bundle import ModelBundle

        if isinstance(bundle, bytes):
            bundle = ModelBundle.from_bytes(bundle, where=f"model version {version}")
        self.bundle = bundle
        self.version = int(version)
        self.id_column = id_column
        self.features = list(bundle.features)
        self.validator = Validator(bundle.contract, policies, features=self.features)
        self.text = [name for name, rules in self.validator.rules.items() if not rules.numeric]
        self.scorer = _fast_scorer(bundle)
        self.labels = _labels(bundle)

    @property
    def fast(self) -> bool:
        return self.scorer is not None

    def portable(self) -> BatchScorer:
        """A copy to ship to other processes (Ray actors) that unpickles without scikit-learn.

        The compiled fast path is plain numpy state: with it, the fitted pipeline is needed
        neither to score nor to post-process (calibration and the decision rule live in the
        bundle's metadata), so the copy's bundle has no pipeline and none of the metadata that
        scoring never reads. An actor then imports neither scikit-learn nor joblib and does not
        repeat the parity check this scorer passed when it was built (on 2 cores that was
        2.8 s of CPU per actor, measured). Without a fast path the scorer is returned as it is.
        """
        if self.scorer is None:
            return self
        bundle = replace(self.bundle, pipeline=None, metrics={}, explanation={}, profile={})
        copy = object.__new__(BatchScorer)
        copy.__dict__.update(self.__dict__)
        copy.bundle = bundle
        copy.scorer = replace(self.scorer, bundle=bundle)
        return copy

    def missing_columns(self, names: Sequence[str]) -> list[str]:
        """Features the input does not have: every row would be rejected, so callers refuse."""
        present = set(names)
        return [name for name in self.features if name not in present]

    def __call__(self, batch: Any, start_row: int | None = None) -> pa.Table:
        """Score ``batch`` (Arrow table or record batch, or a pandas frame) into output rows.

        ``start_row`` is the input position of the batch's first row (the ``row`` column).
        """
        import pyarrow as pa

        result = self.validator(_categories(batch, self.text))
        n = result.n_rows
        codes = np.asarray(result.codes)
        accepted = np.flatnonzero(codes < 2)
        scores = np.full(n, np.nan)
        if len(accepted):
            scores[accepted] = self._scores(result.frame, len(accepted))
        scored = codes < 2
        columns: dict[str, Any] = {}
        if start_row is not None:
            columns["row"] = pa.array(np.arange(start_row, start_row + n, dtype=np.int64))
        if self.id_column is not None:
            columns[self.id_column] = _column(batch, self.id_column, n)
        mask = ~scored
        if self.bundle.task == "binary":
            act = np.asarray(self.bundle.decide(np.where(scored, scores, 0.0)), dtype=bool)
            # the two labels taken by index: no Python string per row
            which = pa.array(np.where(act, 0, 1).astype(np.int8), mask=mask)
            columns["prediction"] = pa.array(self.labels, type=pa.string()).take(which)
            columns["probability"] = pa.array(scores, type=pa.float64(), mask=mask)
            columns["decision"] = pa.array(act, type=pa.bool_(), mask=mask)
        else:
            decided = np.asarray(self.bundle.decide(scores), dtype=np.float64)
            columns["prediction"] = pa.array(scores, type=pa.float64(), mask=mask)
            columns["decision"] = pa.array(decided, type=pa.float64(), mask=mask)
        columns["model_version"] = pa.array(np.full(n, self.version, dtype=np.int64))
        columns["status"] = _status_text().take(pa.array(codes.astype(np.int8)))
        columns["repairs"] = _texts(result.repairs.to_numpy() if result.n_repaired else None, n)
        columns["reason"] = _texts(result.reasons.to_numpy() if result.n_rejected else None, n)
        return pa.table(columns)

    def _scores(self, frame: Any, rows: int) -> np.ndarray:
        if self.scorer is not None:
            # categories stay pandas Categoricals: the encoder looks each level up once
            values = {name: _values(frame[name]) for name in self.features}
            return self.scorer.scores(values, rows)
        return np.asarray(self.bundle.predict(frame), dtype=np.float64)


def _fast_scorer(bundle: ModelBundle) -> CompiledScorer | None:
    """The compiled fast path when it compiles this pipeline and agrees with ``predict`` on
    synthetic records (missing values, unseen categories, out-of-range numbers); else None,
    and the bundle's own ``predict`` scores (slower, never different)."""
    from prodml.registry.fastpath import check_parity, compile_scorer

    scorer = compile_scorer(bundle)
    if not scorer.compiled:
        return None
    try:
        check_parity(scorer, rows=128)
    except AssertionError:
        return None
    return scorer


def _labels(bundle: ModelBundle) -> tuple[str, str]:
    """(label when acting, label otherwise) for a binary model, read from the contract."""
    positive = "1" if bundle.positive_label is None else str(bundle.positive_label)
    negative = f"not {positive}"
    for column in bundle.contract.get("columns", []):
        if column.get("name") == bundle.target:
            others = [k for k in (column.get("categories") or {}) if k != positive]
            if len(others) == 1:
                negative = str(others[0])
    return positive, negative


def _values(column: Any) -> Any:
    """A validated column for the fast path: a Categorical as it is, anything else as numpy."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    return column.to_numpy()


def _categories(batch: Any, names: list[str]) -> Any:
    """Arrow text of categorical features, dictionary-encoded (in Arrow, per batch): pandas then
    holds them as Categoricals, which the validator checks and the fast path looks up once per
    level, instead of a Python string per row. Any other input is returned as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(batch, pa.Table | pa.RecordBatch):
        return batch
    for name in names:
        i = batch.schema.get_field_index(name)
        if i >= 0 and (
            pa.types.is_string(batch.schema.field(i).type)
            or pa.types.is_large_string(batch.schema.field(i).type)
        ):
            batch = batch.set_column(i, name, pc.dictionary_encode(batch.column(i)))
    return batch


def _column(batch: Any, name: str, n: int) -> Any:
    import pyarrow as pa

    if isinstance(batch, pa.Table | pa.RecordBatch):
        if name in batch.column_names:
            column = batch.column(name)
            return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return pa.nulls(n, pa.string())
    if name in batch.columns:
        return pa.array(batch[name], from_pandas=True)
    return pa.nulls(n, pa.string())


def _texts(values: np.ndarray | None, n: int) -> Any:
    """Per-row texts, null where empty (most rows have no repair and no reason)."""
    import pyarrow as pa

    if values is None:
        return pa.nulls(n, pa.string())
    empty = np.asarray(values == "", dtype=bool)
    return pa.array(values, type=pa.string(), mask=empty)
