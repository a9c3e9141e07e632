"""One streamed pass over the prediction log: every window's profile and its scored rows.

The log keeps the features a model saw as one JSON text per record, and parsing it is the
dearest step of monitoring (about a second per million records). So the log is read **once**:
one DuckDB query filters the version's records, parses the JSON into typed columns
(``json_transform``), joins the latest label of each record (by prediction id, else entity id)
and streams the result as Arrow record batches. Each batch is folded into mergeable window
profiles (numpy ``searchsorted`` + ``bincount`` at the reference's bin edges, Arrow dictionary
encoding for categories; :meth:`ColumnProfile.merge` adds batches up) and dropped; only what
performance needs per row is kept (score, decision, label, the value expressions' columns, and
segment levels on labelled rows only). Memory is bounded by one batch plus those few numeric
columns, never by a frame of all features.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from prodml.monitor.arrays import flags, floats, integers, objects
from prodml.monitor.binning import BinIndex
from prodml.monitor.profiles import ColumnProfile, Profile

__all__ = ["ScoredRows", "WindowScan", "category_key", "scan_log"]

Rowwise = Callable[[Mapping[str, Any], np.ndarray], dict[str, np.ndarray]]
_INTEGRAL = re.compile(r"^(-?[0-9]+)\.0+$")  # 3.0 in JSON is the category "3", as in training


@dataclass
class ScoredRows:
    """One window's scored records, as arrays aligned row by row (for performance)."""

    score: np.ndarray
    decision: np.ndarray
    label: np.ndarray  # object: the label text, None where no feedback arrived
    label_value: np.ndarray
    columns: dict[str, np.ndarray]  # value expressions' columns (all rows), segments (labelled)
    estimates: dict[str, np.ndarray] = field(default_factory=dict)  # per row, from ``rowwise``


@dataclass
class WindowScan:
    """What one pass over the log found: each window's profile and scored rows, by start."""

    profiles: dict[datetime, Profile] = field(default_factory=dict)
    rows: dict[datetime, ScoredRows] = field(default_factory=dict)


def scan_log(
    scope: Any,
    reference: Profile,
    value_columns: Iterable[str] = (),
    segment_columns: Iterable[str] = (),
    *,
    rowwise: Rowwise | None = None,
    batch_rows: int = 1 << 17,
) -> WindowScan:
    """Profile every window of ``scope`` against ``reference``'s bins and keep its scored rows.

    ``value_columns`` (features the value expressions read) are kept for every scored row;
    ``segment_columns`` only on labelled rows (elsewhere None), so a million unlabelled rows
    carry no text. ``rowwise`` maps a batch's scored rows (features as Arrow arrays, scores)
    to per-row arrays kept as ``ScoredRows.estimates`` (the regression error models).
    """
    from prodml.monitor.logquery import stream_scored

    names = list(reference.features)
    kinds: dict[str, str] = {n: reference.features[n].kind for n in names}
    keep = [n for n in dict.fromkeys([*value_columns, *segment_columns]) if n in kinds]
    segments = set(segment_columns) - set(value_columns)
    folder = _Folder(reference)
    parts: dict[int, list[dict[str, Any]]] = {}
    for batch in stream_scored(scope, kinds, batch_rows):
        folder.add(batch, names)
        _collect(batch, names, keep, segments, kinds, parts, rowwise)
    return WindowScan(
        profiles={_start(w): p for w, p in sorted(folder.windows.items())},
        rows={_start(w): _concatenate(chunks) for w, chunks in sorted(parts.items())},
    )


class _Folder:
    """Adds record batches into per-window profiles over the reference's bins."""

    def __init__(self, reference: Profile) -> None:
        self.reference = reference
        self.windows: dict[int, Profile] = {}
        self.bins: dict[str, BinIndex] = {}  # per numeric column, built on its first batch

    def add(self, batch: Any, names: list[str]) -> None:
        profiled = flags(batch.column("profiled"))
        if not profiled.any():
            return
        starts = integers(batch.column("w"))[profiled]
        keys, group = _groups(starts)
        rows = np.bincount(group, minlength=len(keys))
        features: dict[str, list[ColumnProfile]] = {}
        for j, name in enumerate(names):
            column = batch.column(f"f{j}").filter(profiled) if not profiled.all() else None
            array = column if column is not None else batch.column(f"f{j}")
            features[name] = self._fold(self.reference.features[name], array, group, rows)
        prediction = None
        if self.reference.prediction is not None:
            score = batch.column("score").filter(profiled) if not profiled.all() else None
            array = score if score is not None else batch.column("score")
            prediction = self._fold(self.reference.prediction, array, group, rows)
        for i, key in enumerate(keys.tolist()):
            part = Profile(
                {name: columns[i] for name, columns in features.items()},
                prediction[i] if prediction is not None else None,
                int(rows[i]),
                "prediction log",
            )
            known = self.windows.get(key)
            self.windows[key] = part if known is None else known.merge(part)

    def _fold(
        self, reference: ColumnProfile, array: Any, group: np.ndarray, rows: np.ndarray
    ) -> list[ColumnProfile]:
        """One column of a batch as one profile per window (``group``: row -> window index)."""
        if reference.kind == "categorical":
            return _categorical(reference, array, group, rows)
        bins = self.bins.get(reference.name)
        if bins is None:
            bins = self.bins[reference.name] = BinIndex(reference.edges)
        return _numeric(reference, array, group, rows, bins)


