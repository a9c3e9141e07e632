"""``keep_freed_memory``: glibc's thresholds raised in a one-shot process, harmlessly skipped
elsewhere."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

_CHURN = """
import resource
import numpy as np
from prodml.cli.heap import keep_freed_memory
if {keep}:
    assert keep_freed_memory()
def churn():  # what a scan's batch does: several 1 MiB temporaries live at once, then freed
    for _ in range(20):
        held = [np.ones(1 << 17) for _ in range(4)]
        del held
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: bool) -> int:
    code = _CHURN.format(keep=keep)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_heap_keeps_freed_blocks_under_glibc() -> None:
    # 80 MiB allocated and freed: glibc trims and refaults nearly all of it (~20,000 faults);
    # with the thresholds raised, the second round reuses the first round's pages
    assert _faults(keep=False) > 10_000
    assert _faults(keep=True) < 1_000
