"""Explanations: global importance at training, and local reasons for any record, in words.

``explain_record(bundle, {"Income": 80, ...})`` gives the prediction, the decision and the top
reasons ("Income 80 is lower than 85% of applicants: raises the chance of bad (+0.12 log-odds)"),
whose contributions, with the base value, sum exactly to the model's raw score.
``explain_at_training`` computes what training stores with the model: permutation importance on
held-out rows (in value per decision and in the main metric) and mean absolute contributions.
"""

from prodml.explain._contributions import Contributions, compute_contributions
from prodml.explain._importance import global_importance
from prodml.explain._local import (
    DEFAULT_ROWS_NOUN,
    Explanation,
    Reason,
    bundle_explanation,
    explain_frame,
    explain_record,
    frame_from_record,
    parse_row_json,
)
from prodml.explain._reasons import describe_value, format_number, plural
from prodml.explain._training import HeldOut, explain_at_training, held_out_data

__all__ = [
    "DEFAULT_ROWS_NOUN",
    "Contributions",
    "Explanation",
    "HeldOut",
    "Reason",
    "bundle_explanation",
    "compute_contributions",
    "describe_value",
    "explain_at_training",
    "explain_frame",
    "explain_record",
    "format_number",
    "frame_from_record",
    "global_importance",
    "held_out_data",
    "parse_row_json",
    "plural",
]
