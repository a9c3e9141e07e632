"""Arrow -> numpy without pandas gives what pyarrow's own (pandas-backed) conversion gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from prodml.monitor.arrays import flags, floats, integers, objects

NUMBERS = [1.5, None, -2.0, 3.25, None, 7.0, 8.5, None, 0.0, 11.0]


def _slices(array: pa.Array) -> list[pa.Array]:
    """The array, a slice with an offset that is not a multiple of 8, and an empty slice."""
    return [array, array.slice(3, 6), array.slice(5, 0)]


@pytest.mark.parametrize("array", _slices(pa.array(NUMBERS, type=pa.float64())))
def test_floats_match_to_numpy(array: pa.Array) -> None:
    expected = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    np.testing.assert_array_equal(floats(array), expected)


def test_floats_cast_integers_and_floats32() -> None:
    ints = pa.array([1, None, 3], type=pa.int32())
    np.testing.assert_array_equal(floats(ints), [1.0, np.nan, 3.0])
    small = pa.array([0.5, None], type=pa.float32())
    np.testing.assert_array_equal(floats(small), [0.5, np.nan])


@pytest.mark.parametrize(
    "array", _slices(pa.array([True, None, False, True, True, None, False, True, False, True]))
)
def test_flags_match_to_numpy_with_nulls_false(array: pa.Array) -> None:
    expected = np.array([bool(v) for v in array.to_pylist()], dtype=bool)
    assert flags(array).dtype == bool
    np.testing.assert_array_equal(flags(array), expected)


@pytest.mark.parametrize(
    "array", _slices(pa.array([5, None, 7, 1 << 40, None, -3, 0, 2, 9, 4], type=pa.int64()))
)
def test_integers_fill_nulls(array: pa.Array) -> None:
    expected = [-1 if v is None else v for v in array.to_pylist()]
    np.testing.assert_array_equal(integers(array), expected)
    assert integers(array).dtype == np.int64


@pytest.mark.parametrize(
    "array",
    [
        *_slices(pa.array(["a", None, "b", "a", "c", None, "b", "é", "a", ""])),
        pa.array([None, None], type=pa.string()),
    ],
)
def test_objects_match_to_numpy(array: pa.Array) -> None:
    expected = array.to_numpy(zero_copy_only=False)
    got = objects(array)
    assert got.dtype == object
    assert got.tolist() == expected.tolist()


def test_conversions_do_not_import_pandas(tmp_path: Path) -> None:
    """The point of the module: monitoring's batches never load pandas (half a second). The
    arrays are read from an Arrow IPC file: building them from Python values imports pandas."""
    batch = pa.record_batch(
        {
            "x": pa.array([1.0, None]),
            "i": pa.array([1, None]),
            "b": pa.array([True, None]),
            "s": pa.array(["a", None]),
        }
    )
    path = tmp_path / "batch.arrow"
    with pa.ipc.new_file(path, batch.schema) as writer:
        writer.write_batch(batch)
    code = (
        "import sys, pyarrow as pa\n"
        "from prodml.monitor.arrays import flags, floats, integers, objects\n"
        f"b = pa.ipc.open_file({str(path)!r}).get_batch(0)\n"
        "floats(b.column('x')); integers(b.column('i'))\n"
        "flags(b.column('b')); objects(b.column('s'))\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
