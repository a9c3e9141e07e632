"""Scores of held-out rows with one feature shuffled, for permutation importance.

Permutation importance scores ``repeats x rows`` rows per feature. Sending each of those stacked
frames through the whole pipeline re-coerces and re-encodes every column, although only one
changed; on the credit example that was most of the time ``prodml train`` spent explaining.

Every pipeline prodml builds encodes each feature on its own, row by row (type coercion,
imputation with a missing indicator, scaling, one-hot or ordinal codes). Shuffling a feature's
rows therefore shuffles, in the same way, exactly the encoded columns that feature produces, and
leaves the others alone. :class:`EncodedRows` encodes the rows once, finds which encoded columns
each feature produces, and hands the final model the encoded matrix with those columns permuted:
the very matrix the pipeline would have built, so the scores are identical, bit for bit.

Which columns a feature produces is observed, not assumed: the first rows are encoded once more
with each feature's values rotated by one row, and an encoded column that moves belongs to that
feature; a column that never moves must be constant on all rows (else all rows are probed). A
pipeline whose encoded columns mix features (or whose encoding is not a float matrix) is scored
the plain way, by :class:`FrameRows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle

__all__ = ["EncodedRows", "FrameRows", "PermutableRows", "permutable_rows"]

# rows encoded with each feature rotated, to see which encoded columns move: enough for every
# column to move in practice; a column that never moved must be constant, else all rows are probed
_PROBE_ROWS = 256


class PermutableRows(Protocol):
    """Held-out rows that can be scored as they are and with one feature's rows permuted."""

    def scores(self) -> np.ndarray:
        """The served scores of the rows, in order."""
        ...

    def permuted_scores(self, feature: str, permutations: Sequence[np.ndarray]) -> np.ndarray:
        """Scores of the rows repeated once per permutation, ``feature`` permuted in each copy.

        Shape ``(len(permutations) * rows,)``: copy ``r`` holds the rows with ``feature`` taken
        from rows ``permutations[r]``.
        """
        ...


def permutable_rows(bundle: ModelBundle, X: pd.DataFrame) -> PermutableRows:
    """The cheapest exact way to score ``X`` under permutations: encoded once when possible."""
    return EncodedRows.encode(bundle, X) or FrameRows(bundle, X.reset_index(drop=True))


@dataclass(frozen=True)
class FrameRows:
    """Scores by running the whole pipeline on each permuted frame (works for any pipeline)."""

    bundle: ModelBundle
    X: pd.DataFrame

    def scores(self) -> np.ndarray:
        return np.asarray(self.bundle.predict(self.X), dtype=np.float64)

    def permuted_scores(self, feature: str, permutations: Sequence[np.ndarray]) -> np.ndarray:
        stacked = pd.concat([self.X] * len(permutations), ignore_index=True)
        column = self.X[feature].to_numpy()
        shuffled = np.concatenate([column[order] for order in permutations])
        stacked[feature] = pd.Series(shuffled, dtype=self.X[feature].dtype)
        return np.asarray(self.bundle.predict(stacked), dtype=np.float64)


@dataclass(frozen=True)
class EncodedRows:
    """The rows encoded once by the pipeline's preprocessing, and each feature's columns."""

    bundle: ModelBundle
    model: Any  # the pipeline's last step, fitted on the encoded matrix
    encoded: np.ndarray  # rows x encoded columns
    columns: dict[str, np.ndarray]  # feature -> indices of the encoded columns it produces

    @classmethod
    def encode(cls, bundle: ModelBundle, X: pd.DataFrame) -> EncodedRows | None:
        """``None`` when the pipeline's encoding is not column by column (then use FrameRows)."""
        steps = getattr(bundle.pipeline, "steps", None)
        if not steps or len(steps) < 2 or len(X) < 2:
            return None
        prefix = bundle.pipeline[:-1]
        frame = X[list(bundle.features)].reset_index(drop=True)
        base = _encode(prefix, frame)
        if base is None:
            return None
        # the first rows usually make every encoded column move; a rare category seen only
        # further down leaves its column unowned and not constant: then probe every row
        for m in sorted({min(len(frame), _PROBE_ROWS), len(frame)}):
            columns = _owners(prefix, frame.iloc[:m], base[:m])
            if columns is None:
                return None
            owned = np.zeros(base.shape[1], dtype=bool)
            for indices in columns.values():
                owned[indices] = True
            if not _differs(base[:, ~owned], base[:1, ~owned]).any():
                return cls(bundle, steps[-1][1], base, columns)
        return None

    def scores(self) -> np.ndarray:
        return self._score(self.encoded)

    def permuted_scores(self, feature: str, permutations: Sequence[np.ndarray]) -> np.ndarray:
        n = len(self.encoded)
        stacked = np.tile(self.encoded, (len(permutations), 1))
        columns = self.columns[feature]
        if len(columns):
            for r, order in enumerate(permutations):
                stacked[r * n : (r + 1) * n, columns] = self.encoded[np.ix_(order, columns)]
        return self._score(stacked)

    def _score(self, encoded: np.ndarray) -> np.ndarray:
        """What ``bundle.predict`` does after the preprocessing: the model, then calibration."""
        if self.bundle.task == "binary":
            raw = np.asarray(self.model.predict_proba(encoded)[:, 1], dtype=np.float64)
        else:
            raw = np.asarray(self.model.predict(encoded), dtype=np.float64)
        return np.asarray(self.bundle.postprocess(raw), dtype=np.float64)


def _encode(prefix: Any, frame: pd.DataFrame) -> np.ndarray | None:
    """The preprocessing's output, if it is a float matrix (the final model's input)."""
    encoded = prefix.transform(frame)
    floats = isinstance(encoded, np.ndarray) and np.issubdtype(encoded.dtype, np.floating)
    return np.ascontiguousarray(encoded) if floats and encoded.ndim == 2 else None


def _owners(prefix: Any, head: pd.DataFrame, encoded: np.ndarray) -> dict[str, np.ndarray] | None:
    """Feature -> the encoded columns that move when its values are rotated by one row.

    ``None`` when a column moves with two features: it mixes them, and permuting one feature's
    columns would not reproduce the pipeline.
    """
    m = len(head)
    rotated = np.roll(np.arange(m), 1)
    probes = []
    for feature in head.columns:
        probe = head.copy(deep=False)
        probe[feature] = pd.Series(head[feature].to_numpy()[rotated], dtype=head[feature].dtype)
        probes.append(probe)
    moved_all = _encode(prefix, pd.concat(probes, ignore_index=True))
    if moved_all is None:
        return None
    owner = np.full(encoded.shape[1], -1)
    columns: dict[str, np.ndarray] = {}
    for j, feature in enumerate(head.columns):
        moved = _differs(moved_all[j * m : (j + 1) * m], encoded).any(axis=0)
        if (owner[moved] >= 0).any():
            return None
        owner[moved] = j
        columns[str(feature)] = np.flatnonzero(moved)
    return columns


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ``a != b`` where two missing values count as equal."""
    return (a != b) & ~(np.isnan(a) & np.isnan(b))
