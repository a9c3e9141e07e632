"""The engineering half of the report: metrics, curves, evaluation panels, candidates,
importance, limitations and lineage, each a panel with an anchor in the table of contents."""

from __future__ import annotations

from html import escape
from typing import Any

from prodml.explain._reasons import format_number
from prodml.report import _curves as curves
from prodml.report import _svg as svg
from prodml.report._card import lineage_blocks
from prodml.report._context import ReportContext
from prodml.report._document import Block, Bullets, Heading, Paragraph, Table, inline_html, to_html
from prodml.report._facts import (
    interval,
    limitations,
    metric_change,
    money,
    threshold_text,
)
from prodml.report._sections import evaluation_blocks, family_results

__all__ = ["engineering_html", "figure"]


def engineering_html(ctx: ReportContext) -> str:
    sections: list[tuple[str, str, str]] = []  # (anchor, title, html)
    sections.append(("metrics", "Held-out metrics", _metrics_html(ctx)))
    evaluation = _panels(evaluation_blocks(ctx))
    policies = evaluation.pop("policies", None)
    if policies is not None:
        sections.append(policies)
    curves_html = _curves_html(ctx)
    if curves_html:
        sections.append(("curves", "Curves", curves_html))
    if "segments" in evaluation:
        anchor, title, html = evaluation.pop("segments")
        sections.append((anchor, title, _segment_chart(ctx) + html))
    sections += list(evaluation.values())
    if ctx.candidates:
        sections.append(("candidates", "Candidates", _candidates_html(ctx)))
    if ctx.importance is not None:
        sections.append(("importance", "What drives the model", _importance_html(ctx)))
    sections.append(("limitations", "Limitations and assumptions", _limitations_html(ctx)))
    sections.append(("lineage", "Lineage", to_html(lineage_blocks(ctx)[1:])))
    toc = "".join(f'<a href="#{anchor}">{escape(title)}</a>' for anchor, title, _ in sections)
    out = [f'<nav class="toc">For engineers: {toc}</nav>']
    for anchor, title, html in sections:
        out.append(
            f'<section class="panel" id="{escape(anchor)}"><h2>{escape(title)}</h2>{html}</section>'
        )
    return "".join(out)


def _panels(blocks: list[Block]) -> dict[str, tuple[str, str, str]]:
    """Split blocks at each level-2 heading: anchor -> (anchor, title, html of the rest)."""
    panels: dict[str, tuple[str, str, str]] = {}
    current: Heading | None = None
    body: list[Block] = []

    def close() -> None:
        if current is not None:
            panels[current.anchor] = (current.anchor, current.text, to_html(body))

    for block in blocks:
        if isinstance(block, Heading) and block.level == 2:
            close()
            current, body = block, []
        else:
            body.append(block)
    close()
    return panels


def _segment_chart(ctx: ReportContext) -> str:
    results = [r for r in family_results(ctx, "segments") if r.get("tested")]
    values = [r for r in results if isinstance(r.get("value_per_decision"), int | float)]
    if not values:
        return ""
    bars = []
    for r in values[:24]:
        ci = r.get("ci")
        error = (ci[1] - ci[0]) / 2 if isinstance(ci, list) and len(ci) == 2 else None
        color = svg.PALETTE["bad"] if r.get("flagged") else svg.PALETTE["model"]
        bars.append(svg.Bar(str(r.get("name", "")), r["value_per_decision"], color, error=error))
    chart = svg.bar_chart(
        bars, title="Value per decision by segment", unit=ctx.unit, width=960, label_width=230
    )
    return figure(
        chart,
        "Each level's held-out value per decision with its interval; red bars are flagged "
        "(significantly worse than the rest).",
    )


