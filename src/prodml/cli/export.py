"""``prodml export``: an offline/edge bundle (ONNX + standalone scorer) of a registered version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def export(
    model: Annotated[
        str, typer.Argument(help="Version number or alias to export.", metavar="MODEL")
    ] = "champion",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (created).")] = Path(
        "edge"
    ),
    format: Annotated[str, typer.Option("--format", help="Export format: onnx.")] = "onnx",
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            help="Largest accepted score difference from prodml on float32-rounded inputs "
            "(default 1e-4).",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the folder.")] = False,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Convert preprocessing, model, calibration and threshold to ONNX, check parity on the
    held-out rows, and write a folder that scores with only numpy and onnxruntime.

    Examples:

        prodml export 3 --format onnx --out credit-edge/

        PYTHONPATH=credit-edge python -m prodml_edge credit-edge/ < records.jsonl
    """
    from prodml.cli.output import emit_json, info
    from prodml.project import Project

    proj = Project(project)
    reference: str | int = int(model) if model.isdigit() else model
    report = proj.export(
        out, model=reference, format=format, tolerance=tolerance, overwrite=overwrite
    )
    if json:
        emit_json(report.to_dict())
        return
    parity = report.parity
    info(
        f"exported model version {report.model_version} to {report.directory} "
        f"({len(report.files)} files)"
    )
    info(
        f"  parity on the {parity['rows']}: max |difference| "
        f"{parity.get('max_abs_diff', 0.0):.3g} on inputs as given, "
        f"{parity['max_abs_diff_float32_inputs']:.3g} on float32-rounded inputs "
        f"(tolerance {parity['tolerance']:g}); "
        f"{parity.get('rows_over_tolerance', 0)} rows over it from float32 split flips, "
        f"{parity.get('decision_disagreements', 0)} decisions differ"
    )
    info(f"  try it: PYTHONPATH={report.directory} python -m prodml_edge {report.directory} "
         f"< {report.directory}/sample.jsonl")  # fmt: skip
