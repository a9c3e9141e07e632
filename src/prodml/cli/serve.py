"""``prodml serve``: the real-time HTTP API of the project's champion (and challenger, shadow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import ProjectOption

HostOption = Annotated[
    str,
    typer.Option(help="Address to bind. 0.0.0.0 listens on every interface (e.g. in a container)."),
]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")]
WorkersOption = Annotated[
    int, typer.Option(min=1, max=64, help="Worker processes (each loads the models).")
]
PrecomputedOption = Annotated[
    Path | None,
    typer.Option(
        help="Hybrid serving: answer known entity ids from this prodml score output (Parquet) "
        "while it is younger than serving.precomputed_max_age and was scored by the champion; "
        "other records are scored live. Responses and the prediction log say which (source).",
    ),
]
AccessLogOption = Annotated[
    bool, typer.Option("--access-log/--no-access-log", help="JSON access log lines on stderr.")
]


def serve(
    project: ProjectOption = Path("."),
    host: HostOption = "127.0.0.1",
    port: PortOption = 8080,
    workers: WorkersOption = 1,
    access_log: AccessLogOption = True,
    precomputed: PrecomputedOption = None,
) -> None:
    """Serve the champion over HTTP; challenger and shadow too when the registry names them.

    Examples:

        prodml serve --port 8080

        curl -X POST localhost:8080/predict -H 'Content-Type: application/json' \\
            -d '{"records": [{"Age": 30, "Income": 120}]}'

        prodml promote 4 --as challenger --share 0.1     # live within a second, no restart

        prodml serve --precomputed scores.parquet        # batch scores by id, live fallback

    Endpoints: POST /predict, POST /feedback, GET /metrics, the KServe V2 API under /v2,
    MLflow-compatible POST /invocations, OpenAPI docs at /docs. Tokens come from the
    environment: PRODML_API_TOKEN protects predictions, PRODML_ADMIN_TOKEN enables /feedback
    and /admin. Predictions are logged to .prodml/predictions (PRODML_LOG_DIR overrides).
    SIGTERM or Ctrl-C drains requests in flight and flushes the log.
    """
    from prodml.cli.output import info
    from prodml.serve import check_project, run_server

    checked = check_project(project, precomputed=precomputed)
    served = ", ".join(f"{alias} {version}" for alias, version in checked["aliases"].items())
    info(
        f"serving {checked['project']} ({served}; fast path: {checked['fast_path']}) "
        f"on http://{host}:{port} with {workers} worker(s); docs at /docs"
    )
    batch = checked.get("precomputed")
    if batch is not None:
        info(
            f"precomputed: {batch['rows']:,} scores of version {batch['version']}, "
            f"{batch['age_s'] / 3600:.1f} h old; "
            + (
                "answering known ids from them"
                if batch["usable"]
                else "not used now (stale, or not the champion's): every record is scored live"
            )
        )
    run_server(
        project,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        precomputed=precomputed,
    )
