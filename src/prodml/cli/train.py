"""``prodml train``: snapshot, cross-validate, choose by value, evaluate once, register."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodml.cli.options import JsonOption, ProjectOption

if TYPE_CHECKING:
    from prodml.project import TrainReport


def train(project: ProjectOption = Path("."), json: JsonOption = False) -> None:
    """Train candidates on the project's data and register the best one if it pays.

    Examples:

        prodml train                 # the project in the current directory

        prodml train -p my-project --json

    Exit code 3 means training worked but the model did not meet the success criterion in
    prodml.yaml: the run is kept with the reasons (see prodml runs), no version is registered.
    """
    from prodml.cli.output import emit_json, progress
    from prodml.errors import NotRegisteredError
    from prodml.project import Project

    proj = Project(project)
    with progress() as say:
        report = proj.train(progress=say)
    if json:
        emit_json(report_payload(report))
    else:
        print_report(report, unit=proj.spec.problem.unit)
    if not report.registered:
        raise NotRegisteredError(
            "the model did not meet the success criterion; run "
            f"{report.run_id} is kept with the reasons, no version was registered",
            where="success",
            fix="improve the data or features, or revisit the success section of prodml.yaml",
        )


def report_payload(report: TrainReport) -> dict[str, Any]:
    outcome = report.outcome
    return {
        "run_id": report.run_id,
        "version": report.version,
        "champion": report.champion,
        "registered": report.registered,
        "data_hash": report.data_hash,
        "spec_hash": report.spec_hash,
        "chosen": outcome.chosen.config.label,
        "decision_rule": outcome.decision_rule,
        "holdout": outcome.holdout,
        "calibration": outcome.calibrator.method,
        "evaluation": outcome.evaluation.to_dict() if outcome.evaluation else None,
        "candidates": [{**c.summary(), "seconds": round(c.seconds, 3)} for c in outcome.candidates],
        "selection_notes": outcome.selection_notes,
        "reasons": outcome.reasons,
        "notes": outcome.notes,
        "duration_s": round(report.duration_s, 3),
    }


def print_report(report: TrainReport, *, unit: str) -> None:
    from rich.table import Table

    from prodml.cli.output import stdout_console

    outcome = report.outcome
    console = stdout_console()
    binary = outcome.task == "binary"
    table = Table(title="Candidates (cross-validated, value at each one's best decision rule)")
    table.add_column("candidate")
    table.add_column(f"value/decision ({unit})", justify="right")
    table.add_column("± s.e.", justify="right")
    table.add_column("ROC AUC" if binary else "RMSE", justify="right")
    table.add_column("threshold" if binary else "offset", justify="right")
    table.add_column("")
    for c in outcome.candidates:
        metric = c.metrics.get("roc_auc" if binary else "rmse")
        table.add_row(
            c.config.label,
            _number(c.value_per_decision),
            _number(c.value_std_error),
            "-" if metric is None else f"{metric:,.3f}",
            f"{c.decision_rule:.4g}",
            "chosen" if c is outcome.chosen else "",
        )
    console.print(table)
    console.print(f"  chosen: {outcome.chosen.config.description}", markup=False)
    for note in [*outcome.notes, *outcome.selection_notes]:
        console.print(f"  {note}", markup=False)
    hold = outcome.holdout
    console.print(
        f"\nHeld-out ({hold['rows']} rows, used once): value per decision "
        f"{hold['value_per_decision']:,.3f} {unit}, total {hold['total_value']:,.0f} {unit}",
        markup=False,
    )
    for name, value in hold["trivial"].items():
        console.print(f"  {name.replace('_', ' ')}: {value:,.3f} {unit} per decision", markup=False)
    metrics = hold["metrics"]
    keys = (
        ("roc_auc", "pr_auc", "log_loss", "brier", "precision", "recall", "f1")
        if binary
        else ("mae", "rmse", "r2", "mape")
    )
    console.print(
        "  " + ", ".join(f"{k} {metrics[k]:.4g}" for k in keys if k in metrics), markup=False
    )
    if binary:
        console.print(
            f"  confusion at threshold {hold['threshold']:.4g}: TP {metrics['tp']}, "
            f"FP {metrics['fp']}, TN {metrics['tn']}, FN {metrics['fn']}",
            markup=False,
        )
    if outcome.evaluation is not None:
        from prodml.cli.evaluate import print_summary

        print_summary(outcome.evaluation, console)
    for reason in outcome.reasons:
        console.print(f"  success: {reason}", markup=False)
    if report.registered:
        alias = " and is the champion" if report.champion else ""
        console.print(f"\nRegistered version {report.version} (run {report.run_id}){alias}.")
    else:
        console.print(f"\nNot registered: run {report.run_id} records why.")


def _number(value: float) -> str:
    """Three decimals, and never a confusing -0.000."""
    text = f"{value:,.3f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text
