"""Batch scoring: a registered model over a file, a folder, a URL or a query, streaming.

``score`` (the twin of ``prodml score`` and :meth:`prodml.Project.score`) reads the input in
record batches, validates each with the one validator, scores it on the serving fast path and
writes resumable parts that become the output with one rename. ``--engine ray`` runs the same
:class:`BatchScorer` in Ray Data actors.
"""

from prodml.batch._api import DEFAULT_BATCH_SIZE, ENGINES, ScoreSummary, score
from prodml.batch._input import BatchInput, open_input
from prodml.batch._scorer import BatchScorer, output_schema

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ENGINES",
    "BatchInput",
    "BatchScorer",
    "ScoreSummary",
    "open_input",
    "output_schema",
    "score",
]
