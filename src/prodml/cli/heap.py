"""The C heap of a short-lived command: keep freed blocks for reuse instead of unmapping them.

glibc's ``malloc`` serves every block over its mmap threshold (128 KiB at start, raised as such
blocks are freed, up to 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``, and it trims the
heap's top back to the kernel. ``prodml monitor`` folds each streamed log batch (131,072 rows)
with numpy temporaries of 1 MiB per column, freed right after: in a one-shot process every one
of them was page-faulted in afresh, about 100,000 faults (400 MiB touched) and 0.15-0.2 s of
kernel time in a 2 s run over a million records. With the thresholds raised, freed blocks go back
to the heap and the next batch reuses their pages. The thresholds stay low to bound what is
kept: blocks over 2 MiB (whole-window arrays) are still unmapped when freed, and at most 8 MiB of
free heap top is kept (higher thresholds, 64/128 MiB, saved no more faults but added ~20 MB to
the peak RSS; with these the peak stays within run-to-run noise of glibc's defaults).
Other allocators (musl, macOS) have no ``mallopt``: nothing is changed.
"""

from __future__ import annotations

import contextlib
import ctypes

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 2 << 20  # blocks below this come from the heap and are reused
_TRIM_THRESHOLD = 8 << 20  # free memory at the heap's top kept up to this much


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where there is no
    ``mallopt`` (not glibc) or it refused."""
    with contextlib.suppress(OSError, AttributeError):
        mallopt = ctypes.CDLL(None).mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        return bool(
            mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
            and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
        )
    return False
