"""Request and prediction ids: random hex, without a system call per id.

``secrets.token_hex`` reads the kernel's random source on every call, and that system call
releases the GIL: on a busy server a background thread then holds the interpreter for up to a
switch interval while the request waits. Ids only need to be unique, not unguessable (nothing is
authorised by knowing one), so a generator seeded from the kernel once per process (and again in
a forked child) serves them from memory.
"""

from __future__ import annotations

import os
import random

__all__ = ["new_id"]

_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def new_id(nbytes: int) -> str:
    """``2 * nbytes`` random hex digits."""
    return f"{_random.getrandbits(nbytes * 8):0{nbytes * 2}x}"