def _metrics_html(ctx: ReportContext) -> str:
    hold = ctx.holdout
    if not hold:
        return "<p>No held-out evaluation is stored with this version.</p>"
    metrics = hold.get("metrics") or {}
    keys = (
        ("roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1")
        if ctx.binary
        else ("mae", "rmse", "r2", "mape", "bias")
    )
    rows = []
    for key in keys:
        if key in metrics:
            span = interval(ctx, key)
            rows.append(
                [
                    key.replace("_", " "),
                    f"{metrics[key]:.4f}"
                    if abs(metrics[key]) < 1000
                    else format_number(metrics[key]),
                    f"{span[0]:.4f} to {span[1]:.4f}" if span else "",
                ]
            )
    header = ["metric", "held-out", "95% interval"]
    if not any(row[2] for row in rows):
        header, rows = header[:2], [row[:2] for row in rows]
    html = to_html([Table(header, rows, numeric=(1, 2))])
    if ctx.binary and {"tp", "fp", "tn", "fn"} <= set(metrics):
        html += _confusion(ctx, metrics)
    return html


def _confusion(ctx: ReportContext, m: dict[str, Any]) -> str:
    positive = escape(ctx.positive)
    cells = [
        ("head", ""),
        ("head", f"actually {positive}"),
        ("head", f"actually not {positive}"),
        ("head", "acted"),
        ("good", f"<b>{m['tp']}</b>true positives"),
        ("bad", f"<b>{m['fp']}</b>false positives"),
        ("head", "did not act"),
        ("bad", f"<b>{m['fn']}</b>false negatives"),
        ("good", f"<b>{m['tn']}</b>true negatives"),
    ]
    grid = "".join(f'<div class="{cls}">{content}</div>' for cls, content in cells)
    return (
        f"<h3>Confusion matrix at the threshold {threshold_text(ctx.bundle.decision_rule)}</h3>"
        f'<div class="confusion">{grid}</div>'
    )


def _curves_html(ctx: ReportContext) -> str:
    """ROC, precision-recall, calibration and score charts (binary); errors (regression)."""
    held = ctx.held
    figures = []
    if ctx.binary:
        if held is not None:
            figures += _ranking_figures(ctx, held)
        calibration = _calibrationfigure(ctx)
        if calibration:
            figures.insert(min(2, len(figures)), calibration)
    elif held is not None:
        figures += _regression_figures(ctx, held)
    if not figures:
        return ""
    html = f'<div class="grid2">{"".join(figures)}</div>'
    if not ctx.binary and held is not None and ctx.evaluation is None:
        views = curves.regression_views(held)
        rows = [
            [
                r["sign"],
                f"{format_number(r['from'])} to {format_number(r['to'])}",
                f"{r['rows']:,}",
                money(r["total_value"], ctx.unit),
            ]
            for r in views["by_error"]
        ]
        html += "<h3>Value of errors by size and sign</h3>" + to_html(
            [Table(["error", "size", "rows", "total value"], rows, numeric=(2, 3))]
        )
    return html


def _ranking_figures(ctx: ReportContext, held: curves.HeldOutScores) -> list[str]:
    figures = []
    roc = curves.roc_curve(held.y, held.scores)
    if roc is not None:
        figures.append(
            figure(
                svg.line_chart(
                    [svg.Series(f"model (AUC {roc['auc']:.3f})", roc["fpr"], roc["tpr"])],
                    title="ROC curve",
                    x_label="false positive rate",
                    y_label="true positive rate",
                    x_range=(0, 1),
                    y_range=(0, 1),
                    diagonal=True,
                ),
                "Ranking quality across all thresholds; the diagonal is a random ranking.",
            )
        )
    pr = curves.pr_curve(held.y, held.scores)
    if pr is not None:
        figures.append(
            figure(
                svg.line_chart(
                    [svg.Series(f"model (AP {pr['ap']:.3f})", pr["recall"], pr["precision"])],
                    title="Precision-recall curve",
                    x_label="recall",
                    y_label="precision",
                    x_range=(0, 1),
                    y_range=(0, 1),
                    hlines=[(pr["base_rate"], "base rate", svg.PALETTE["muted"])],
                ),
                f"Precision when finding a given share of the {ctx.positive} cases.",
            )
        )
    hist = curves.score_histogram(held.y, held.scores)
    figures.append(
        figure(
            svg.histogram(
                hist["edges"],
                [
                    (f"{ctx.positive}", hist["positive"], svg.PALETTE["bad"]),
                    (f"not {ctx.positive}", hist["negative"], svg.PALETTE["model"]),
                ],
                title="Scores by actual outcome",
                x_label=f"predicted P({ctx.positive})",
                y_label="held-out rows",
                x_percent=True,
                vlines=[(ctx.bundle.decision_rule, "threshold", svg.PALETTE["ink"])],
            ),
            "How well the scores separate the two outcomes; right of the line, the model acts.",
        )
    )
    return figures


