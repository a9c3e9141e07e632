"""``prodml lineage``: the data, spec, code and environment behind a model version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def lineage(
    ref: Annotated[
        str, typer.Argument(help="Version number (3 or v3) or alias (champion).")
    ] = "champion",
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Show what a model version was made from: data snapshot, spec, code, packages, seeds.

    Examples:

        prodml lineage 3

        prodml lineage champion --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    found = Project(project).lineage(ref)
    payload = found.to_dict()
    if json:
        emit_json(payload)
        return
    console = stdout_console()
    version = found.version
    aliases = f" ({', '.join(found.aliases)})" if found.aliases else ""
    lines = [
        f"model version {version.version}{aliases}: {version.model_kind}, created "
        f"{version.created_at:%Y-%m-%d %H:%M:%S} UTC, bundle {version.bundle_sha[:12]}",
        f"  parent version: {version.parent_version if version.parent_version else '-'}",
    ]
    data = found.dataset
    if data is not None:
        lines.append(
            f"  data: snapshot {data.hash} ({data.rows:,} rows, {data.n_columns} columns) "
            f"from {data.source}"
        )
    else:
        lines.append(f"  data: snapshot {version.data_hash} (record not in the store)")
    run = found.run
    dirty = {True: " (uncommitted changes)", False: " (clean)", None: ""}[run.git_dirty]
    lines += [
        f"  spec: {version.spec_hash}",
        f"  run: {run.id}, {run.status}, {run.duration_s:.1f} s, chose {run.params.get('chosen')}",
        f"  code: git {run.git_commit or 'none (not a git repository)'}{dirty}",
        "  seeds: " + ", ".join(f"{k}={v}" for k, v in run.seeds.items()),
        "  packages: " + ", ".join(f"{k} {v}" for k, v in sorted(run.packages.items())),
        "  platform: " + ", ".join(f"{k} {v}" for k, v in run.platform.items()),
    ]
    for move in found.moves:
        lines.append(
            f"  alias {move.alias}: {move.from_version or '-'} -> {move.to_version or '-'} "
            f"at {move.at:%Y-%m-%d %H:%M:%S} by {move.actor}: {move.reason}"
        )
    for line in lines:
        console.print(line, markup=False)
