"""Training tunes the garbage collector only while it runs, and hands everything back."""

from __future__ import annotations

import gc
import weakref

import pytest

from prodml.train.collector import fewer_collections


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_heap_is_frozen_and_collections_are_rarer_only_inside() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with fewer_collections():
        assert gc.get_freeze_count() > frozen
        assert gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def test_settings_come_back_when_training_fails() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a failed training")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def test_cycles_made_during_training_are_still_collected() -> None:
    with fewer_collections():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        probe = weakref.ref(a)
        del a, b
        gc.collect()
        assert probe() is None
