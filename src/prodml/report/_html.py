"""The HTML report: one self-contained page, business summary on top, engineering detail below.

No external request of any kind: the CSS is inline, charts are inline SVG drawn by
:mod:`prodml.report._svg`, and there is no script. The page opens offline, from an e-mail
attachment or an artifact store, and prints cleanly.

Top (a decision maker reads this and stops): the decision, the recommendation, value per decision
against the simple policies, the decision rule in words and the value of each outcome.
Below (an engineer reads on): held-out metrics and the confusion matrix, ROC and precision-recall
curves, the value curve over thresholds, calibration, score distributions, candidates, what drives
the model, the evaluation's segments and tests when present, limitations and lineage.
"""

from __future__ import annotations

from html import escape
from typing import Any

from prodml.explain._reasons import format_number
from prodml.report import _curves as curves
from prodml.report import _svg as svg
from prodml.report._card import card_blocks
from prodml.report._context import ReportContext
from prodml.report._document import Heading, Table, inline_html, to_html
from prodml.report._engineering import engineering_html, figure
from prodml.report._facts import (
    OUTCOME_MEANING,
    interval,
    money,
    outcome_values,
    percent,
    policy_name,
    recommendation,
    threshold_text,
)

__all__ = ["CSS", "render_card_html", "render_report_html"]

CSS = """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#ffffff;
  --blue:#2563eb; --green:#059669; --red:#dc2626; --amber:#b45309; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
header.top { background:#0f172a; color:#f8fafc; padding:28px 0 24px; }
.wrap { max-width:1080px; margin:0 auto; padding:0 24px; }
.brand { font-size:12px; letter-spacing:.08em; text-transform:uppercase; color:#93c5fd; }
h1 { font-size:28px; line-height:1.2; margin:6px 0 6px; font-weight:650; }
header .sub { color:#cbd5e1; margin:0; font-size:14px; }
.badge { display:inline-block; font-size:12px; font-weight:600; padding:2px 9px;
  border-radius:999px; background:#1d4ed8; color:#fff; vertical-align:middle; margin-left:6px;
  letter-spacing:.02em; }
main { padding:24px 0 48px; }
section.panel { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:22px 24px; margin:0 0 20px; }
h2 { font-size:20px; margin:0 0 12px; font-weight:650; }
h3 { font-size:16px; margin:22px 0 8px; font-weight:650; }
section.panel > h2:not(:first-child), .card h2 { margin-top:26px; }
p { margin:8px 0; }
.decision { font-size:17px; margin:0 0 14px; }
.decision b { font-weight:650; }
.verdict { border-left:5px solid var(--green); background:#ecfdf5; padding:12px 16px;
  border-radius:6px; font-size:15.5px; }
.verdict.warn { border-color:var(--amber); background:#fffbeb; }
.verdict.stop { border-color:var(--red); background:#fef2f2; }
.kpis { display:grid; grid-template-columns:repeat(4, minmax(0,1fr)); gap:12px; margin:18px 0 6px; }
.kpi { border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fbfdff; }
.kpi .label { color:var(--muted); font-size:12.5px; }
.kpi .value { font-size:22px; font-weight:650; margin-top:2px; white-space:nowrap; }
.kpi .note { color:var(--muted); font-size:12px; }
.grid2 { display:grid; grid-template-columns:repeat(2, minmax(0,1fr)); gap:18px; margin-top:12px;
  align-items:start; }
figure { margin:0; border:1px solid var(--line); border-radius:8px; padding:10px 10px 6px;
  background:#fff; }
figure figcaption { color:var(--muted); font-size:12.5px; margin:4px 4px 2px; }
svg.chart { width:100%; height:auto; display:block; }
.table { overflow-x:auto; }
table { border-collapse:collapse; width:100%; margin:8px 0 12px; font-size:14px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12.5px; background:#f9fafb; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.chosen td { background:#eff6ff; font-weight:600; }
code { font-family:ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px;
  background:#f3f4f6; padding:1px 5px; border-radius:4px; word-break:break-all; }
nav.toc { font-size:13.5px; color:var(--muted); margin:0 0 16px; }
nav.toc a { color:var(--blue); text-decoration:none; margin-right:14px; white-space:nowrap; }
nav.toc a:hover { text-decoration:underline; }
.confusion { display:grid; grid-template-columns:auto 1fr 1fr; gap:6px; max-width:460px;
  font-size:13.5px; margin:10px 0; }
.confusion div { padding:10px; border-radius:6px; text-align:center; }
.confusion .head { color:var(--muted); font-size:12.5px; background:none; padding:4px; }
.confusion .good { background:#ecfdf5; } .confusion .bad { background:#fef2f2; }
.confusion b { display:block; font-size:20px; }
.muted { color:var(--muted); }
ul { padding-left:22px; margin:8px 0; } li { margin:5px 0; }
footer { color:var(--muted); font-size:12.5px; text-align:center; padding:10px 0 30px; }
@media (max-width: 820px) { .kpis { grid-template-columns:repeat(2, minmax(0,1fr)); }
  .kpi .value { font-size:18px; white-space:normal; overflow-wrap:anywhere; }
  .grid2 { grid-template-columns:1fr; } }
@media print { body { background:#fff; } header.top { background:#fff; color:#000; }
  section.panel { border:none; padding:0; break-inside:avoid-page; } }
"""


