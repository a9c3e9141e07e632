"""``prodml alerts``: incidents opened by monitoring, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def alerts(
    project: ProjectOption = Path("."),
    firing: Annotated[bool, typer.Option("--firing", help="Only incidents still open.")] = False,
    json: JsonOption = False,
) -> None:
    """List monitoring alerts: rule, severity, status, value, when it fired and resolved.

    Examples:

        prodml alerts

        prodml alerts --firing --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    found = Project(project).alerts(firing_only=firing)
    if json:
        emit_json([a.to_dict() for a in found])
        return
    from rich.table import Table

    table = Table(title="Alerts")
    for column in ("id", "status", "severity", "rule", "value", "version", "fired", "resolved"):
        table.add_column(column)
    for a in found:
        table.add_row(
            str(a.id),
            a.status,
            a.severity,
            a.rule,
            "-" if a.value is None else f"{a.value:,.4g}",
            "-" if a.model_version is None else str(a.model_version),
            a.fired_at.strftime("%Y-%m-%d %H:%M"),
            a.resolved_at.strftime("%Y-%m-%d %H:%M") if a.resolved_at else "-",
        )
    stdout_console().print(table)
