"""ONNX export: the whole scoring path in one graph, parity checked, scorable without prodml."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import prodml
from prodml.errors import UserError
from tests.batch.conftest import loans

pytestmark = pytest.mark.filterwarnings(
    # skl2onnx/onnxmltools use numpy and onnx APIs their next versions will change
    "ignore::DeprecationWarning:skl2onnx.*",
    "ignore::DeprecationWarning:onnxmltools.*",
    "ignore::DeprecationWarning:onnx.*",
)

# refuses to import prodml, so the edge scorer proves it needs only numpy and onnxruntime
NO_PRODML = """
import importlib.abc, runpy, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "prodml" or name.startswith("prodml."):
            raise ImportError("prodml is not installed on the device")
        return None
sys.meta_path.insert(0, Block())
sys.argv = ["prodml_edge", sys.argv[1]]
runpy.run_module("prodml_edge", run_name="__main__")
"""


def onnx_scores(bundle: object, frame: pd.DataFrame) -> np.ndarray:
    import onnxruntime

    from prodml.export._export import onnx_feeds
    from prodml.export._onnx import convert, feature_columns

    numeric, categorical = feature_columns(bundle)  # type: ignore[arg-type]
    session = onnxruntime.InferenceSession(
        convert(bundle).SerializeToString(),  # type: ignore[arg-type]
        providers=["CPUExecutionProvider"],
    )
    coerced = bundle.pipeline.named_steps["coerce"].transform(frame)  # type: ignore[attr-defined]
    probability, _ = session.run(None, onnx_feeds(coerced, numeric, categorical))
    return np.asarray(probability, dtype=np.float64)


def test_export_writes_a_bundle_that_scores_like_prodml_without_prodml(
    trained: Path, tmp_path: Path
) -> None:
    project = prodml.Project(trained)
    out = tmp_path / "credit-edge"

    report = project.export(out, model=1)

    parity = report.parity
    assert parity["passed"] and parity["rows"].startswith("held-out set")
    assert parity["max_abs_diff_float32_inputs"] <= parity["tolerance"] == 1e-4
    assert parity["synthetic_rows_checked"] > 0
    for name in ("model.onnx", "contract.json", "edge.json", "README.md", "sample.jsonl"):
        assert (out / name).is_file(), name
    assert (out / "prodml_edge" / "__main__.py").is_file()
    assert "max" not in report.files  # files are relative names
    assert "python -m prodml_edge" in (out / "README.md").read_text()

    frame = loans(40, seed=7).drop(columns=["Status"])
    # halves are exact in float32, so no split threshold can flip (see the parity report)
    frame["Income"] = (frame["Income"] * 2).round() / 2
    records = frame.to_dict(orient="records")
    records[0]["Income"] = "lots"
    records[1]["Home"] = "castle"
    lines = [json.dumps(r) for r in records] + ["{not json"]
    done = subprocess.run(
        [sys.executable, "-c", NO_PRODML, str(out)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(out)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(lines)
    assert results[0]["status"] == "rejected" and results[0]["errors"][0]["field"] == "Income"
    assert results[-1]["status"] == "rejected" and "JSON" in results[-1]["errors"][0]["message"]
    assert results[2]["customer_id"] == records[2]["customer_id"]

    batch = tmp_path / "batch.parquet"
    pd.DataFrame(records).astype({"Income": str}).to_parquet(tmp_path / "in.parquet")
    project.score(tmp_path / "in.parquet", batch)
    expected = pd.read_parquet(batch)
    for i, result in enumerate(results[1:-1], start=1):
        assert result["status"] == "ok"
        assert result["probability"] == pytest.approx(expected.probability[i], abs=1e-5)
        assert result["decision"] == expected.decision[i]
        assert result["prediction"] == expected.prediction[i]


@pytest.mark.parametrize(
    "calibration",
    [
        {"method": "sigmoid", "a": 0.8, "b": -0.3},
        {"method": "isotonic", "x": [0.05, 0.2, 0.5, 0.9], "y": [0.02, 0.15, 0.6, 0.95],
         "low": 0.01, "high": 0.99},
    ],
)  # fmt: skip
def test_calibration_and_threshold_are_in_the_graph(
    trained: Path, calibration: dict[str, object]
) -> None:
    bundle = dataclasses.replace(prodml.Project(trained).load_model(), calibration=calibration)
    frame = loans(300, seed=3).drop(columns=["Status"])
    frame["Income"] = (frame["Income"] * 2).round() / 2  # exact in float32: no split flips

    got = onnx_scores(bundle, frame)

    expected = bundle.predict(frame)
    assert not np.allclose(expected, dataclasses.replace(bundle, calibration=None).predict(frame))
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("family", ["linear", "baseline"])
def test_linear_and_baseline_pipelines_convert(trained: Path, family: str) -> None:
    from prodml.train.candidates import CandidateConfig, build_pipeline
    from prodml.train.features import FeaturePlan

    bundle = prodml.Project(trained).load_model()
    data = loans(600, seed=4)
    data.loc[::17, "Home"] = None
    plan = FeaturePlan(numeric=["Age", "Income", "Amount"], categorical=["Home"])
    config = CandidateConfig(family, {"C": 1.0} if family == "linear" else {})
    pipeline = build_pipeline(config, "binary", plan, seed=0)
    pipeline.fit(data[plan.columns], (data.Status == "bad").astype(int))
    other = dataclasses.replace(bundle, pipeline=pipeline, features=plan.columns)
    frame = data.drop(columns=["Status"])
    frame.loc[5, "Home"] = "castle"

    np.testing.assert_allclose(onnx_scores(other, frame), other.predict(frame), atol=1e-5)
    if family == "linear":  # missing numbers in training: indicators, not convertible yet
        data.loc[::13, "Income"] = np.nan
        pipeline.fit(data[plan.columns], (data.Status == "bad").astype(int))
        with pytest.raises(UserError, match="missing-value indicators"):
            onnx_scores(other, frame)


def test_cli_export_reports_parity_and_refuses_bad_requests(
    trained: Path, tmp_path: Path, cli: object
) -> None:
    out = tmp_path / "edge"
    done = cli("export", "1", "--out", out, "-p", trained)  # type: ignore[operator]
    assert done.code == 0, done.stderr
    assert "max |difference|" in done.stderr and "float32" in done.stderr

    again = cli("export", "--out", out, "-p", trained)  # type: ignore[operator]
    wrong = cli("export", "--format", "tflite", "--out", tmp_path / "x", "-p", trained)  # type: ignore[operator]
    unknown = cli("export", "9", "--out", tmp_path / "y", "-p", trained)  # type: ignore[operator]
    for result, needle in ((again, "already exists"), (wrong, "format"), (unknown, "9")):
        assert result.code == 2, result.stderr
        assert needle in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_tolerance_is_enforced(trained: Path, tmp_path: Path) -> None:
    project = prodml.Project(trained)
    with pytest.raises(UserError, match="tolerance"):
        project.export(tmp_path / "edge", tolerance=-1)
    # a tolerance below float32 precision refuses the export and writes nothing
    with pytest.raises(UserError, match="nothing was written"):
        project.export(tmp_path / "edge", tolerance=1e-15)
    assert not (tmp_path / "edge").exists()
