"""The monitoring dashboard: one self-contained HTML page (inline CSS and SVG, no script, no
request for anything outside the file), from a :meth:`MonitorReport.to_dict`.

``prodml monitor --html FILE`` writes it; the server answers it at ``GET /dashboard``. It shows
value per decision over time (realised with its interval, and estimated), drift by feature,
data quality, latency, the served variants side by side, and the alerts. Charts and the page
style are the model report's (:mod:`prodml.report`), so both read alike.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

__all__ = ["render_dashboard"]

_EXTRA_CSS = """
table.grid { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 4px 8px;
  text-align: right; }
table.grid th:first-child, table.grid td:first-child { text-align: left; }
tr.bad td { color: var(--red); font-weight: 600; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 170px; }
.kpi b { display: block; font-size: 20px; }
.alert { border-left: 5px solid var(--red); background: #fef2f2; padding: 10px 14px;
  border-radius: 6px; margin: 6px 0; }
.ok { border-left: 5px solid var(--green); background: #ecfdf5; padding: 10px 14px;
  border-radius: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
"""


def render_dashboard(report: dict[str, Any]) -> str:
    """The dashboard page of one monitoring pass."""
    from prodml.report._html import CSS

    title = f"{report['project']} v{report['version']}: monitoring"
    body = (
        '<header class="top"><div class="wrap"><div class="brand">prodml monitoring</div>'
        f"<h1>{escape(title)}</h1>"
        f'<p class="sub">windows of {escape(report["window"])} (UTC) · generated '
        f"{escape(str(report['generated_at'])[:19])} UTC · reference: "
        f"{escape(str(report['reference'].get('source', '')))}</p></div></header>"
        '<main class="wrap">'
        + _alerts(report)
        + _kpis(report)
        + _value(report)
        + _drift(report)
        + _quality(report)
        + _health(report)
        + "</main>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="prodml">'
        f"<title>{escape(title)}</title><style>{CSS}{_EXTRA_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _panel(heading: str, inner: str) -> str:
    return f'<section class="panel"><h2>{escape(heading)}</h2>{inner}</section>'


def _alerts(report: dict[str, Any]) -> str:
    firing = [c for c in report.get("checks", []) if c.get("holds")]
    if not report.get("checks"):
        inner = "<p>Alert rules were not checked in this pass.</p>"
    elif not firing:
        inner = '<p class="ok">No alert rule holds.</p>'
    else:
        inner = "".join(
            f'<div class="alert"><b>{escape(c["severity"])}</b> · {escape(c["rule"])}: '
            f"{escape(c['message'])}</div>"
            for c in firing
        )
    opened = report.get("open_alerts") or []
    if opened:
        rows = "".join(
            f"<tr><td>{a['id']}</td><td>{escape(a['rule'])}</td><td>{escape(a['severity'])}</td>"
            f"<td>{escape(str(a['fired_at'])[:16])}</td></tr>"
            for a in opened
        )
        inner += (
            '<table class="grid"><tr><th>incident</th><th>rule</th><th>severity</th>'
            f"<th>fired</th></tr>{rows}</table>"
        )
    return _panel("Alerts", inner)


def _kpis(report: dict[str, Any]) -> str:
    windows = report["windows"]
    if not windows:
        return _panel("Latest window", "<p>No predictions logged for this version yet.</p>")
    latest = windows[-1]["metrics"]
    unit = escape(report["unit"])
    held = report["reference"]["held_out"].get("value_per_decision")
    cards = [
        ("realised value / decision", _num(latest.get("value_per_decision"), unit)),
        ("estimated value / decision", _num(latest.get("estimated_value_per_decision"), unit)),
        ("held-out value / decision", _num(held, unit)),
        ("labelled", _pct(latest.get("labelled_share"))),
        ("drift share (weighted)", _pct(latest.get("drift_share"))),
        ("rejected", _pct(latest.get("rejected_share"))),
        ("p99 latency", _num(latest.get("latency_p99_ms"), "ms")),
        ("rows", f"{windows[-1]['rows']:,}"),
    ]
    inner = '<div class="kpis">' + "".join(
        f'<div class="kpi">{escape(label)}<b>{value}</b></div>' for label, value in cards
    )
    return _panel(f"Latest window ({_when(windows[-1]['start'])})", inner + "</div>")


def _value(report: dict[str, Any]) -> str:
    from prodml.report._svg import PALETTE, Series, line_chart

    windows = report["windows"]
    xs, real, low, high, est_x, est = [], [], [], [], [], []
    for k, w in enumerate(windows):
        m = w["metrics"]
        ci = (w["performance"] or {}).get("value_ci") or [None, None]
        if m.get("value_per_decision") is not None and None not in ci:
            xs.append(float(k))
            real.append(m["value_per_decision"])
            low.append(ci[0])
            high.append(ci[1])
        if m.get("estimated_value_per_decision") is not None:
            est_x.append(float(k))
            est.append(m["estimated_value_per_decision"])
    series = []
    if xs:
        series.append(Series("realised", xs, real, band=(low, high), markers=True))
    if est_x:
        series.append(
            Series("estimated (CBPE)", est_x, est, color=PALETTE["alt"], dashed=True, markers=True)
        )
    held = report["reference"]["held_out"].get("value_per_decision")
    if not series:
        return _panel("Value per decision", "<p>No value yet: no scored rows.</p>")
    chart = line_chart(
        series,
        title=f"Value per decision ({report['unit']}) by window",
        x_label=f"window (0 = {_when(windows[0]['start'])})",
        y_label=report["unit"],
        width=900,
        hlines=[(held, "held-out", PALETTE["muted"])] if held is not None else [],
    )
    return _panel(
        "Value per decision over time",
        f'<figure class="chart-figure">{chart}</figure><p>Realised value (blue, with its '
        "confidence interval) once labels arrive; estimated from the calibrated probabilities "
        "(amber) for every window; the grey line is what the model earned on held-out data.</p>",
    )


def _drift(report: dict[str, Any]) -> str:
    from prodml.report._svg import PALETTE, Bar, bar_chart

    judged = [w for w in report["windows"] if w.get("drift")]
    if not judged:
        return _panel("Drift by feature", "<p>No window to compare yet.</p>")
    latest = judged[-1]["drift"]
    bars = []
    rows = []
    for c in sorted(latest["columns"], key=lambda c: -(_ratio(c))):
        bars.append(
            Bar(
                c["column"],
                _ratio(c),
                color=PALETTE["bad"] if c["drifted"] else PALETTE["model"],
                note=" drifted" if c["drifted"] else "",
            )
        )
        new = ", ".join(f"{k} ({v:.1%})" for k, v in list(c["new_levels"].items())[:3])
        rows.append(
            f'<tr class="{"bad" if c["drifted"] else ""}"><td>{escape(c["column"])}</td>'
            f"<td>{escape(c['method'])}</td><td>{_num(c['effect'])}</td>"
            f"<td>{c['threshold']:g}</td><td>{_p(c['p_value'])}</td>"
            f"<td>{_num(c['stats'].get('psi'))}</td><td>{escape(new) or '-'}</td></tr>"
        )
    chart = bar_chart(bars[:20], title="Effect size / threshold (1 = threshold)", width=900)
    history = "".join(
        f"<tr><td>{_when(w['start'])}</td><td>{_pct(w['drift']['drift_share'])}</td>"
        f"<td>{escape(', '.join(w['drift']['drifted_columns']) or '-')}</td>"
        f"<td>{_num((w['drift'].get('prediction') or {}).get('effect'))}</td></tr>"
        for w in judged
    )
    domain = report.get("domain") or {}
    domain_text = ""
    if domain.get("roc_auc") is not None:
        domain_text = (
            f"<p>Domain classifier on the latest window: ROC AUC {domain['roc_auc']:.3f} "
            f"({'a different population' if domain.get('drifted') else 'no multivariate drift'};"
            " 0.5 means reference and current rows cannot be told apart).</p>"
        )
    return _panel(
        "Drift by feature",
        f"<p>Latest window; dataset drift weighted by {escape(report['weights_source'])}.</p>"
        f'<figure class="chart-figure">{chart}</figure>'
        '<table class="grid"><tr><th>feature</th><th>method</th><th>effect</th><th>threshold'
        f"</th><th>p-value</th><th>PSI</th><th>new levels</th></tr>{''.join(rows)}</table>"
        + domain_text
        + '<h3>By window</h3><table class="grid"><tr><th>window</th><th>drift share</th>'
        f"<th>drifted</th><th>prediction drift</th></tr>{history}</table>",
    )


def _quality(report: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr class="{"bad" if w["quality"].get("volume_anomaly") else ""}">'
        f"<td>{_when(w['start'])}</td><td>{w['rows']:,}</td>"
        f"<td>{_pct(w['quality']['rejected_share'])}</td>"
        f"<td>{_pct(w['quality']['repaired_share'])}</td>"
        f"<td>{_pct(w['quality']['missing_share'])}</td>"
        f"<td>{_pct(w['quality']['unseen_share'])}</td>"
        f"<td>{_pct(w['quality']['out_of_range_share'])}</td>"
        f"<td>{w['quality']['duplicate_ids']}</td>"
        f"<td>{_num(w['quality'].get('volume_ratio'))}</td></tr>"
        for w in report["windows"]
    )
    return _panel(
        "Data quality",
        '<table class="grid"><tr><th>window</th><th>rows</th><th>rejected</th><th>repaired</th>'
        "<th>missing</th><th>unseen</th><th>out of range</th><th>duplicate ids</th>"
        f"<th>volume vs median</th></tr>{rows}</table>",
    )


def _health(report: dict[str, Any]) -> str:
    from prodml.report._svg import PALETTE, Series, line_chart

    windows = report["windows"]
    series = []
    for key, color in (
        ("latency_p50_ms", PALETTE["good"]),
        ("latency_p95_ms", PALETTE["alt"]),
        ("latency_p99_ms", PALETTE["bad"]),
    ):
        points = [
            (float(k), w["metrics"][key])
            for k, w in enumerate(windows)
            if w["metrics"].get(key) is not None
        ]
        if points:
            series.append(
                Series(
                    key.split("_")[1],
                    [p[0] for p in points],
                    [p[1] for p in points],
                    color=color,
                    markers=True,
                )
            )
    chart = ""
    if series:
        chart = '<figure class="chart-figure">' + line_chart(
            series,
            title="Request latency by window (ms)",
            x_label="window",
            y_label="ms",
            width=900,
        )
        chart += "</figure>"
    variants: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in report.get("health", []):
        pair = (row["version"], row["variant"])
        slot = variants.setdefault(pair, {"requests": 0, "records": 0, "p99": 0.0, "rej": 0.0})
        slot["requests"] += row["requests"]
        slot["records"] += row["records"]
        slot["p99"] = max(slot["p99"], row["latency_p99_ms"] or 0.0)
        slot["rej"] += row["rejected_share"] * row["records"]
    table = "".join(
        f"<tr><td>v{version} {escape(str(variant))}</td><td>{s['requests']:,}</td>"
        f"<td>{s['records']:,}</td><td>{_num(s['p99'])}</td>"
        f"<td>{_pct(s['rej'] / s['records'] if s['records'] else 0.0)}</td></tr>"
        for (version, variant), s in sorted(variants.items(), key=lambda kv: str(kv[0]))
    )
    return _panel(
        "System health and variants",
        chart
        + '<table class="grid"><tr><th>version / variant</th><th>requests</th><th>records</th>'
        f"<th>worst p99 ms</th><th>rejected</th></tr>{table}</table>",
    )


def _ratio(column: dict[str, Any]) -> float:
    effect = column.get("effect")
    return float(effect) / column["threshold"] if effect is not None else 0.0


def _when(start: Any) -> str:
    text = start.isoformat() if isinstance(start, datetime) else str(start)
    return escape(text[:16].replace("T", " "))


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}" + (f" {unit}" if unit else "")


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def _p(value: Any) -> str:
    return "-" if value is None else f"{value:.2g}"
