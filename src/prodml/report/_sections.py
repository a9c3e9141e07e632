"""The evaluation's sections as blocks: policies, segments, edge cases, weak slices, behavioural
tests, calibration, overfitting and validation hygiene, the value of regression errors.

They read the evaluation training stores (``prodml.evaluate.report.EvaluationReport.to_dict``,
in ``bundle.metrics["evaluation"]``). Every section is drawn only when its data is there, and
every field is read with a default, so a version trained before a field existed still renders.
"""

from __future__ import annotations

from typing import Any

from prodml.explain._reasons import format_number
from prodml.report._context import ReportContext
from prodml.report._document import Block, Bullets, Heading, Paragraph, Table
from prodml.report._facts import money, percent

__all__ = ["evaluation_blocks", "family_results", "span"]

_MAX_ROWS = 40


def evaluation_blocks(ctx: ReportContext) -> list[Block]:
    """All evaluation sections present, in reading order."""
    if ctx.evaluation is None:
        return []
    blocks: list[Block] = []
    for build in (
        _policies,
        _segments,
        _edge_cases,
        _weak_slices,
        _behaviour,
        _calibration,
        _overfitting,
        _error_value,
    ):
        blocks += build(ctx)
    warnings = [w for w in ctx.evaluation.get("warnings") or [] if isinstance(w, str)]
    if warnings:
        blocks += [Heading("Evaluation warnings", 2, "warnings"), Bullets(warnings)]
    return blocks


def span(pair: Any, unit: str = "") -> str:
    """``[low, high]`` as text; empty when absent."""
    if not (isinstance(pair, list | tuple) and len(pair) == 2):
        return ""
    low, high = pair
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return ""
    if unit:
        return f"{money(low, '')} to {money(high, unit)}"
    return f"{low:.4g} to {high:.4g}"


def family_results(ctx: ReportContext, name: str) -> list[dict[str, Any]]:
    family = (ctx.evaluation or {}).get(name)
    if not isinstance(family, dict):
        return []
    return [r for r in family.get("results") or [] if isinstance(r, dict)]


def _confidence(ctx: ReportContext) -> str:
    level = (ctx.evaluation or {}).get("confidence")
    return f"{round(level * 100)}%" if isinstance(level, int | float) else "95%"


def _policies(ctx: ReportContext) -> list[Block]:
    policies = [p for p in (ctx.evaluation or {}).get("policies") or [] if isinstance(p, dict)]
    if not policies:
        return []
    unit = ctx.unit
    rows = []
    for p in policies:
        significant = (
            "yes" if p.get("significant") else ("-" if p.get("difference_ci") is None else "no")
        )
        rows.append(
            [
                str(p.get("description") or p.get("name", "")),
                money(p.get("value_per_decision"), unit),
                money(p.get("difference"), unit),
                span(p.get("difference_ci"), unit),
                significant,
            ]
        )
    return [
        Heading("Against other policies", 2, "policies"),
        Paragraph(
            "Paired comparison on the same held-out rows: how much more the model earns per "
            f"decision than each alternative, with a {_confidence(ctx)} bootstrap interval."
        ),
        Table(
            ["policy", "its value per decision", "model minus policy", "interval", "significant"],
            rows,
            numeric=(1, 2, 3),
        ),
    ]


