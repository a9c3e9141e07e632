"""The public names of prodml.explain and prodml.report: exactly these, nothing by accident."""

from __future__ import annotations

import prodml.explain
import prodml.report


def test_explain_exports_exactly_this() -> None:
    assert set(prodml.explain.__all__) == {
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
    }


def test_report_exports_exactly_this() -> None:
    assert set(prodml.report.__all__) == {
        "DOCUMENT_KINDS",
        "HeldOutScores",
        "ReportContext",
        "card_blocks",
        "context_from_store",
        "held_out_scores",
        "render_card",
        "render_documents",
        "render_report",
    }