def render_report_html(ctx: ReportContext) -> str:
    """The whole report page as one HTML string."""
    body = [
        _header(ctx),
        '<main><div class="wrap">',
        _business(ctx),
        engineering_html(ctx),
        "</div></main>",
        _footer(ctx),
    ]
    return _page(f"{ctx.project} v{ctx.version.version}: model report", "".join(body))


def render_card_html(ctx: ReportContext) -> str:
    """The model card as a standalone HTML page (same content as the Markdown card)."""
    blocks = card_blocks(ctx)
    title = blocks[0].text if isinstance(blocks[0], Heading) else "Model card"
    header = (
        '<header class="top"><div class="wrap"><div class="brand">prodml · model card</div>'
        f"<h1>{escape(title)}</h1></div></header>"
    )
    content = to_html(blocks[1:])
    main = f'<main><div class="wrap"><section class="panel card">{content}</section></div></main>'
    return _page(title, header + main + _footer(ctx))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="prodml">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _header(ctx: ReportContext) -> str:
    badges = "".join(f'<span class="badge">{escape(a)}</span>' for a in ctx.aliases)
    what = (
        f"binary: {ctx.bundle.target} = {ctx.positive}"
        if ctx.binary
        else f"regression: {ctx.bundle.target}"
    )
    created = ctx.version.created_at.strftime("%Y-%m-%d %H:%M UTC")
    sub = (
        f"{_family(ctx)} ({ctx.model_label}) · {what} · registered {created} · "
        f"training run {ctx.run.id}"
    )
    return (
        '<header class="top"><div class="wrap"><div class="brand">prodml · model report</div>'
        f"<h1>{escape(ctx.project)} — version {ctx.version.version}{badges}</h1>"
        f'<p class="sub">{escape(sub)}</p></div></header>'
    )


def _family(ctx: ReportContext) -> str:
    return {"baseline": "Baseline", "linear": "Linear model", "lightgbm": "LightGBM"}.get(
        ctx.bundle.model_kind, ctx.bundle.model_kind
    )


# -- the business part ---------------------------------------------------------------------------


def _business(ctx: ReportContext) -> str:
    hold = ctx.holdout
    unit = ctx.unit
    text = recommendation(ctx)
    tone = "stop" if text.startswith("Do not") else "warn" if "Review first" in text else ""
    parts = [
        '<section class="panel" id="summary">',
        f'<p class="decision">Decision: <b>{escape(ctx.decision)}</b></p>',
        f'<div class="verdict {tone}">{inline_html(text)}</div>',
    ]
    if hold:
        parts.append(_kpis(ctx))
        figures = [figure(_policy_bars(ctx), _policy_caption(ctx))]
        curve = _value_curve_chart(ctx)
        if curve:
            figures.append(figure(curve, _value_curve_caption(ctx)))
        parts.append(f'<div class="grid2">{"".join(figures)}</div>')
    parts.append("<h3>The decision rule</h3>")
    parts.append(f"<p>{inline_html(_rule_words(ctx))}</p>")
    rows = [
        [name.upper() if ctx.binary else name, OUTCOME_MEANING[name](ctx), f"`{expr}`"]
        for name, expr in outcome_values(ctx)
    ]
    if rows:
        parts.append("<h3>Value of outcomes</h3>")
        parts.append(to_html([Table(["outcome", "meaning", f"value ({unit}, per row)"], rows)]))
    parts.append("</section>")
    return "".join(parts)