def _slice_rows(
    ctx: ReportContext, results: list[dict[str, Any]], *, extra: str
) -> list[list[str]]:
    unit = ctx.unit
    out = []
    for r in results[:_MAX_ROWS]:
        if not r.get("tested", True):
            out.append(
                [
                    _slice_label(r, extra),
                    f"{r.get('rows', 0):,}",
                    "too few rows to test",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        out.append(
            [
                _slice_label(r, extra),
                f"{r.get('rows', 0):,}",
                money(r.get("value_per_decision"), unit),
                span(r.get("ci"), unit),
                _signed_money(r.get("difference"), unit),
                _p(r.get("p_adjusted")),
                "**flagged**" if r.get("flagged") else "",
            ]
        )
    return out


def _slice_label(r: dict[str, Any], extra: str) -> str:
    name = str(r.get("name", ""))
    if extra == "filter" and r.get("filter"):
        return f"{name}: `{r['filter']}`"
    return name


def _slice_table(ctx: ReportContext, results: list[dict[str, Any]], extra: str) -> list[Block]:
    header = ["group", "rows", "value per decision", "interval", "vs the rest", "adj. p", ""]
    blocks: list[Block] = [
        Table(header, _slice_rows(ctx, results, extra=extra), numeric=(1, 2, 4, 5))
    ]
    if len(results) > _MAX_ROWS:
        blocks.append(Paragraph(f"... and {len(results) - _MAX_ROWS} more."))
    return blocks


def _family_note(ctx: ReportContext, name: str) -> str:
    family = (ctx.evaluation or {}).get(name) or {}
    test = family.get("test") if isinstance(family, dict) else None
    return f" Test: {test}." if test else ""


def _segments(ctx: ReportContext) -> list[Block]:
    results = family_results(ctx, "segments")
    if not results:
        return []
    flagged = [r for r in results if r.get("flagged")]
    summary = (
        "**Flagged:** "
        + ", ".join(str(r.get("name")) for r in flagged)
        + (" does" if len(flagged) == 1 else " do")
        + " significantly worse than the rest."
        if flagged
        else "No segment does significantly worse than the rest."
    )
    return [
        Heading("Segments", 2, "segments"),
        Paragraph(
            "Value per decision for each level of the segment columns in the project file, "
            "against the rest of the held-out rows." + _family_note(ctx, "segments")
        ),
        Paragraph(summary),
        *_slice_table(ctx, results, "column"),
    ]


def _edge_cases(ctx: ReportContext) -> list[Block]:
    results = family_results(ctx, "edge_cases")
    if not results:
        return []
    return [
        Heading("Edge cases", 2, "edge-cases"),
        Paragraph(
            "Named filters from the project file, evaluated the same way."
            + _family_note(ctx, "edge_cases")
        ),
        *_slice_table(ctx, results, "filter"),
    ]


def _weak_slices(ctx: ReportContext) -> list[Block]:
    results = family_results(ctx, "weak_slices")
    if not results:
        return []
    unit = ctx.unit
    rows = [
        [
            str(r.get("name", "")),
            f"{r.get('rows', 0):,}",
            money(r.get("value_per_decision"), unit),
            money(r.get("rest_value_per_decision"), unit),
            money(r.get("total_shortfall"), unit),
            _p(r.get("p_adjusted")),
        ]
        for r in results[:_MAX_ROWS]
    ]
    return [
        Heading("Weak slices", 2, "weak-slices"),
        Paragraph(
            "One- and two-feature slices of the held-out rows where the model earns "
            "significantly less than elsewhere, largest total shortfall first."
            + _family_note(ctx, "weak_slices")
        ),
        Table(
            ["slice", "rows", "value per decision", "elsewhere", "total shortfall", "q-value"],
            rows,
            numeric=(1, 2, 3, 4, 5),
        ),
    ]


def _behaviour(ctx: ReportContext) -> list[Block]:
    tests = [t for t in (ctx.evaluation or {}).get("behaviour") or [] if isinstance(t, dict)]
    if not tests:
        return []
    rows = []
    for t in tests:
        status = str(t.get("status", ""))
        shown = {"passed": "pass", "failed": "**FAIL**"}.get(status, status)
        checked = t.get("rows_checked")
        violations = t.get("violations")
        rows.append(
            [
                str(t.get("name", "")),
                str(t.get("kind", "")),
                shown,
                "yes" if t.get("blocking") else "no",
                f"{violations:,} of {checked:,}" if isinstance(checked, int) and checked else "-",
                str(t.get("message", "")),
            ]
        )
    failed = [t for t in tests if t.get("status") == "failed"]
    blocks: list[Block] = [
        Heading("Behavioural tests", 2, "behaviour"),
        Paragraph(
            f"{len(tests) - len(failed)} of {len(tests)} expectations from the project file hold."
        ),
        Table(["test", "kind", "result", "blocking", "violations", "detail"], rows),
    ]
    examples = [(t, e) for t in failed for e in (t.get("examples") or [])[:2]]
    if examples:
        blocks.append(
            Bullets(
                [
                    f"{t.get('name')}: " + ", ".join(f"{k} {_plain(v)}" for k, v in e.items())
                    for t, e in examples
                ]
            )
        )
    return blocks


def _calibration(ctx: ReportContext) -> list[Block]:
    calibration = (ctx.evaluation or {}).get("calibration")
    if not isinstance(calibration, dict):
        return []
    method = str(calibration.get("method", "none"))
    served = {k: calibration.get(k) for k in ("brier", "log_loss", "ece")}
    rows = [
        [
            "probabilities served" + (f" ({method})" if method != "none" else ""),
            *[_metric(served[k]) for k in served],
        ]
    ]
    raw = calibration.get("uncalibrated")
    if isinstance(raw, dict) and method != "none":
        rows.append(["the model's own", *[_metric(raw.get(k)) for k in served]])
    words = {
        "none": "The model's own probabilities are served: no calibrator improved them enough.",
        "sigmoid": "Probabilities are calibrated with a sigmoid (Platt) map before serving.",
        "isotonic": "Probabilities are calibrated with an isotonic map before serving.",
    }.get(method, f"Calibration: {method}.")
    reason = calibration.get("reason")
    return [
        Heading("Calibration", 2, "calibration"),
        Paragraph(words + (f" Chosen by cross-validation: {reason}." if reason else "")),
        Table(
            ["held-out", "Brier", "log loss", "calibration error (ECE)"], rows, numeric=(1, 2, 3)
        ),
    ]


def _overfitting(ctx: ReportContext) -> list[Block]:
    evaluation = ctx.evaluation or {}
    check = evaluation.get("overfitting")
    hygiene = evaluation.get("hygiene")
    blocks: list[Block] = []
    if isinstance(check, dict):
        metric = {"roc_auc": "ROC AUC", "r2": "R²"}.get(str(check.get("metric")), "metric")
        rows = []
        for label, key in (
            ("training rows (in-sample)", "train"),
            ("cross-validation", "cv"),
            ("held-out (once)", "holdout"),
        ):
            part = check.get(key) or {}
            rows.append(
                [
                    label,
                    money(part.get("value_per_decision"), ctx.unit),
                    _metric(part.get("metric")),
                ]
            )
        blocks += [
            Heading("Overfitting and validation", 2, "overfitting"),
            Paragraph(
                "The chosen model on its own training rows, cross-validated, and on the held-out "
                f"rows. Gaps above {money(check.get('value_tolerance'), ctx.unit)} per decision "
                f"or {_short(check.get('metric_tolerance'))} {metric} are flagged."
            ),
            Table(["estimate", "value per decision", metric], rows, numeric=(1, 2)),
        ]
        flags = [str(f) for f in check.get("flags") or []]
        blocks.append(
            Bullets([f"**Flag:** {f}" for f in flags]) if flags else Paragraph("No gap flagged.")
        )
    if isinstance(hygiene, dict):
        if not blocks:
            blocks.append(Heading("Overfitting and validation", 2, "overfitting"))
        items = [
            f"Held-out rows: {hygiene.get('holdout_rows', '?')}, "
            + (
                "scored once, after every choice was made."
                if hygiene.get("holdout_used_once")
                else "**scored more than once**."
            )
        ]
        items.append(
            f"Splits: time-ordered on `{hygiene.get('time_column')}`."
            if hygiene.get("time_ordered")
            else "Splits: random (no time column)."
        )
        items += [f"**Warning:** {w}" for w in hygiene.get("warnings") or []]
        blocks.append(Bullets(items))
    return blocks


def _error_value(ctx: ReportContext) -> list[Block]:
    bins = [b for b in (ctx.evaluation or {}).get("error_value") or [] if isinstance(b, dict)]
    if not bins:
        return []
    rows = [
        [
            str(b.get("sign", "")),
            f"{format_number(b.get('lower', 0.0))} to {format_number(b.get('upper', 0.0))}",
            f"{b.get('rows', 0):,}",
            money(b.get("total_value"), ctx.unit),
            percent(b.get("share_of_loss") or 0.0),
        ]
        for b in bins
    ]
    return [
        Heading("Value of errors by size and sign", 2, "error-value"),
        Paragraph("Where the money is lost: held-out errors grouped by direction and size."),
        Table(
            ["error", "size", "rows", "total value", "share of the loss"], rows, numeric=(2, 3, 4)
        ),
    ]


def _signed_money(value: Any, unit: str) -> str:
    if not isinstance(value, int | float):
        return "-"
    return ("+" if value > 0 else "") + money(value, unit)


def _p(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _metric(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "-"
