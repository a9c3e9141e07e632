"""``prodml report`` and ``prodml card``: the documents stored with a model version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.explain import RefArgument
from prodml.cli.options import ProjectOption

OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to this file; '-' writes to stdout.", dir_okay=False),
]


def report(
    ref: RefArgument = "champion",
    out: OutOption = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the report in the default web browser.")
    ] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Write the HTML report of a model version: one self-contained page, works offline.

    The top is for decision makers (value per decision against the simple policies, the
    decision rule, a recommendation); below, for engineers: curves, confusion matrix,
    calibration, candidates, importance, segments, limitations and lineage. It is drawn when
    the version is registered and stored with it. Without --out it is written to
    PROJECT-vN-report.html in the current directory; the path is printed.

    Examples:

        prodml report                      # the champion's report

        prodml report 3 --open

        prodml report champion --out report.html
    """
    from prodml.project import Project

    proj = Project(project)
    record = proj.store.metadata.resolve(ref)
    html = proj.report(record.version)
    target = out or Path(f"{proj.name}-v{record.version}-report.html")
    written = _write(html, target)
    if open_ and written is not None:
        import webbrowser

        webbrowser.open(written.resolve().as_uri())


def card(
    ref: RefArgument = "champion",
    format: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or html.")] = "md",
    out: OutOption = None,
    project: ProjectOption = Path("."),
) -> None:
    """Print the model card of a version: intended use, value of outcomes, data, performance,
    limitations (including uses to avoid) and lineage.

    Examples:

        prodml card                         # Markdown, to stdout

        prodml card 3 --format html --out card.html
    """
    from prodml.project import Project

    text = Project(project).card(ref, format=format)
    if out is None:
        print(text, end="")
        return
    _write(text, out)


def _write(text: str, target: Path) -> Path | None:
    """Write ``text`` to ``target`` (``-``: stdout); print the path written, for scripts."""
    import sys

    from prodml.errors import UserError

    if str(target) == "-":
        sys.stdout.write(text)
        return None
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write {target}: {exc.strerror or exc}",
            where="--out",
            fix="choose a file in a folder that exists and that you may write to",
        ) from exc
    print(target)
    return target
