"""Entry point: the typer app, and the one place where errors become exit codes.

Exit codes: 0 success; 1 internal error or a refused (tampered) artifact; 2 bad input the user can
fix (project file, data, arguments, unreachable store); 3 training finished but the model did not
meet the project's success criterion, so no version was registered; 4 ``prodml validate`` rejected
more rows than ``data.validation.max_rejected_share`` allows.

Only typer is imported here; each command imports what it needs when it runs, so that
``prodml --help`` starts fast.
"""

from __future__ import annotations

import gc
import sys

import typer

from prodml.cli import alerts as alerts_command
from prodml.cli import data as data_command
from prodml.cli import demo as demo_command
from prodml.cli import evaluate as evaluate_command
from prodml.cli import explain as explain_command
from prodml.cli import export as export_command
from prodml.cli import feedback as feedback_command
from prodml.cli import init as init_command
from prodml.cli import lineage as lineage_command
from prodml.cli import listing, registry, train
from prodml.cli import maintain as maintain_command
from prodml.cli import monitor as monitor_command
from prodml.cli import report as report_command
from prodml.cli import score as score_command
from prodml.cli import serve as serve_command
from prodml.cli import validate as validate_command

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
app.command("serve")(serve_command.serve)
app.command("score")(score_command.score)
app.command("export")(export_command.export)
app.command("promote")(registry.promote)
app.command("rollback")(registry.rollback)
app.command("evaluate")(evaluate_command.evaluate)
app.command("explain")(explain_command.explain)
app.command("report")(report_command.report)
app.command("card")(report_command.card)
app.command("validate")(validate_command.validate)
app.add_typer(data_command.app, name="data")
app.command("lineage")(lineage_command.lineage)
app.command("feedback")(feedback_command.feedback)
app.command("monitor")(monitor_command.monitor)
app.command("alerts")(alerts_command.alerts)
app.command("maintain")(maintain_command.maintain)
app.command("ab")(maintain_command.ab)
app.command("history")(maintain_command.history)
app.command("demo")(demo_command.demo)


def run() -> None:
    """Console-script entry: user errors print one clear message and no traceback."""
    from prodml.errors import ProdmlError

    try:
        app()
    except ProdmlError as exc:
        from prodml.cli.output import error

        error(exc.render())
        sys.exit(exc.exit_code)
    finally:
        # the process ends here; its last full collection would walk every object (modules,
        # results) once more to free nothing the exit does not free anyway: 0.1-0.2 s
        gc.freeze()


if __name__ == "__main__":
    run()
