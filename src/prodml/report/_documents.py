"""The documents stored for a version, by kind, and how each is rendered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from prodml.errors import UserError
from prodml.report._card import card_blocks
from prodml.report._context import ReportContext
from prodml.report._curves import HeldOutScores
from prodml.report._document import to_markdown
from prodml.report._html import render_card_html, render_report_html

if TYPE_CHECKING:
    from prodml.explain import HeldOut
    from prodml.registry.bundle import ModelBundle

__all__ = [
    "DOCUMENT_KINDS",
    "held_out_scores",
    "render_card",
    "render_documents",
    "render_report",
]

# kind -> what it is; the kind is the key in the store's model_documents table
DOCUMENT_KINDS = {
    "report.html": "the HTML report",
    "card.md": "the model card, Markdown",
    "card.html": "the model card, HTML",
}
CardFormat = Literal["md", "html"]


def held_out_scores(bundle: ModelBundle, held: HeldOut) -> HeldOutScores:
    """The served scores of ``bundle`` on the held-out rows, for the report's charts."""
    return HeldOutScores(
        task=bundle.task,
        y=np.asarray(held.y),
        scores=np.asarray(bundle.predict(held.X), dtype=np.float64),
        rule=bundle.decision_rule,
        values=held.values,
    )


def render_report(ctx: ReportContext) -> str:
    return render_report_html(ctx)


def render_card(ctx: ReportContext, format: str = "md") -> str:
    if format == "md":
        return to_markdown(card_blocks(ctx))
    if format == "html":
        return render_card_html(ctx)
    raise UserError(
        f"unknown model card format {format!r}",
        where="--format",
        fix="use --format md or --format html",
    )


def render_documents(ctx: ReportContext) -> dict[str, bytes]:
    """Every document of a version, as the bytes to store."""
    return {
        "report.html": render_report(ctx).encode("utf-8"),
        "card.md": render_card(ctx, "md").encode("utf-8"),
        "card.html": render_card(ctx, "html").encode("utf-8"),
    }
