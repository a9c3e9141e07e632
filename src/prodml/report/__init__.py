"""Documents about a model version: the HTML report and the model card (Markdown and HTML).

They are drawn at training, for every registered version, from a :class:`ReportContext`, and
stored as content-addressed artifacts that the metadata store lists per version
(``model_documents``), so ``prodml report 3`` and ``prodml card 3`` read exactly what was written
when version 3 was registered. A version trained before documents existed gets them drawn from
its stored results on request (without the charts that need held-out predictions).
"""

from prodml.report._card import card_blocks
from prodml.report._context import ReportContext, context_from_store
from prodml.report._curves import HeldOutScores
from prodml.report._documents import (
    DOCUMENT_KINDS,
    held_out_scores,
    render_card,
    render_documents,
    render_report,
)

__all__ = [
    "DOCUMENT_KINDS",
    "HeldOutScores",
    "ReportContext",
    "card_blocks",
    "context_from_store",
    "held_out_scores",
    "render_card",
    "render_documents",
    "render_report",
]
