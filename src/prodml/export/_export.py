"""``export_model``: a registered version as an offline bundle for a device team.

The bundle folder holds ``model.onnx`` (see :mod:`prodml.export._onnx`), ``contract.json``,
``edge.json`` (features, labels, decision rule and the repair rules resolved from the project
file), the standalone scorer package ``prodml_edge`` (numpy + onnxruntime only; installable
with the bundle's ``pyproject.toml``), ``sample.jsonl`` (example input), ``parity.json`` and a
``README.md``.

Parity is checked before anything is written, on the held-out rows of the version's training
run (rebuilt from its data snapshot), plus synthetic edge cases (missing values, unseen
categories, out-of-range numbers), validated and repaired as ``prodml score`` would. ONNX tree
ensembles compare float32 values: a number that lies between a split threshold and its float32
rounding takes the other branch, so a few rows can differ by a whole tree's contribution. Two
figures are therefore reported: the difference on the inputs as given, and on inputs rounded to
float32 (the difference of the conversion itself). The export is refused when the latter exceeds
the tolerance; rows over it on the exact inputs are counted as float32 split flips.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.project import Project
    from prodml.registry.bundle import ModelBundle

__all__ = ["DEFAULT_TOLERANCE", "FORMATS", "ExportReport", "export_model"]

DEFAULT_TOLERANCE = 1e-4
FORMATS = ("onnx",)
_PARITY_ROWS = 100_000
_TEMPLATE = Path(__file__).resolve().parent / "edge_template"


@dataclass(frozen=True)
class ExportReport:
    directory: Path
    model_version: int
    format: str
    parity: dict[str, Any]
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "model_version": self.model_version,
            "format": self.format,
            "parity": self.parity,
            "files": self.files,
        }


def export_model(
    project: Project,
    out: Path,
    *,
    model: str | int = "champion",
    format: str = "onnx",
    tolerance: float | None = None,
    overwrite: bool = False,
) -> ExportReport:
    if format not in FORMATS:
        raise UserError(
            f"unknown export format {format!r}", where="--format", fix="use --format onnx"
        )
    tolerance = DEFAULT_TOLERANCE if tolerance is None else float(tolerance)
    if not tolerance >= 0:
        raise UserError(
            f"tolerance {tolerance} is negative", where="--tolerance", fix="use e.g. 1e-4"
        )
    _require_export_packages()
    out = Path(out)
    if out.exists() and not (overwrite or (out.is_dir() and not any(out.iterdir()))):
        raise UserError(
            "the export folder already exists",
            where=str(out),
            fix="choose another --out folder, or pass --overwrite to replace it",
        )
    from prodml.export._onnx import convert

    record = project.store.metadata.resolve(model)
    bundle = project.load_model(record.version)
    onx = convert(bundle)
    payload = onx.SerializeToString()
    rows, label = _parity_rows(project, bundle)
    parity = check_parity(payload, bundle, project, rows, tolerance=tolerance, label=label)
    if not parity["passed"]:
        raise UserError(
            f"ONNX scores differ from prodml's by {parity['max_abs_diff_float32_inputs']:.3g} on "
            f"float32-rounded inputs (tolerance {tolerance:g}); nothing was written",
            where=f"model version {record.version}",
            fix="report it with the model version; or accept it with a larger --tolerance",
        )
    files = _write(out, project, bundle, record.version, payload, parity, rows, overwrite)
    return ExportReport(
        directory=out, model_version=record.version, format=format, parity=parity, files=files
    )


def _require_export_packages() -> None:
    missing = []
    for name in ("onnx", "onnxruntime", "skl2onnx", "onnxmltools"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise UserError(
            f"ONNX export needs {', '.join(missing)}",
            where="--format onnx",
            fix="pip install 'prodml[export]'",
        )


# -- parity -----------------------------------------------------------------------------------


def _parity_rows(project: Project, bundle: ModelBundle) -> tuple[pd.DataFrame, str]:
    """The held-out rows of the version's training run, or the whole snapshot if unrebuildable."""
    from prodml.data import frame_from_snapshot, read_snapshot_parquet

    store = project.store
    dataset = store.metadata.get_dataset(bundle.data_hash)
    snapshot = read_snapshot_parquet(
        store.artifacts.get_bytes(dataset.artifact_sha), expected_hash=bundle.data_hash
    )
    frame = frame_from_snapshot(snapshot)
    spec = project.spec
    if spec.content_hash() == bundle.spec_hash:
        held = _held_out(spec, frame)
        if held is not None:
            return held.head(_PARITY_ROWS), f"held-out set ({min(len(held), _PARITY_ROWS)} rows)"
    label = "training snapshot (the project file changed since training: held-out split unknown)"
    return frame.head(_PARITY_ROWS), label