def _calibrationfigure(ctx: ReportContext) -> str:
    """Reliability diagram: the evaluation's bins (served and raw) or the held-out rows."""
    calibration = ctx.section("calibration")
    series = []
    caption = ""
    if isinstance(calibration, dict) and calibration.get("reliability"):
        for name, part, color in (
            ("served", calibration, svg.PALETTE["model"]),
            ("model's own", calibration.get("uncalibrated"), svg.PALETTE["alt"]),
        ):
            if not isinstance(part, dict) or not part.get("reliability"):
                continue
            if name == "model's own" and calibration.get("method") in (None, "none"):
                continue
            bins = [b for b in part["reliability"] if b.get("rows")]
            series.append(
                svg.Series(
                    name,
                    [b["mean_predicted"] for b in bins],
                    [b["observed_rate"] for b in bins],
                    color=color,
                    markers=True,
                    dashed=name != "served",
                )
            )
        caption = (
            f"Predicted against observed rates in bins of predicted probability. Served: Brier "
            f"{calibration.get('brier', 0):.4f}, calibration error {calibration.get('ece', 0):.4f}"
            f" ({calibration.get('method', 'none')})."
        )
    elif ctx.held is not None:
        drawn = curves.calibration_bins(ctx.held.y, ctx.held.scores)
        series.append(svg.Series("model", drawn["predicted"], drawn["observed"], markers=True))
        caption = (
            f"Ten equal-count bins. Brier {drawn['brier']:.4f}, expected calibration error "
            f"{drawn['ece']:.4f}; on the diagonal, probabilities are frequencies."
        )
    if not series:
        return ""
    chart = svg.line_chart(
        series,
        title="Calibration (reliability)",
        x_label=f"mean predicted P({ctx.positive})",
        y_label="observed rate",
        x_range=(0, 1),
        y_range=(0, 1),
        diagonal=True,
        x_percent=True,
        y_percent=True,
    )
    return figure(chart, caption)


def _regression_figures(ctx: ReportContext, held: curves.HeldOutScores) -> list[str]:
    views = curves.regression_views(held)
    return [
        figure(
            svg.scatter_chart(
                views["actual"],
                views["predicted"],
                title="Decision vs actual",
                x_label=f"actual {ctx.bundle.target}",
                y_label="decision (prediction + offset)",
            ),
            "A sample of held-out rows; on the diagonal the decision equals the outcome.",
        ),
        figure(
            svg.histogram(
                views["residual_edges"],
                [("rows", views["residual_counts"], svg.PALETTE["model"])],
                title="Errors (decision - actual)",
                x_label="error",
                y_label="held-out rows",
                vlines=[(0.0, "exact", svg.PALETTE["ink"])],
            ),
            "Right of zero the decision is too high (costs `over` per unit), left too low.",
        ),
    ]


