"""The grid bin index equals numpy's binary search on every kind of column and edge layout."""

from __future__ import annotations

import numpy as np
import pytest

from prodml.monitor.binning import CELLS, BinIndex
from prodml.monitor.profiles import quantile_edges


def _check(edges: np.ndarray | list[float], x: np.ndarray) -> None:
    edges = np.asarray(edges, dtype=np.float64)
    expected = np.searchsorted(edges, x, side="left")
    np.testing.assert_array_equal(BinIndex(edges).index(x), expected)


@pytest.mark.parametrize("seed", range(5))
def test_quantile_edges_of_skewed_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.lognormal(5, 1.5, 20_000)
    current = np.concatenate([rng.lognormal(5.3, 1.5, 50_000), reference[:1000], [0.0, 1e308]])
    _check(quantile_edges(reference), current)


def test_exact_columns_hit_every_edge() -> None:
    rng = np.random.default_rng(1)
    edges = quantile_edges(rng.integers(18, 80, 5000).astype(float))  # every distinct value
    assert len(edges) <= 100
    x = np.concatenate([rng.integers(10, 90, 20_000).astype(float), np.array(edges)])
    _check(edges, x + 0.0)
    _check(edges, np.nextafter(x, np.inf))
    _check(edges, np.nextafter(x, -np.inf))


def test_crowded_cells_fall_back_to_the_binary_search() -> None:
    """Edges far closer together than a grid cell, next to a wide span."""
    edges = np.concatenate([np.linspace(0.0, 1e-9, 50), [1.0, 1e6]])
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-1e-9, 2e-9, 5000), rng.uniform(0, 1e6, 5000), edges])
    _check(edges, x)


@pytest.mark.parametrize(
    "edges",
    [
        [],
        [3.0],
        [-1e308, 1e308],  # the span overflows: binary search only
        [1.0, np.nextafter(1.0, 2.0)],  # the span is one ulp
        [0.0, 5e-324, 1e-300],  # subnormal edges
        list(np.linspace(-5, 5, CELLS * 2)),  # more edges than cells
    ],
)
def test_degenerate_edges(edges: list[float]) -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [rng.normal(0, 3, 5000), np.asarray(edges, dtype=np.float64), [-1e308, 1e308, 0.0]]
    )
    _check(edges, x)


def test_empty_input() -> None:
    _check([1.0, 2.0, 3.0], np.empty(0))
