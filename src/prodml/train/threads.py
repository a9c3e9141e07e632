"""One native thread per fit: BLAS and OpenMP pools capped while prodml trains.

Training runs its own parallelism (cross-validation folds on a pool of threads, LightGBM with
``n_jobs=1``). A linear model's BLAS calls would otherwise start their own pool per fit, one
thread per core, inside every fold worker: on 2 cores that is 4 busy threads spinning against
each other, and on matrices of a few thousand rows the extra threads cost more than they save
(measured on the credit example, on a busy 2-core machine: cross-validating the two linear
candidates took 2.6 to 3.7 s of CPU with the default pools and 1.0 to 1.5 s with one thread
each). One thread per BLAS call also makes a fitted model independent of the machine's core
count: OpenBLAS splits a product differently with more threads, which moves the last bits of the
coefficients.

The cap is process-wide while it is in force and restored on exit; it only reaches libraries
already loaded, so the model libraries are imported first (:func:`import_model_libraries`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["import_model_libraries", "single_native_threads"]


def import_model_libraries(names: Iterable[str]) -> None:
    """Import the libraries of these candidate families, so that their thread pools exist.

    Also the scikit-learn modules every pipeline is built from: the fold workers then find
    them loaded instead of importing them concurrently.
    """
    import sklearn.compose
    import sklearn.dummy
    import sklearn.impute
    import sklearn.pipeline
    import sklearn.preprocessing

    names = set(names)
    if "linear" in names:
        import sklearn.linear_model  # noqa: F401  (loads scipy's BLAS and sklearn's OpenMP)
    if "lightgbm" in names:
        import lightgbm  # noqa: F401


@contextmanager
def single_native_threads() -> Iterator[None]:
    """Every loaded BLAS / OpenMP library limited to one thread until the block ends."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