def _candidates_html(ctx: ReportContext) -> str:
    unit = ctx.unit
    chosen = ctx.model_label
    rows_html = []
    metric = "roc_auc" if ctx.binary else "rmse"
    for label, c in ctx.candidates.items():
        cls = ' class="chosen"' if label == chosen else ""
        value = money(c.get("cv_value_per_decision"), unit)
        error = c.get("cv_value_std_error")
        error_text = f"± {error:,.2f}" if isinstance(error, int | float) else ""
        score = (c.get("cv_metrics") or {}).get(metric)
        rule = c.get("decision_rule")
        rows_html.append(
            f"<tr{cls}><td>{escape(str(c.get('description', label)))}</td>"
            f'<td class="num">{escape(value)}</td><td class="num">{escape(error_text)}</td>'
            f'<td class="num">{"-" if score is None else f"{score:.4f}"}</td>'
            f'<td class="num">{"-" if rule is None else f"{rule:.4g}"}</td></tr>'
        )
    head = (
        f'<tr><th>candidate</th><th class="num">value per decision ({escape(unit)})</th>'
        f'<th class="num">std. error</th><th class="num">{"ROC AUC" if ctx.binary else "RMSE"}'
        f'</th><th class="num">{"threshold" if ctx.binary else "offset"}</th></tr>'
    )
    notes = list(ctx.run.metrics.get("selection_notes") or [])
    intro = (
        "<p>Each candidate cross-validated on the training rows, at its own value-optimal "
        "decision rule; simpler models win unless a more complex one clearly pays.</p>"
    )
    table = (
        f'<div class="table"><table><thead>{head}</thead><tbody>{"".join(rows_html)}</tbody>'
        "</table></div>"
    )
    return intro + table + (to_html([Bullets(notes)]) if notes else "")


def _importance_html(ctx: ReportContext) -> str:
    importance = ctx.importance
    assert importance is not None
    features = importance["features"][:15]
    bars = [
        svg.Bar(
            f["feature"],
            f["value_loss"],
            svg.PALETTE["model"] if f["value_loss"] >= 0 else svg.PALETTE["muted"],
            error=f.get("value_loss_std") or None,
        )
        for f in features
    ]
    by_contribution = sorted(importance["features"], key=lambda f: -f["mean_abs_contribution"])[:15]
    score = importance.get("contribution_score", "score")
    contribution_bars = [
        svg.Bar(f["feature"], f["mean_abs_contribution"], svg.PALETTE["alt"])
        for f in by_contribution
        if f["mean_abs_contribution"] > 0
    ]
    figures = [
        figure(
            svg.bar_chart(bars, title="Value lost when the feature is shuffled", unit=ctx.unit),
            f"Permutation importance on {importance['rows']} held-out rows, "
            f"{importance['repeats']} shuffles; bars show the mean and one standard deviation.",
        )
    ]
    if contribution_bars:
        method = {"treeshap": "TreeSHAP", "linear": "coefficient × centred value"}.get(
            importance.get("contribution_method", ""), "contributions"
        )
        figures.append(
            figure(
                svg.bar_chart(contribution_bars, title=f"Mean |contribution| ({score})"),
                f"Average size of each feature's exact contribution to the {score} ({method}).",
            )
        )
    metric = "ROC AUC" if importance.get("metric") == "roc_auc" else "RMSE"
    change = "drop" if importance.get("metric") == "roc_auc" else "rise"
    rows = [
        [
            f"`{f['feature']}`",
            money(f["value_loss"], ctx.unit),
            f"{f['value_loss_std']:,.2f}",
            metric_change(f["metric_loss"], importance),
            f"{f['mean_abs_contribution']:.4f}",
        ]
        for f in importance["features"]
    ]
    table = to_html(
        [
            Table(
                [
                    "feature",
                    "value lost / decision",
                    "± s.d.",
                    f"{metric} {change}",
                    "mean |contribution|",
                ],
                rows,
                numeric=(1, 2, 3, 4),
            )
        ]
    )
    note = ""
    if ctx.bundle.model_kind == "baseline":
        note = '<p class="muted">The baseline model uses no feature: every importance is zero.</p>'
    return f'{note}<div class="grid2">{"".join(figures)}</div>{table}'


def _limitations_html(ctx: ReportContext) -> str:
    blocks: list[Block] = [Bullets(limitations(ctx))]
    if ctx.held is None and not ctx.at_training:
        blocks.append(
            Paragraph(
                "This report was drawn after training from the stored results, so the charts "
                "that need the held-out predictions are not shown; retrain to get them."
            )
        )
    return to_html(blocks)


def figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{inline_html(caption)}</figcaption></figure>"