def _held_out(spec: Any, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The rows ``train_model`` held out (same target preparation, split and seed)."""
    import pandas as pd

    from prodml.train.splits import make_splits
    from prodml.train.target import prepare_target

    target = prepare_target(frame, spec.problem)
    frame = frame.iloc[target.rows].reset_index(drop=True)
    time_order = None
    if spec.data.time_column:
        times = pd.to_datetime(frame[spec.data.time_column], utc=True).to_numpy()
        time_order = np.argsort(times, kind="stable")
    evaluation = spec.evaluation
    splits = make_splits(
        len(frame),
        y=np.asarray(target.y),
        stratify=spec.problem.task == "binary",
        holdout_share=evaluation.holdout,
        folds=evaluation.folds,
        seed=evaluation.seed,
        time_order=time_order,
    )
    return frame.iloc[splits.holdout].reset_index(drop=True)


def check_parity(
    payload: bytes,
    bundle: ModelBundle,
    project: Project,
    rows: pd.DataFrame,
    *,
    tolerance: float,
    label: str,
) -> dict[str, Any]:
    """Compare the ONNX graph with ``bundle.predict`` on ``rows`` and synthetic edge cases."""
    import onnxruntime
    import pandas as pd

    from prodml.data.repair import Policies
    from prodml.data.validation import Validator
    from prodml.export._onnx import feature_columns
    from prodml.registry.fastpath import synthetic_records

    numeric, categorical = feature_columns(bundle)
    validator = Validator(
        bundle.contract, Policies.from_spec(project.spec.data), features=bundle.features
    )
    synthetic = pd.DataFrame(synthetic_records(bundle, rows=64))
    session = onnxruntime.InferenceSession(payload, providers=["CPUExecutionProvider"])
    figures: dict[str, Any] = {"rows": label, "tolerance": tolerance}
    for name, frame in (("", rows), ("synthetic_", synthetic)):
        repaired = validator(frame).frame
        if len(repaired) == 0:
            continue
        coerced = bundle.pipeline.named_steps["coerce"].transform(repaired)
        onnx_scores, onnx_decisions = _run(session, coerced, numeric, categorical, bundle.task)
        exact = np.asarray(bundle.predict(repaired), dtype=np.float64)
        rounded = repaired.copy()
        for column in numeric:
            rounded[column] = coerced[column].to_numpy(np.float32).astype(np.float64)
        as_float32 = np.asarray(bundle.predict(rounded), dtype=np.float64)
        gap = np.abs(onnx_scores - exact)
        gap32 = np.abs(onnx_scores - as_float32)
        decisions = np.asarray(bundle.decide(exact))
        figures[f"{name}rows_checked"] = len(repaired)
        figures[f"{name}max_abs_diff"] = float(np.max(gap, initial=0.0))
        figures[f"{name}max_abs_diff_float32_inputs"] = float(np.max(gap32, initial=0.0))
        figures[f"{name}rows_over_tolerance"] = int(np.count_nonzero(gap > tolerance))
        figures[f"{name}decision_disagreements"] = int(
            np.count_nonzero(onnx_decisions != decisions)
        )
    worst = max(
        figures.get("max_abs_diff_float32_inputs", 0.0),
        figures.get("synthetic_max_abs_diff_float32_inputs", 0.0),
    )
    figures["max_abs_diff_float32_inputs"] = figures.get("max_abs_diff_float32_inputs", 0.0)
    figures["passed"] = bool(worst <= tolerance)
    return figures


def onnx_feeds(
    coerced: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> dict[str, np.ndarray]:
    """The graph's inputs from a coerced frame (numbers float32, categories text)."""
    from prodml.export._onnx import MISSING_LEVEL

    feeds = {n: coerced[n].to_numpy(np.float32).reshape(-1, 1) for n in numeric}
    for n in categorical:
        text = coerced[n].astype(object).where(coerced[n].notna(), MISSING_LEVEL)
        feeds[n] = text.to_numpy(dtype=object).reshape(-1, 1)
    return feeds


def _run(
    session: Any, coerced: pd.DataFrame, numeric: list[str], categorical: list[str], task: str
) -> tuple[np.ndarray, np.ndarray]:
    outputs = session.run(None, onnx_feeds(coerced, numeric, categorical))
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, outputs, strict=True))
    key = "probability" if task == "binary" else "prediction"
    return np.asarray(got[key], dtype=np.float64).reshape(-1), np.asarray(got["decision"])