def _numeric(
    reference: ColumnProfile, array: Any, group: np.ndarray, rows: np.ndarray, bins: BinIndex
) -> list[ColumnProfile]:
    values = floats(array)
    finite = np.isfinite(values)
    everything = bool(finite.all())
    x = values if everything else values[finite]
    n = len(rows)
    single = n == 1  # the usual batch: one window, no per-row window index needed
    g = group if everything or single else group[finite]
    present = np.array([len(x)]) if single else np.bincount(g, minlength=n)
    profiles = [reference.empty_like() for _ in range(n)]
    for i, profile in enumerate(profiles):
        profile.rows, profile.missing = int(rows[i]), int(rows[i] - present[i])
    if not reference.edges:
        return profiles
    k = len(reference.edges) + 1
    at = bins.index(x)  # x <= edges[i] -> bin i
    index = at if single else g * k + at
    counts = np.bincount(index, minlength=n * k).reshape(n, k)
    sums = np.bincount(index, weights=x, minlength=n * k).reshape(n, k)
    if single:
        squares = np.array([float(np.square(x).sum())])  # not np.dot: BLAS threads cost more
        low = np.array([x.min() if len(x) else np.inf])
        high = np.array([x.max() if len(x) else -np.inf])
    else:
        squares = np.bincount(g, weights=x * x, minlength=n)
        low, high = np.full(n, np.inf), np.full(n, -np.inf)
        np.minimum.at(low, g, x)
        np.maximum.at(high, g, x)
    for i, profile in enumerate(profiles):
        profile.counts = counts[i].tolist()
        profile.total = float(sums[i].sum())
        profile.total_sq = float(squares[i])
        profile.minimum = float(low[i]) if present[i] else None
        profile.maximum = float(high[i]) if present[i] else None
        profile.low_sum = float(sums[i][0])
        profile.high_sum = float(sums[i][-1])
    return profiles


def _categorical(
    reference: ColumnProfile, array: Any, group: np.ndarray, rows: np.ndarray
) -> list[ColumnProfile]:
    encoded = array.dictionary_encode()
    index = integers(encoded.indices)
    levels = [category_key(str(v)) for v in encoded.dictionary.to_pylist()]
    n, d = len(rows), max(len(levels), 1)
    seen = index >= 0
    table = np.bincount(group[seen] * d + index[seen], minlength=n * d).reshape(n, d)
    out = []
    for i in range(n):
        profile = reference.empty_like()
        profile.rows = int(rows[i])
        profile.missing = int(rows[i] - table[i].sum())
        for level, count in zip(levels, table[i].tolist(), strict=False):
            if count:
                profile.categories[level] = profile.categories.get(level, 0) + int(count)
        out.append(profile)
    return out


def _collect(
    batch: Any,
    names: list[str],
    keep: list[str],
    segments: set[str],
    kinds: dict[str, str],
    parts: dict[int, list[dict[str, Any]]],
    rowwise: Rowwise | None = None,
) -> None:
    """Keep this batch's scored rows (what performance needs), split by window."""
    import pyarrow.compute as pc

    score = batch.column("score")
    scored = batch.filter(pc.is_valid(score)) if score.null_count else batch
    if scored.num_rows == 0:
        return
    labelled = pc.is_valid(scored.column("label"))
    position = {name: j for j, name in enumerate(names)}
    keys, group = _groups(integers(scored.column("w")))
    columns: dict[str, Any] = {}
    for name in keep:
        column = scored.column(f"f{position[name]}")
        if name in segments:
            column = pc.if_else(labelled, column, None)
        columns[name] = _numpy(column, kinds[name])
    arrays = {
        "score": _numpy(scored.column("score"), "numeric"),
        "decision": _numpy(scored.column("decision"), "numeric"),
        "label": _numpy(scored.column("label"), "categorical"),
        "label_value": _numpy(scored.column("label_value"), "numeric"),
    }
    estimates: dict[str, np.ndarray] = {}
    if rowwise is not None:
        features = {name: scored.column(f"f{j}") for j, name in enumerate(names)}
        estimates = rowwise(features, arrays["score"])
    for i, key in enumerate(keys.tolist()):
        rows = np.flatnonzero(group == i) if len(keys) > 1 else slice(None)
        chunk: dict[str, Any] = {name: values[rows] for name, values in arrays.items()}
        chunk["columns"] = {name: values[rows] for name, values in columns.items()}
        chunk["estimates"] = {name: values[rows] for name, values in estimates.items()}
        parts.setdefault(key, []).append(chunk)


def _concatenate(chunks: list[dict[str, Any]]) -> ScoredRows:
    def joined(name: str) -> np.ndarray:
        return np.concatenate([c[name] for c in chunks])

    def nested(group: str) -> dict[str, np.ndarray]:
        return {n: np.concatenate([c[group][n] for c in chunks]) for n in chunks[0][group]}

    return ScoredRows(
        score=joined("score"),
        decision=joined("decision"),
        label=joined("label"),
        label_value=joined("label_value"),
        columns=nested("columns"),
        estimates=nested("estimates"),
    )


def _numpy(array: Any, kind: str) -> np.ndarray:
    return floats(array) if kind == "numeric" else objects(array)


def _groups(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct window starts and each row's index among them (one window: no sort)."""
    starts = np.asarray(starts, dtype=np.int64)
    if len(starts) and starts.min() == starts.max():
        return starts[:1], np.zeros(len(starts), dtype=np.intp)
    keys, group = np.unique(starts, return_inverse=True)
    return keys, group.astype(np.intp)


def category_key(text: str) -> str:
    """A logged category as the reference spells it (JSON ``3.0`` is the level ``3``)."""
    return _INTEGRAL.sub(r"\1", text)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _start(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(microseconds))
