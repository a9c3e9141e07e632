"""Registration's modules and package versions are loaded on a spare thread during training."""

from __future__ import annotations

import sys

from prodml.registry.preload import REGISTRATION_MODULES, preload_registration
from prodml.train.environment import package_versions


def test_the_thread_loads_what_registration_imports_and_ends() -> None:
    thread = preload_registration()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert thread.daemon  # never holds the process open
    assert all(name in sys.modules for name in REGISTRATION_MODULES)


def test_package_versions_are_read_once_and_handed_out_as_copies() -> None:
    first = package_versions()
    first["numpy"] = "edited by a caller"
    again = package_versions()
    assert again["numpy"] != "edited by a caller"
    assert {"numpy", "pandas", "scikit-learn", "prodml"} <= set(again)