# -- the bundle folder ------------------------------------------------------------------------


def _write(
    out: Path,
    project: Project,
    bundle: ModelBundle,
    version: int,
    payload: bytes,
    parity: dict[str, Any],
    rows: pd.DataFrame,
    overwrite: bool,
) -> list[str]:
    """Write everything to ``OUT.tmp`` and rename it to ``OUT`` (never a half-written export)."""
    temporary = out.with_name(out.name + ".tmp")
    try:
        if temporary.exists():
            shutil.rmtree(temporary)
        temporary.mkdir(parents=True)
        (temporary / "model.onnx").write_bytes(payload)
        (temporary / "contract.json").write_text(json.dumps(bundle.contract, indent=1))
        edge = _edge_meta(project, bundle, version, parity)
        (temporary / "edge.json").write_text(json.dumps(edge, indent=1, default=_plain))
        (temporary / "parity.json").write_text(json.dumps(parity, indent=1))
        shutil.copytree(
            _TEMPLATE / "prodml_edge",
            temporary / "prodml_edge",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        (temporary / "pyproject.toml").write_text(_PYPROJECT.format(version=version))
        (temporary / "sample.jsonl").write_text(_sample(rows, bundle, edge.get("id_column")))
        (temporary / "README.md").write_text(_readme(project, bundle, version, parity, edge))
        if out.exists():
            if not overwrite and any(out.iterdir()):
                raise UserError("the export folder already exists", where=str(out))
            shutil.rmtree(out)
        temporary.rename(out)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise UserError(
            f"cannot write the export ({exc})",
            where=str(out),
            fix="check free disk space and write permission for the folder",
        ) from exc
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def _edge_meta(
    project: Project, bundle: ModelBundle, version: int, parity: dict[str, Any]
) -> dict[str, Any]:
    from prodml.batch._scorer import _labels
    from prodml.data.contract import Contract
    from prodml.data.repair import Policies, plan_repairs
    from prodml.export._onnx import OPSET, feature_columns

    numeric, categorical = feature_columns(bundle)
    plan = plan_repairs(
        Contract.from_dict(bundle.contract), bundle.features, Policies.from_spec(project.spec.data)
    )
    rules: dict[str, dict[str, Any]] = {}
    for name, rule in plan.items():
        if rule.numeric:
            rules[name] = {
                "missing": rule.missing,
                "fill": rule.fill,
                "out_of_range": rule.out_of_range,
                "low": rule.low,
                "high": rule.high,
                "infinite": rule.infinite,
            }
        else:
            rules[name] = {
                "missing": rule.missing,
                "fill": rule.fill,
                "unseen": rule.unseen,
                "unseen_fill": rule.unseen_fill,
                "known": None if rule.known is None else sorted(rule.known),
            }
    id_column = project.spec.data.id_column
    return {
        "format": "prodml.edge",
        "version": 1,
        "onnx": "model.onnx",
        "opset": OPSET,
        "project": project.name,
        "model_version": version,
        "model_kind": bundle.model_kind,
        "task": bundle.task,
        "target": bundle.target,
        "labels": list(_labels(bundle)) if bundle.task == "binary" else None,
        "decision_rule": bundle.decision_rule,
        "calibration": (bundle.calibration or {}).get("method", "none"),
        "numeric": numeric,
        "categorical": categorical,
        "id_column": id_column,
        "rules": rules,
        "parity": parity,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _sample(rows: pd.DataFrame, bundle: ModelBundle, id_column: str | None) -> str:
    columns = [c for c in [id_column, *bundle.features] if c is not None and c in rows.columns]
    head = rows[columns].head(5)
    lines = [head.iloc[[i]].to_json(orient="records", lines=True).strip() for i in range(len(head))]
    return "\n".join(lines) + "\n"


_PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "prodml-edge-model"
version = "{version}"
description = "Standalone scorer for a prodml model exported to ONNX"
requires-python = ">=3.9"
dependencies = ["numpy>=1.21", "onnxruntime>=1.15"]

[tool.setuptools]
packages = ["prodml_edge"]
"""


def _readme(
    project: Project, bundle: ModelBundle, version: int, parity: dict[str, Any], edge: dict
) -> str:
    unit = project.spec.problem.unit
    decision = project.spec.problem.decision or "the decision"
    if bundle.task == "binary":
        rule = (
            f"`decision` is true (act: {decision}) when `probability` >= "
            f"{bundle.decision_rule:.6g}; `prediction` is then {edge['labels'][0]!r}, "
            f"otherwise {edge['labels'][1]!r}. The threshold maximises value in {unit}."
        )
    else:
        rule = (
            f"`decision` is `prediction` + {bundle.decision_rule:.6g}, the value-optimal "
            f"offset in {unit}."
        )
    features = ", ".join(f"`{n}` (number)" for n in edge["numeric"])
    features += (", " if features and edge["categorical"] else "") + ", ".join(
        f"`{n}` (category)" for n in edge["categorical"]
    )
    return f"""# {project.name}: model version {version}, exported for offline scoring

This folder scores records without prodml and without a server. It needs Python 3.9+, numpy and
onnxruntime, nothing else.

```
pip install numpy onnxruntime            # or: pip install ./THIS_FOLDER
PYTHONPATH=THIS_FOLDER python -m prodml_edge THIS_FOLDER < records.jsonl > scores.jsonl
PYTHONPATH=THIS_FOLDER python -m prodml_edge THIS_FOLDER < THIS_FOLDER/sample.jsonl
```

From Python: `import prodml_edge; model = prodml_edge.load("THIS_FOLDER");
model.score([record, ...])`.

## Input
One JSON object per line with the features: {features}. Other fields are ignored; absent or
null features are missing values. Numbers may be JSON numbers or numeric strings; categories are
compared as text (`1` and `1.0` are the same level, booleans are `true`/`false`).

## Output
One JSON object per input line, in order: `status` (`ok` or `rejected`), and for `ok`
records {
        "`probability`, `decision`, `prediction`"
        if bundle.task == "binary"
        else "`prediction`, `decision`"
    } and `model_version`; for `rejected` ones `errors`, a list of
`{{"field", "message"}}`. {rule}

## Validation
Before scoring, each record is checked and repaired with the rules prodml resolved from the
project file at export (`edge.json`, `rules`): missing values imputed or rejected, numbers
outside the training range clipped (or rejected), unseen categories mapped to an unknown level,
text in a numeric field or an infinite number rejected. A bad line never stops the run.

## Files
- `model.onnx`: preprocessing, model ({bundle.model_kind}), calibration
  ({edge["calibration"]}) and decision in one graph (opset {edge["opset"]}). Inputs: one
  `[N, 1]` tensor per feature, float32 numbers and string categories (`__missing__` for a
  missing category). Outputs: {
        "`probability` (float64), `decision` (bool)"
        if bundle.task == "binary"
        else "`prediction`, `decision` (float64)"
    }.
- `contract.json`: the training data, column by column (types, ranges, categories).
- `edge.json`: features, labels, decision rule, repair rules; `parity.json`: the check below.
- `prodml_edge/`: the scorer; `sample.jsonl`: example input.

## Parity with prodml
Checked on the {parity["rows"]}: largest absolute difference in score
{parity.get("max_abs_diff", 0.0):.3g} on the inputs as given,
{parity.get("max_abs_diff_float32_inputs", 0.0):.3g} on inputs rounded to float32
(tolerance {parity["tolerance"]:g}); decisions differing: {parity.get("decision_disagreements", 0)}.
ONNX compares numbers as float32, so a value lying between a tree's split threshold and its
float32 rounding can take the other branch: {parity.get("rows_over_tolerance", 0)} such rows
differed by more than the tolerance.
"""
