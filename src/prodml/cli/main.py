"""Entry point: the typer app, and the one place where errors become exit codes.

Exit codes: 0 success; 1 internal error or a refused (tampered) artifact; 2 bad input the user can
fix (project file, data, arguments, unreachable store); 3 training finished but the model did not
meet the project's success criterion, so no version was registered.

Only typer is imported here; each command imports what it needs when it runs, so that
``prodml --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from prodml.cli import init as init_command
from prodml.cli import listing, train

app = typer.Typer(
    name="prodml",
    help="Take a tabular model from a data file to production, judged in money.\n\n"
    "Start with: prodml init DIR --data FILE --target COLUMN, then prodml train -p DIR.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("init")(init_command.init)
app.command("train")(train.train)
app.command("runs")(listing.runs)
app.command("models")(listing.models)


def run() -> None:
    """Console-script entry: user errors print one clear message and no traceback."""
    from prodml.errors import ProdmlError

    try:
        app()
    except ProdmlError as exc:
        from prodml.cli.output import error

        error(exc.render())
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    run()
