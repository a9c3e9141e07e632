"""``prodml maintain``, ``prodml ab``, ``prodml history``: the maintenance loop and its record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def maintain(
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """One idempotent maintenance step: guard a new champion, judge the running A/B test, or
    check the retraining policies (retrain, gate, start an A/B test). Run it from cron.

    Examples:

        prodml maintain

        prodml maintain --json    # for an orchestrator: every check and action
    """
    from prodml.cli.output import emit_json, progress, stdout_console
    from prodml.project import Project

    if json:
        emit_json(Project(project).maintain().to_dict())
        return
    with progress() as say:
        report = Project(project).maintain(progress=say)
    console = stdout_console()
    for line in report.lines():
        console.print(line, markup=False, highlight=False)


def ab(
    project: ProjectOption = Path("."),
    all_tests: Annotated[
        bool, typer.Option("--all", help="Every test, ended ones too, with its last result.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """The running A/B test: value per decision per variant, the uplift with its always-valid
    interval, the samples still needed, and the decision (promote, keep running, stop for harm).

    Examples:

        prodml ab

        prodml ab --all --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    chosen = Project(project)
    console = stdout_console()
    if all_tests:
        tests = chosen.ab_tests()
        if json:
            emit_json([t.to_dict() for t in tests])
            return
        if not tests:
            console.print("no A/B test yet: prodml maintain starts one when a challenger passes")
        for t in tests:
            ended = f" to {t.ended_at:%Y-%m-%d %H:%M}" if t.ended_at else ""
            uplift = t.result.get("uplift")
            text = f", uplift {uplift:+.2f}" if isinstance(uplift, int | float) else ""
            console.print(
                f"test {t.id}: v{t.challenger} vs v{t.champion} ({t.share:.0%}) "
                f"{t.status}, {t.started_at:%Y-%m-%d %H:%M}{ended}{text}",
                markup=False,
                highlight=False,
            )
        return
    status = chosen.ab()
    if json:
        emit_json(status.to_dict() if status else None)
        return
    if status is None:
        console.print("no A/B test running (prodml ab --all lists past ones)")
        return
    for line in status.lines():
        console.print(line, markup=False, highlight=False)


def history(
    project: ProjectOption = Path("."),
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Newest N entries.")] = None,
    json: JsonOption = False,
) -> None:
    """Every alias move, policy firing, retraining, gate decision, A/B decision and rollback,
    with time, actor, reason and versions, oldest first. Nothing is ever deleted from it.

    Examples:

        prodml history

        prodml history -n 20 --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    entries = Project(project).history(limit=limit)
    if json:
        emit_json([e.to_dict() for e in entries])
        return
    from rich.table import Table

    table = Table(title="History")
    for column in ("when (UTC)", "what", "decision", "versions", "actor", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        if e.kind == "move":
            versions = f"{_v(e.from_version)} -> {_v(e.to_version)}"
            what, decision = f"{e.alias} moved", ""
        else:
            versions = ", ".join(
                f"{k} {_v(v)}" for k, v in (("champion", e.champion), ("challenger", e.challenger))
                if v is not None
            )  # fmt: skip
            what, decision = e.kind, e.decision
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"), what, decision, versions, e.actor, e.reason
        )
    stdout_console().print(table)


def _v(version: int | None) -> str:
    return "-" if version is None else f"v{version}"
