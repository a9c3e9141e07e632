"""The snapshot content hash, computed in one streaming pass over record batches.

"Same data, same hash" must hold whatever the row order, the file format, the chunking and the
storage type, and the hash of a multi-gigabyte file must not need the file in memory. Sorting the
rows first (the previous scheme, ``prodml.snapshot/1``) needs the whole table; this scheme
(``prodml.snapshot/2``) makes the hash order-independent by construction instead:

1. Every cell becomes a 64-bit **word** that depends on its value only, not on how it is stored:
   a number (integer or float) that is a whole number within +-2**53 is the IEEE-754 bits of its
   float64 value, so ``3`` from an ``int32`` column and ``3.0`` from a float column are the same
   word; larger integers are their two's-complement bits; other floats their bits (``-0.0`` is
   ``0.0``); booleans 0 or 1; timestamps (UTC), durations and times their microseconds; text and
   bytes a 128-bit hash of their UTF-8 bytes and length (two words, see :func:`_string_words`).
   A missing value (null, NaN) is a fixed word with a "missing" tweak.
2. Every **row** becomes four independent 64-bit lane hashes: per lane, starting from a lane
   seed, each column in name order is folded in with ``h = fmix64(h ^ fmix64(word + key))``,
   where ``key`` is derived from the column's name and the lane (sha256), and ``fmix64`` is the
   MurmurHash3 finaliser. The fold is chained, so values stay tied to their row and column.
3. The row hashes are **summed** per lane modulo 2**64. Addition is commutative and associative,
   so the sums do not depend on row order or on how rows are split into batches, and a row that
   appears twice counts twice (a multiset hash).
4. The digest is ``sha256(tag, header, sums)``: the tag ``prodml.snapshot/2``, the compact JSON
   header ``{"columns": [[name, type], ...], "rows": N}`` with each column's canonical type
   name (see :mod:`prodml.data.snapshot`; an integer column with missing values that fit a
   float is ``float64``, as pandas and CSV readers hold it) and the four lane sums, 8-byte
   little-endian each.

Everything is numpy on whole columns of a batch (text is hashed once per distinct value, in
chunks of at most 4 MB of text), so memory is bounded by the batch size. The scheme is for
detecting data changes, not for resisting an adversary crafting collisions; stored artifacts are
protected by the sha256 of their bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from prodml.errors import DataError

__all__ = ["HASH_BATCH_ROWS", "SCHEME", "SnapshotHasher"]

SCHEME = "prodml.snapshot/2"
HASH_BATCH_ROWS = 65_536
_LANES = 4
_TEXT_CHUNK_BYTES = 1 << 22
_EXACT_FLOAT_INT = 2**53
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_NULL_WORD = np.uint64(0x6E756C6C6E756C6C)  # "nullnull"
_NULL_TWEAK = np.uint64(0x9E3779B97F4A7C15)
_BIG_INT_TWEAK = np.uint64(0x62696769_6E746567)  # "biginteg"
_FAMILIES = {
    "int": "int64",
    "float": "float64",
    "string": "string",
    "binary": "binary",
    "bool": "bool",
    "timestamp": "timestamp[us, UTC]",
    "duration": "duration[us]",
    "time": "time64[us]",
}


def _lane_constants(label: str) -> np.ndarray:
    digest = hashlib.sha256(f"{SCHEME}\n{label}".encode()).digest()
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)  # four 64-bit words


_SEEDS = _lane_constants("lane seeds")
_STRING_SEEDS = _lane_constants("string seeds")


@dataclass
class _ColumnFacts:
    """What the whole column looked like, to name its canonical type at the end."""

    families: set[str] = field(default_factory=set)
    nulls: bool = False
    big_ints: bool = False  # an integer beyond +-2**53 (it then stays int64 with gaps)


class SnapshotHasher:
    """Accumulates the ``prodml.snapshot/2`` hash over batches; see the module docstring.

    Feed it canonical arrays (:func:`prodml.data.snapshot.canonical_batch` makes them) with
    :meth:`update`, in any order and any batch sizes, then read :meth:`hexdigest`. Every batch
    must have the same column names.
    """

    def __init__(self) -> None:
        self._sums = np.zeros(_LANES, dtype=np.uint64)
        self._rows = 0
        self._names: list[str] | None = None
        self._facts: dict[str, _ColumnFacts] = {}
        self._keys: dict[str, np.ndarray] = {}

    @property
    def rows(self) -> int:
        return self._rows

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        names = sorted(batch.schema.names)
        if self._names is None:
            self._names = names
            self._facts = {name: _ColumnFacts() for name in names}
            self._keys = {name: _lane_constants(f"column\n{name}") for name in names}
        elif names != self._names:
            raise DataError(
                f"a batch has columns {names}, the first one had {self._names}",
                where="snapshot",
                fix="every file or batch of one dataset must have the same columns",
            )
        n = batch.num_rows
        if n == 0:
            return
        lanes = np.empty((_LANES, n), dtype=np.uint64)
        lanes[:] = _SEEDS[:, None]
        for name in names:
            column = batch.column(name)
            array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            words, valid = _words(array, self._facts[name], name)
            keys = self._keys[name]
            for lane in range(_LANES):
                word = words[lane % len(words)]
                key = np.where(valid, keys[lane], keys[lane] ^ _NULL_TWEAK)
                mixed = _fmix(word + key)
                lanes[lane] = _fmix(lanes[lane] ^ mixed)
        self._sums += lanes.sum(axis=1, dtype=np.uint64)
        self._rows += n

    def column_types(self) -> dict[str, str]:
        """Canonical type name of each column, in name order, given every batch seen."""
        return {name: _type_of(facts, name) for name, facts in self._facts.items()}

    def hexdigest(self) -> str:
        types = self.column_types()
        header = json.dumps(
            {"columns": [[name, kind] for name, kind in types.items()], "rows": self._rows},
            separators=(",", ":"),
            sort_keys=True,
            ensure_ascii=False,
        ).encode("utf-8")
        digest = hashlib.sha256(f"{SCHEME}\n".encode())
        digest.update(len(header).to_bytes(8, "little"))
        digest.update(header)
        digest.update(self._sums.astype("<u8").tobytes())
        return digest.hexdigest()


def _type_of(facts: _ColumnFacts, name: str) -> str:
    families = facts.families
    if not families:
        return "null"
    if families <= {"int", "float"}:
        if families == {"int"} and (not facts.nulls or facts.big_ints):
            return "int64"
        return "float64"
    if len(families) > 1:
        raise DataError(
            f"the column holds values of several types across batches ({sorted(families)})",
            where=f"column {name!r}",
            fix="store the column with one type in every file or batch",
        )
    return _FAMILIES[next(iter(families))]


def _fmix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _S33)
    x *= _M1
    x ^= x >> _S33
    x *= _M2
    x ^= x >> _S33
    return x


def _words(array: pa.Array, facts: _ColumnFacts, name: str) -> tuple[list[np.ndarray], np.ndarray]:
    """(one or two word arrays, validity) for a canonical array; updates the column facts."""
    kind = array.type
    n = len(array)
    valid = (
        np.ones(n, dtype=bool)
        if array.null_count == 0
        else array.is_valid().to_numpy(zero_copy_only=False)
    )
    if array.null_count:
        facts.nulls = True
    if pa.types.is_null(kind):
        return [np.full(n, _NULL_WORD, dtype=np.uint64)], valid
    if pa.types.is_floating(kind):
        facts.families.add("float")
        values = array.fill_null(0.0).to_numpy(zero_copy_only=False).astype(np.float64)
        nan = np.isnan(values)
        if nan.any():  # NaN is missing, as in pandas
            valid = valid & ~nan
            facts.nulls = True
        values = np.where(valid, values, 0.0) + 0.0  # -0.0 -> 0.0
        words = values.view(np.uint64).copy()
    elif pa.types.is_integer(kind):
        facts.families.add("int")
        values = pc.cast(array, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        big = np.abs(values.astype(np.float64)) > _EXACT_FLOAT_INT
        if big.any():
            facts.big_ints = True
        words = values.astype(np.float64).view(np.uint64).copy()
        if big.any():
            words[big] = values[big].view(np.uint64) ^ _BIG_INT_TWEAK
    elif pa.types.is_boolean(kind):
        facts.families.add("bool")
        words = array.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint64)
    elif pa.types.is_string(kind) or pa.types.is_binary(kind):
        facts.families.add("string" if pa.types.is_string(kind) else "binary")
        pair = _string_words(array)
        for words in pair:
            words[~valid] = _NULL_WORD
        return pair, valid
    elif pa.types.is_timestamp(kind) or pa.types.is_duration(kind) or pa.types.is_time(kind):
        family = (
            "timestamp"
            if pa.types.is_timestamp(kind)
            else "duration"
            if pa.types.is_duration(kind)
            else "time"
        )
        facts.families.add(family)
        values = pc.cast(array, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        words = values.view(np.uint64).copy()
    else:
        raise ValueError(f"column {name!r} has non-canonical type {kind}; canonicalise it first")
    words[~valid] = _NULL_WORD
    return [words], valid


def _string_words(array: pa.Array) -> list[np.ndarray]:
    """Two independent 64-bit hashes of every value's bytes; each distinct value hashed once."""
    encoded = pc.dictionary_encode(array)
    dictionary = encoded.dictionary
    indices = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    lanes = [np.zeros(len(dictionary), dtype=np.uint64) for _ in range(2)]
    if len(dictionary):
        offsets, data = _offsets_and_data(dictionary)
        for start, stop in _chunks(offsets):
            piece = _hash_strings(offsets[start : stop + 1], data)
            for lane in range(2):
                lanes[lane][start:stop] = piece[lane]
    return [lane[indices] if len(lane) else np.zeros(len(array), np.uint64) for lane in lanes]


