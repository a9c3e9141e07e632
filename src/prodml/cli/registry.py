"""``prodml promote`` and ``prodml rollback``: audited alias moves, live in running servers."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption

RoleOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="champion (answers), challenger (answers a share of entities) or shadow (scores "
        "every request, never answers).",
    ),
]
ShareOption = Annotated[
    float | None,
    typer.Option(
        help="Challenger only: share of entities it answers, e.g. 0.1 (default: "
        "serving.challenger_share in prodml.yaml).",
    ),
]
ReasonOption = Annotated[
    str | None, typer.Option(help="Why, for the audit trail (who and when are recorded).")
]


def promote(
    version: Annotated[int, typer.Argument(help="Model version number (see prodml models).")],
    role: RoleOption = "champion",
    share: ShareOption = None,
    reason: ReasonOption = None,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Point a serving role at a model version; running servers switch within a second.

    Examples:

        prodml promote 4 --as challenger --share 0.1    # 10% of entities, sticky per entity

        prodml promote 4 --as shadow                    # scores every request, never answers

        prodml promote 4                                # champion
    """
    from prodml.cli.output import emit_json, info
    from prodml.project import Project

    moves = Project(project).promote(version, role=role, share=share, reason=reason)
    if json:
        emit_json([asdict(m) for m in moves])
        return
    for move in moves:
        info(_describe(move))


def rollback(
    reason: ReasonOption = None,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Point the champion back at the previous champion (from the audited alias moves).

    Examples:

        prodml rollback --reason "value per decision dropped after the last promotion"
    """
    from prodml.cli.output import emit_json, info
    from prodml.project import Project

    move = Project(project).rollback(reason=reason)
    if json:
        emit_json(asdict(move))
        return
    info(_describe(move))


def _describe(move: object) -> str:
    from prodml.store import AliasMove

    assert isinstance(move, AliasMove)
    before = "unset" if move.from_version is None else f"version {move.from_version}"
    after = "removed" if move.to_version is None else f"version {move.to_version}"
    share = f" ({move.share:.0%} of entities)" if move.share is not None else ""
    return f"{move.alias}: {before} -> {after}{share}  [{move.actor}: {move.reason}]"
