"""``prodml monitor``: drift, quality, performance, value and health of the served model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from prodml.cli.options import JsonOption, ProjectOption

WindowOption = Annotated[
    str | None,
    typer.Option("--window", "-w", help="Window length: 30m, 1h, 1d, 1w (monitoring.window)."),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First day or instant (UTC), e.g. 2026-10-01.")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="End (exclusive, UTC), e.g. 2026-11-01.")
]
HtmlOption = Annotated[
    Path | None, typer.Option("--html", help="Also write the dashboard as one HTML file.")
]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Exit 1 when an alert rule holds (for cron / CI).")
]
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Version or alias (monitoring.model).")
]
DomainOption = Annotated[
    bool | None,
    typer.Option(
        "--domain/--no-domain",
        help="Run the domain classifier on the latest window "
        "(default: monitoring.drift.domain_classifier).",
    ),
]


def monitor(
    project: ProjectOption = Path("."),
    window: WindowOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    html: HtmlOption = None,
    check: CheckOption = False,
    model: ModelOption = None,
    domain: DomainOption = None,
    json: JsonOption = False,
) -> None:
    """Health of the served model, window by window: drift, data quality, realised and
    estimated value per decision, latency; checks the alert rules and notifies the sinks.

    Examples:

        prodml monitor --window 1d

        prodml monitor --window 1d --since 2026-10-01 --html monitor.html

        prodml monitor --check        # exit 1 when an alert fires (cron, orchestrators)

    Exit codes: 0 fine, 1 an alert rule holds (with --check), 2 bad arguments.
    """
    from prodml.cli.heap import keep_freed_memory
    from prodml.cli.output import emit_json, info, stdout_console
    from prodml.project import Project
    from prodml.train.collector import fewer_collections

    # a one-shot process (unlike the server's dashboard, which monitors in a request thread):
    # the scan's freed numpy buffers are reused, and the collector rarely walks the heap
    keep_freed_memory()
    proj = Project(project)
    with fewer_collections():
        report = proj.monitor(
            window=window,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            model=model,
            domain=domain,
        )
    if html is not None:
        from prodml.monitor.dashboard import render_dashboard

        html.write_text(render_dashboard(report.to_dict()), encoding="utf-8")
        info(f"dashboard written to {html}")
    if json:
        emit_json(report.to_dict())
    else:
        _print(stdout_console(), report.to_dict())
    for failure in report.sink_failures:
        info(f"warning: alert not delivered: {failure}")
    if check and report.firing:
        raise typer.Exit(1)


def _moment(text: str | None, option: str) -> datetime | date | None:
    if text is None:
        return None
    from prodml.errors import UserError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError(
            f"{text!r} is not a date or time",
            where=option,
            fix="use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00",
        ) from exc
    if len(text.strip()) == 10:
        return moment.date()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print(console: Any, report: dict[str, Any]) -> None:
    from rich.table import Table

    unit = report["unit"]
    table = Table(
        title=f"{report['project']} v{report['version']}: windows of {report['window']} (UTC)"
    )
    for column in (
        "window",
        "rows",
        "labelled",
        f"value/decision ({unit})",
        f"estimated ({unit})",
        "drift share",
        "drifted columns",
        "rejected",
        "p99 ms",
    ):
        table.add_column(column)
    for w in report["windows"]:
        m = w["metrics"]
        perf = w["performance"] or {}
        ci = perf.get("value_ci") or [None, None]
        realised = _num(m.get("value_per_decision"))
        if m.get("value_per_decision") is not None and ci[0] is not None:
            realised += f" [{_num(ci[0])}, {_num(ci[1])}]"
        drift = w["drift"] or {}
        table.add_row(
            w["start"][:16].replace("T", " "),
            f"{w['rows']:,}",
            _pct(m.get("labelled_share")),
            realised,
            _num(m.get("estimated_value_per_decision")),
            _pct(m.get("drift_share")),
            ", ".join(drift.get("drifted_columns", [])) or "-",
            _pct(m.get("rejected_share")),
            _num(m.get("latency_p99_ms")),
        )
    console.print(table)
    if not report["windows"]:
        console.print("no predictions logged for this version in the period", markup=False)
    held = report["reference"]["held_out"]
    console.print(
        f"reference: held-out value per decision {_num(held.get('value_per_decision'))} {unit}; "
        f"dataset drift weighted by {report['weights_source']}",
        markup=False,
    )
    domain = report.get("domain") or {}
    if domain.get("roc_auc") is not None:
        verdict = "different population" if domain.get("drifted") else "no multivariate drift"
        console.print(
            f"domain classifier (latest window): ROC AUC {domain['roc_auc']:.3f} ({verdict})",
            markup=False,
        )
    for check in report.get("checks", []):
        if check["holds"]:
            console.print(
                f"ALERT [{check['severity']}] {check['rule']}: {check['message']}", markup=False
            )


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"
