"""Which reference bin each value falls in, faster than a binary search and equal to it.

``np.searchsorted(edges, x, side="left")`` (the number of edges below ``x``) was the dearest
step of folding a million logged values into a profile: a binary search per value, whose
branches the CPU cannot predict. :class:`BinIndex` spreads a grid of :data:`CELLS` equal cells
over ``[edges[0], edges[-1]]`` once per column and answers most values with two table look-ups.

Why it is exact: the cell of ``x`` is ``g(x) = floor(clip((x - lo) * scale, 0, CELLS - 1))``,
a chain of correctly rounded, non-decreasing operations, so ``g`` never decreases with ``x``.
Hence an edge ``e`` with ``g(e) < g(x)`` is below ``x`` and one with ``g(e) > g(x)`` is not, and
the count of edges below ``x`` is the count in earlier cells plus, for the edges sharing its
cell, a comparison: one edge (the usual case, and always for the <= 100 distinct values of an
exact column) is compared directly; values in a cell holding several edges fall back to the
binary search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CELLS", "BinIndex"]

CELLS = 8192


class BinIndex:
    """``index(x)`` equals ``np.searchsorted(edges, x, side="left")`` for finite ``x``."""

    def __init__(self, edges: Sequence[float]) -> None:
        self.edges = np.asarray(edges, dtype=np.float64)
        self._grid = False
        if len(self.edges) < 2:
            return
        lo, hi = float(self.edges[0]), float(self.edges[-1])
        with np.errstate(over="ignore", divide="ignore"):
            span = hi - lo
            scale = CELLS / span if span > 0 else np.inf
        if not (np.isfinite(span) and np.isfinite(scale) and scale > 0):
            return  # a span too narrow (or too wide) for the grid: binary search only
        self._lo, self._scale = lo, scale
        cells = self._cells(self.edges)
        per_cell = np.bincount(cells, minlength=CELLS)
        self._below = np.concatenate(([0], np.cumsum(per_cell)[:-1]))  # edges in earlier cells
        self._single = np.full(CELLS, np.inf)  # the cell's one edge; +inf: none (never below)
        one = per_cell == 1
        self._single[cells[one[cells]]] = self.edges[one[cells]]
        self._several = per_cell > 1
        self._grid = True

    def index(self, x: np.ndarray) -> np.ndarray:
        """The bin of each finite value: how many edges are strictly below it."""
        if not self._grid:
            return np.searchsorted(self.edges, x, side="left")
        cells = self._cells(x)
        out = self._below[cells] + (x > self._single[cells])
        crowded = np.flatnonzero(self._several[cells])
        if len(crowded):
            out[crowded] = np.searchsorted(self.edges, x[crowded], side="left")
        return out

    def _cells(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = (x - self._lo) * self._scale
        return np.clip(scaled, 0, CELLS - 1).astype(np.intp)