def _kpis(ctx: ReportContext) -> str:
    hold = ctx.holdout
    unit = ctx.unit
    span = interval(ctx, "value_per_decision")
    vpd_note = (
        f"95% interval {money(span[0], '')} to {money(span[1], unit)}"
        if span
        else f"on {hold.get('rows', '?')} held-out {ctx.rows_noun}"
    )
    best = policy_name(hold.get("best_trivial", ""), ctx)
    tiles = [
        ("Value per decision", money(hold["value_per_decision"], unit), vpd_note),
        (
            "More than the best simple policy",
            money(hold.get("uplift_over_trivial", 0.0), unit),
            f"per decision, vs {best}",
        ),
        (
            "Total value on held-out data",
            money(hold.get("total_value", 0.0), unit),
            f"{hold.get('rows', '?')} decisions",
        ),
    ]
    metrics = hold.get("metrics") or {}
    if ctx.binary:
        tiles.append(
            (
                "Acted on",
                percent(metrics.get("acted_share", 0.0)),
                f"threshold P({ctx.positive}) ≥ {threshold_text(ctx.bundle.decision_rule)}",
            )
        )
    else:
        tiles.append(
            (
                "Typical error",
                format_number(metrics.get("mae", 0.0)),
                f"mean absolute error; R² {metrics.get('r2', 0.0):.3f}",
            )
        )
    cells = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
        for label, value, note in tiles
    )
    return f'<div class="kpis">{cells}</div>'


def _policy_bars(ctx: ReportContext) -> str:
    hold = ctx.holdout
    bars = [
        svg.Bar(
            f"this model (v{ctx.version.version})",
            hold["value_per_decision"],
            svg.PALETTE["model"],
            error=_half_width(ctx),
        )
    ]
    policies = [p for p in (ctx.evaluation or {}).get("policies") or [] if isinstance(p, dict)]
    if policies:
        for p in policies:
            name = str(p.get("name", ""))
            color = {"baseline": svg.PALETTE["alt"], "perfect": svg.PALETTE["good"]}.get(
                name, svg.PALETTE["muted"]
            )
            if isinstance(p.get("value_per_decision"), int | float):
                bars.append(svg.Bar(_short_policy(name), p["value_per_decision"], color))
    else:
        for name, value in (hold.get("trivial") or {}).items():
            bars.append(svg.Bar(_short_policy(name), value, svg.PALETTE["muted"]))
        if ctx.binary and hold.get("perfect_value_per_decision") is not None:
            bars.append(
                svg.Bar(
                    "perfect foresight", hold["perfect_value_per_decision"], svg.PALETTE["good"]
                )
            )
    return svg.bar_chart(
        bars, title="Value per decision on held-out data", unit=ctx.unit, bar_height=34
    )


def _short_policy(name: str) -> str:
    return {
        "act_on_everyone": "act on everyone",
        "act_on_no_one": "act on no one",
        "constant_prediction": "best constant",
        "baseline": "baseline model",
        "perfect": "perfect foresight",
    }.get(name, name.replace("_", " "))


def _half_width(ctx: ReportContext) -> float | None:
    span = interval(ctx, "value_per_decision")
    return (span[1] - span[0]) / 2 if span else None


def _policy_caption(ctx: ReportContext) -> str:
    baseline = " the baseline model," if ctx.section("baseline") else ""
    interval_note = " The black line is the model's 95% interval." if _half_width(ctx) else ""
    if ctx.binary:
        return (
            f"Value per decision ({ctx.unit}) of this model against acting on everyone, on no "
            f"one,{baseline} and the ceiling of perfect foresight.{interval_note}"
        )
    return (
        f"Value per decision ({ctx.unit}) of this model against{baseline} the best constant "
        f"prediction.{interval_note}"
    )


