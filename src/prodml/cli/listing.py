"""``prodml runs`` and ``prodml models``: what the store holds, as tables or JSON."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption

LimitOption = Annotated[int, typer.Option("--limit", "-n", help="Show at most this many rows.")]


def runs(
    project: ProjectOption = Path("."), json: JsonOption = False, limit: LimitOption = 20
) -> None:
    """List training runs, newest first, with their value per decision and outcome.

    Examples:

        prodml runs

        prodml runs -p my-project --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    proj = Project(project)
    records = proj.runs(limit=limit)
    if json:
        emit_json([asdict(r) for r in records])
        return
    from rich.table import Table

    unit = proj.spec.problem.unit
    table = Table(title=f"Runs of {proj.name}")
    for column in (
        "run",
        "started",
        "status",
        "chosen",
        f"held-out value/decision ({unit})",
        "version",
        "data",
        "seconds",
    ):
        table.add_column(column)
    for r in records:
        holdout = r.metrics.get("holdout", {})
        vpd = holdout.get("value_per_decision")
        table.add_row(
            str(r.id),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.status,
            str(r.metrics.get("chosen", "")),
            "-" if vpd is None else f"{vpd:,.3f}",
            "-" if r.model_version is None else str(r.model_version),
            r.data_hash[:12],
            f"{r.duration_s:.1f}",
        )
    stdout_console().print(table)


def models(project: ProjectOption = Path("."), json: JsonOption = False) -> None:
    """List registered model versions with their aliases and held-out value per decision.

    Examples:

        prodml models

        prodml models -p my-project --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    proj = Project(project)
    records = proj.models()
    aliases = proj.aliases()
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    if json:
        emit_json(
            [{**asdict(r), "aliases": sorted(by_version.get(r.version, []))} for r in records]
        )
        return
    from rich.table import Table

    unit = proj.spec.problem.unit
    table = Table(title=f"Model versions of {proj.name}")
    for column in (
        "version",
        "aliases",
        "model",
        f"value/decision ({unit})",
        "threshold",
        "created",
        "run",
        "data",
    ):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r.version),
            ", ".join(sorted(by_version.get(r.version, []))) or "-",
            r.model_kind,
            f"{r.value_per_decision:,.3f}",
            "-" if r.threshold is None else f"{r.threshold:.4g}",
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(r.run_id),
            r.data_hash[:12],
        )
    stdout_console().print(table)
