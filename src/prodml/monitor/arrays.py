"""Arrow arrays as numpy arrays, without pandas.

pyarrow's ``Array.to_numpy`` (even a zero-copy one), ``fill_null`` with a Python value and
``pa.scalar`` go through its pandas conversion layer, which imports pandas (about half a second)
the first time it runs. Monitoring needs no pandas otherwise, so the streamed log batches are
converted here from the arrays' buffers: a numpy view of the values, the validity bitmap
unpacked where there are nulls, text through a dictionary (one Python string per distinct
value, not per row). The values are the ones ``to_numpy(zero_copy_only=False)`` gives: NaN for
a null number, None for a null text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["flags", "floats", "integers", "objects"]


def floats(array: Any) -> np.ndarray:
    """A numeric Arrow array as float64, nulls as NaN."""
    import pyarrow as pa

    if not pa.types.is_float64(array.type):
        array = array.cast(pa.float64())
    values = _view(array, np.float64)
    valid = _valid(array)
    return values if valid is None else np.where(valid, values, np.nan)


def integers(array: Any, missing: int = -1) -> np.ndarray:
    """An integer Arrow array (window starts, dictionary indices) as int64, nulls as
    ``missing``."""
    import pyarrow as pa

    if not pa.types.is_int64(array.type):
        array = array.cast(pa.int64())
    values = _view(array, np.int64)
    valid = _valid(array)
    return values if valid is None else np.where(valid, values, missing)


def flags(array: Any) -> np.ndarray:
    """A boolean Arrow array as numpy booleans, nulls as False."""
    values = _bits(array.buffers()[1], array.offset, len(array))
    valid = _valid(array)
    return values if valid is None else values & valid


def objects(array: Any) -> np.ndarray:
    """A text (or any) Arrow array as a numpy object array of Python values, nulls as None."""
    n = len(array)
    if array.null_count == n:
        return np.full(n, None, dtype=object)
    encoded = array.dictionary_encode()
    levels = np.empty(len(encoded.dictionary) + 1, dtype=object)
    levels[:-1] = encoded.dictionary.to_pylist()
    return levels[integers(encoded.indices)]  # -1 (null) picks the trailing None


def _view(array: Any, dtype: type) -> np.ndarray:
    """The values buffer of a fixed-width array as a read-only numpy view (nulls undefined)."""
    buffer = array.buffers()[1]
    if buffer is None or len(array) == 0:
        return np.empty(0, dtype=dtype)
    start = array.offset
    return np.frombuffer(buffer, dtype=dtype, count=start + len(array))[start:]


def _valid(array: Any) -> np.ndarray | None:
    """Which entries are not null, or None when none is."""
    if array.null_count == 0:
        return None
    return _bits(array.buffers()[0], array.offset, len(array))


def _bits(buffer: Any, start: int, n: int) -> np.ndarray:
    """Arrow's bit-packed booleans (least significant bit first) as numpy booleans."""
    if buffer is None or n == 0:
        return np.zeros(n, dtype=bool)
    packed = np.frombuffer(buffer, dtype=np.uint8, count=(start + n + 7) // 8)
    return np.unpackbits(packed, bitorder="little", count=start + n)[start:].astype(bool)