def _value_curve_data(ctx: ReportContext) -> dict[str, Any] | None:
    """The evaluation's value curve, or one drawn from the held-out scores; None without both."""
    stored = ctx.section("value_curve")
    if isinstance(stored, dict):
        xs = stored.get("threshold") or stored.get("offset")
        ys = stored.get("value_per_decision")
        if xs and ys and len(xs) == len(ys):
            rule = ctx.bundle.decision_rule
            chosen = min(range(len(xs)), key=lambda i: abs(xs[i] - rule))
            return {"x": xs, "value_per_decision": ys, "chosen": rule, "chosen_value": ys[chosen]}
    if ctx.held is not None:
        return curves.value_curve(ctx.held)
    return None


def _value_curve_chart(ctx: ReportContext) -> str:
    data = _value_curve_data(ctx)
    if data is None:
        return ""
    hold = ctx.holdout
    hlines = [
        (value, _short_policy(name), svg.PALETTE["muted"])
        for name, value in (hold.get("trivial") or {}).items()
    ]
    if ctx.binary:
        return svg.line_chart(
            [svg.Series("value per decision", data["x"], data["value_per_decision"])],
            title="Value per decision by threshold",
            x_label=f"threshold on P({ctx.positive})",
            y_label=f"{ctx.unit} per decision",
            x_percent=True,
            x_range=(0.0, 1.0),
            hlines=hlines,
            vlines=[
                (data["chosen"], f"chosen {threshold_text(data['chosen'])}", svg.PALETTE["bad"])
            ],
            points=[
                (
                    data["chosen"],
                    data["chosen_value"],
                    f"chosen threshold: {money(data['chosen_value'], ctx.unit)}",
                    svg.PALETTE["bad"],
                )
            ],
        )
    return svg.line_chart(
        [svg.Series("value per decision", data["x"], data["value_per_decision"])],
        title="Value per decision by offset",
        x_label=f"offset added to the predicted {ctx.bundle.target}",
        y_label=f"{ctx.unit} per decision",
        hlines=hlines,
        vlines=[(data["chosen"], f"chosen {format_number(data['chosen'])}", svg.PALETTE["bad"])],
        points=[
            (
                data["chosen"],
                data["chosen_value"],
                f"chosen offset: {money(data['chosen_value'], ctx.unit)}",
                svg.PALETTE["bad"],
            )
        ],
    )


def _value_curve_caption(ctx: ReportContext) -> str:
    if ctx.binary:
        return (
            "Held-out value per decision if the model acted at each threshold; the red line is the "
            "threshold chosen on cross-validation, before the held-out data was seen."
        )
    return "Held-out value per decision for each shift of the predictions; red: the chosen shift."


def _rule_words(ctx: ReportContext) -> str:
    metrics = ctx.holdout.get("metrics") or {}
    if ctx.binary:
        acted = metrics.get("acted_share")
        share = (
            f" On held-out data that meant acting on {percent(acted)} of cases." if acted else ""
        )
        return (
            f"Act (treat the case as **{ctx.positive}**) when the predicted probability of "
            f"{ctx.positive} is at least **{threshold_text(ctx.bundle.decision_rule)}**; "
            "otherwise do "
            f"not act. The threshold maximises value given the value of each outcome below, "
            f"not accuracy.{share}"
        )
    offset = ctx.bundle.decision_rule
    if not offset:
        return f"Use the predicted {ctx.bundle.target} as it is: no shift earned more."
    direction = "above" if offset > 0 else "below"
    return (
        f"Decide on the predicted {ctx.bundle.target} shifted by **{format_number(offset)}** "
        f"({direction} the model's estimate): over- and under-prediction cost different "
        "amounts, so the value-optimal decision is not the average."
    )


def _footer(ctx: ReportContext) -> str:
    from prodml import __version__

    when = ctx.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    origin = "at training" if ctx.at_training else "from the stored results"
    return (
        f"<footer>Generated by prodml {escape(__version__)} {origin}, {escape(when)}. "
        "Self-contained: no external resources.</footer>"
    )
