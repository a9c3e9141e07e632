"""``prodml evaluate``: a registered version on new labelled data; and the evaluation summary
that ``prodml train`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prodml.cli.options import JsonOption, ProjectOption

if TYPE_CHECKING:
    from prodml.evaluate.report import EvaluationReport
    from prodml.evaluate.slices import SliceResult


def evaluate(
    ref: Annotated[str, typer.Argument(help="Version number or alias (champion, ...).")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", "-d", help="CSV or Parquet with features and the true outcome.", dir_okay=True
        ),
    ] = None,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Evaluate a registered version on labelled data, as training evaluated it.

    Value per decision with its interval, against acting on everyone / no one and the baseline;
    metrics, calibration, segments, edge cases, weak slices and behavioural tests. Values of
    outcomes and segments come from prodml.yaml as it is now.

    Examples:

        prodml evaluate champion --data q3.csv

        prodml evaluate 3 --data q3.parquet --json
    """
    from prodml.cli.output import emit_json, progress
    from prodml.project import Project

    proj = Project(project)
    with progress() as say:
        say(f"evaluating {ref} on {data or 'the project data'}")
        report = proj.evaluate(ref, data)
    if json:
        emit_json(report.to_dict())
        return
    print_evaluation(report)


# -- printing ------------------------------------------------------------------------------------


def _n(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def _ci(ci: list[float] | None, digits: int = 2) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "-"
    return f"{_n(ci[0], digits)} to {_n(ci[1], digits)}"


def summary_lines(report: EvaluationReport) -> list[str]:
    """The important findings, one line each: value, policies, calibration, flags, behaviour."""
    unit = report.unit
    value = report.value
    pct = f"{report.confidence:.0%}"
    lines = [
        f"value per decision {_n(value.value_per_decision)} {unit} ({pct} interval "
        f"{_ci(value.ci)}), total {_n(value.total_value, 0)} {unit} ({_ci(value.total_ci, 0)})"
    ]
    parts = []
    for p in report.policies:
        if p.difference_ci is None:
            parts.append(f"perfect foresight {_n(p.value_per_decision)}")
            continue
        sign = "+" if p.difference >= 0 else ""
        mark = "" if p.significant else " (not significant)"
        parts.append(
            f"vs {p.name.replace('_', ' ')}: {sign}{_n(p.difference)} ({_ci(p.difference_ci)})"
            f"{mark}"
        )
    lines.append("; ".join(parts))
    if report.calibration is not None:
        c = report.calibration
        lines.append(
            f"calibration: {c.reason}; on these rows Brier {c.brier:.4f}, "
            f"expected calibration error {c.ece:.4f}"
        )
    for label, family in (("segments", report.segments), ("edge cases", report.edge_cases)):
        flagged = family.flagged
        if family.results:
            if flagged:
                lines.append(
                    f"{label}: {len(flagged)} of {family.tested} tested significantly worse than "
                    "the rest (Welch, Holm): " + "; ".join(_worse(r, unit) for r in flagged[:3])
                )
            else:
                lines.append(f"{label}: none of {family.tested} tested is significantly worse")
    slices = report.weak_slices
    if slices.tested and not slices.results:
        lines.append(
            f"weak slices: none significantly worse among {slices.tested} searched (BH false "
            "discovery rate)"
        )
    if slices.results:
        top = slices.results[0]
        lines.append(
            f"weak slices: {len(slices.results)} listed of {slices.tested} searched (BH false "
            f"discovery rate); largest: {top.name} ({top.rows} rows) loses "
            f"{_n(top.regret_per_decision)} {unit} per decision against perfect foresight vs "
            f"{_n(top.rest_regret_per_decision)} for the rest (q {top.p_adjusted:.2g})"
        )
    if report.overfitting is not None:
        gaps = report.overfitting
        stages = (("train", gaps.train), ("cross-validation", gaps.cv), ("held-out", gaps.holdout))
        values = ", ".join(f"{name} {_n(d.get('value_per_decision'))}" for name, d in stages)
        metric = " / ".join(_n(d.get("metric"), 3) for _, d in stages)
        verdict = f"{len(gaps.flags)} flagged" if gaps.flags else "no gap above tolerance"
        lines.append(f"gaps: value per decision {values} {unit}; {gaps.metric} {metric}: {verdict}")
        for flag in gaps.flags:
            lines.append(f"  overfitting: {flag}")
    if report.hygiene is not None:
        for warning in report.hygiene.warnings:
            lines.append(f"hygiene: {warning}")
    if report.behaviour:
        passed = sum(b.status == "passed" for b in report.behaviour)
        lines.append(f"behaviour: {passed} of {len(report.behaviour)} passed")
        for b in report.behaviour:
            if b.status != "passed":
                blocking = " (blocking)" if b.blocking and b.status == "failed" else ""
                lines.append(f"  {b.status.upper()}{blocking} {b.name}: {b.message}")
    lines.extend(f"warning: {w}" for w in report.warnings)
    return lines


def _worse(result: SliceResult, unit: str) -> str:
    return (
        f"{result.name} ({result.rows} rows) {_n(result.value_per_decision)} vs "
        f"{_n(result.rest_value_per_decision)} {unit} per decision (p {result.p_adjusted:.2g})"
    )


def print_summary(report: EvaluationReport, console: Any) -> None:
    """The concise block ``prodml train`` prints after the held-out numbers."""
    console.print(f"\nEvaluation ({report.ci_method}):", markup=False)
    for line in summary_lines(report):
        console.print(f"  {line}", markup=False)


def print_evaluation(report: EvaluationReport) -> None:
    from rich.table import Table

    from prodml.cli.output import stdout_console

    console = stdout_console()
    unit = report.unit
    console.print(
        f"Evaluation of {report.data}: {report.rows} rows, decision rule "
        f"{report.decision_rule:.4g}; {report.confidence:.0%} intervals by {report.ci_method}",
        markup=False,
    )
    for line in summary_lines(report):
        console.print(f"  {line}", markup=False)
    metrics = Table(title="Metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_column("interval", justify="right")
    for name, value in report.metrics.items():
        metrics.add_row(name, f"{value:.4g}", _ci(report.metric_ci.get(name), 4))
    console.print(metrics)
    for title, family in (("Segments", report.segments), ("Edge cases", report.edge_cases)):
        if not family.results:
            continue
        table = Table(title=f"{title} (value per decision, {unit})")
        for column in ("group", "rows", "value", "interval", "rest", "p (adj.)", ""):
            table.add_column(column, justify="left" if column == "group" else "right")
        for r in family.results:
            table.add_row(
                r.name,
                str(r.rows),
                _n(r.value_per_decision),
                _ci(r.ci),
                _n(r.rest_value_per_decision),
                "-" if r.p_adjusted is None else f"{r.p_adjusted:.2g}",
                "worse" if r.flagged else ("too few rows" if not r.tested else ""),
            )
        console.print(table)
        console.print(f"  {family.test}", markup=False)
    slices = report.weak_slices
    if slices.results:
        table = Table(title=f"Weak slices ({unit} per decision)")
        for column in ("slice", "rows", "lost vs perfect", "rest", "value", "interval", "q"):
            table.add_column(column, justify="left" if column == "slice" else "right")
        for r in slices.results:
            table.add_row(
                r.name,
                str(r.rows),
                _n(r.regret_per_decision),
                _n(r.rest_regret_per_decision),
                _n(r.value_per_decision),
                _ci(r.ci),
                "-" if r.p_adjusted is None else f"{r.p_adjusted:.2g}",
            )
        console.print(table)
        console.print(f"  {slices.test}", markup=False)