def _offsets_and_data(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type):
        array = array.cast(pa.string() if pa.types.is_large_string(array.type) else pa.binary())
    offsets_buffer, data_buffer = array.buffers()[1], array.buffers()[2]
    count = len(array)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[array.offset : array.offset + count + 1]
    offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, data


def _chunks(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Ranges of values whose bytes total at most ~4 MB (a longer value is a range alone)."""
    count = len(offsets) - 1
    out = []
    start = 0
    while start < count:
        limit = offsets[start] + _TEXT_CHUNK_BYTES
        stop = int(np.searchsorted(offsets, limit, side="right")) - 1
        stop = min(max(stop, start + 1), count)
        out.append((start, stop))
        start = stop
    return out


def _hash_strings(offsets: np.ndarray, data: np.ndarray) -> list[np.ndarray]:
    """Per value: fmix64(sum over bytes of fmix64(byte | position << 8 ^ seed) ^ length mix)."""
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    first, last = int(offsets[0]), int(offsets[-1])
    raw = data[first:last].astype(np.uint64)
    relative = starts - first
    position = np.arange(last - first, dtype=np.int64) - np.repeat(relative, lengths)
    base = raw | (position.astype(np.uint64) << np.uint64(8))
    nonempty = lengths > 0
    out = []
    for lane in range(2):
        terms = _fmix(base ^ _STRING_SEEDS[lane])
        sums = np.zeros(len(starts), dtype=np.uint64)
        if len(terms):
            sums[nonempty] = np.add.reduceat(terms, relative[nonempty])
        length_mix = _fmix(lengths.astype(np.uint64) ^ _STRING_SEEDS[lane + 2])
        out.append(_fmix(sums ^ length_mix))
    return out
