"""``prodml monitor`` on a million logged predictions against Evidently's DataDriftPreset.

One run, same generated data (the credit schema, rows resampled from ``examples/credit``):
a reference of 100,000 rows (the model is trained on it, so it is the model's reference
profile) and a current window of 1,000,000 rows with Income multiplied by 1.3 and Age shifted
by 5 years. The current rows are scored by the model and written to the prediction log with
the store's event log (the server's writer), then timed:

* ``prodml monitor --json --no-domain`` (a subprocess): drift of every feature and the
  prediction, data quality, health, value estimated from the calibrated probabilities: the
  issue's "drift + quality" scope, which is what ``DataDriftPreset`` does; ``--full`` adds the
  domain classifier (a LightGBM model fitted on a sample of both), which Evidently's preset has
  no counterpart of;
* Evidently 0.7.23 ``Report([DataDriftPreset()])`` on the two frames, in its own virtual
  environment (``pandas<3``: Evidently does not import with pandas 3), never a dependency of
  prodml; skipped with a message when it cannot be installed.

Wall time (median of ``--repeat`` alternating runs) and peak RSS (the largest) of each process
are measured (``ru_maxrss`` of a wrapper's child). Then the
drift verdict per column is compared where both use the same test at this size (normalised
Wasserstein for numbers, Jensen-Shannon for categories). Targets: at least 10x faster than
Evidently, prodml under 500 MB, the same verdict on every such column.

Usage::

    .venv/bin/python benchmarks/monitor.py [--current 1000000] [--reference 100000]
        [--repeat 3] [--evidently-python /path/to/venv/bin/python] [--keep DIR] [--no-evidently]
        [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CREDIT = ROOT / "examples" / "credit"
PRODML = Path(sys.executable).with_name("prodml")
EVIDENTLY_VENV = Path(tempfile.gettempdir()) / "prodml-bench-evidently"
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 500.0

SPEC = """name: bench
problem:
  decision: approve or decline a consumer loan application
  task: binary
  target: Status
  positive: "bad"
  unit: EUR
  value:
    tp: 0
    fp: 0
    tn: 0.08 * Amount * Time / 24
    fn: "-0.6 * Amount"
data:
  source: reference.parquet
evaluation:
  folds: 3
  bootstrap: 200
training:
  candidates: [baseline, lightgbm]
  search_budget: 1
monitoring:
  window: 1w
  sinks: []
"""

# measure one command: run it, report its wall time and its own peak RSS
_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": done.returncode, "seconds": seconds, "rss_mb": peak,
                  "stdout": done.stdout, "stderr": done.stderr[-3000:]}))
"""

_EVIDENTLY = """
import json, sys
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
print(json.dumps(snapshot.dict(), default=str))
"""


def generate(n: int, seed: int, shift: bool) -> pd.DataFrame:
    source = pd.read_csv(CREDIT / "data" / "credit.csv")
    rng = np.random.default_rng(seed)
    frame = source.iloc[rng.integers(0, len(source), n)].reset_index(drop=True)
    if shift:
        frame["Income"] = frame["Income"] * 1.3
        frame["Age"] = frame["Age"] + 5
    return frame


def measure(*command: str | Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *map(str, command)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "seconds": float(np.median([r["seconds"] for r in runs])),
        "rss_mb": float(max(r["rss_mb"] for r in runs)),
    }


def _times(runs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['seconds']:.1f}" for r in runs)


def write_log(project: Path, current: pd.DataFrame) -> None:
    """Score the current rows and log them as the server would (one day, one request each)."""
    import prodml
    from prodml.store import PREDICTIONS, EventLog, log_root, prediction_schema

    bundle = prodml.Project(project).load_model("champion")
    features = current[bundle.features]
    scores = np.asarray(bundle.predict(features), dtype=np.float64)
    decisions = np.asarray(bundle.decide(scores), dtype=np.float64)
    payload = features.to_json(orient="records", lines=True).splitlines()
    ts = int(pd.Timestamp("2026-10-01 12:00", tz="UTC").value // 1000)
    log = EventLog(log_root(project) / PREDICTIONS, prediction_schema)  # the server's segments
    log.start()
    try:
        for start in range(0, len(current), 100_000):
            stop = min(start + 100_000, len(current))
            log.append(
                {
                    "prediction_id": f"p{i}",
                    "request_id": f"p{i}",
                    "ts": ts,
                    "endpoint": "predict",
                    "model_version": 1,
                    "variant": "champion",
                    "entity_id": None,
                    "assignment": "random",
                    "status": "ok",
                    "score": float(scores[i]),
                    "decision": float(decisions[i]),
                    "decision_rule": bundle.decision_rule,
                    "latency_ms": 1.0,
                    "features": payload[i],
                    "repairs": None,
                    "errors": None,
                }
                for i in range(start, stop)
            )
    finally:
        log.close()


def evidently_python(given: str | None) -> Path | None:
    if given:
        return Path(given)
    python = EVIDENTLY_VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"installing Evidently 0.7.23 (pandas<3) into {EVIDENTLY_VENV} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "evidently==0.7.23", "pandas<3", "pyarrow"],
            check=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"Evidently could not be installed ({exc}); its column is skipped", file=sys.stderr)
        shutil.rmtree(EVIDENTLY_VENV, ignore_errors=True)
        return None
    return python


def evidently_verdicts(snapshot: dict[str, Any]) -> dict[str, tuple[str, bool, float]]:
    """Column -> (method, drifted, score) from an Evidently 0.7 snapshot dict."""
    out: dict[str, tuple[str, bool, float]] = {}
    for metric in snapshot.get("metrics", []):
        config = metric.get("config") or {}
        column = config.get("column")
        method = str(config.get("method") or "")
        if not column or not method or "ValueDrift" not in str(config.get("type", "")):
            continue
        score = float(metric.get("value"))
        threshold = float(config.get("threshold"))
        p_value_test = "p_value" in method.lower()
        drifted = score < threshold if p_value_test else score >= threshold
        out[str(column)] = (method, drifted, score)
    return out


def same_test(ours: str, theirs: str) -> bool:
    theirs = theirs.lower()
    return (ours == "wasserstein" and "wasserstein" in theirs) or (
        ours == "jensen_shannon" and "jensen" in theirs
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=100_000)
    parser.add_argument("--evidently-python", default=None)
    parser.add_argument("--no-evidently", action="store_true", help="measure prodml only")
    parser.add_argument("--repeat", type=int, default=3, help="alternating timed pairs")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the data here")
    parser.add_argument(
        "--full", action="store_true", help="also run the domain classifier (not in the preset)"
    )
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="prodml-bench-monitor-"))
    try:
        project = work / "bench"
        if (project / ".prodml" / "predictions").is_dir():
            print(f"reusing the generated project in {work}")
        else:
            setup(project, work, args.reference, args.current)
        return compare(project, work, args)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def setup(project: Path, work: Path, n_reference: int, n_current: int) -> None:
    project.mkdir(parents=True, exist_ok=True)
    reference = generate(n_reference, 1, shift=False)
    current = generate(n_current, 2, shift=True)
    reference.to_parquet(project / "reference.parquet", index=False)
    features = current.drop(columns=["Status"])
    features.to_parquet(work / "current.parquet", index=False)
    (project / "prodml.yaml").write_text(SPEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODML_")}
    started = time.perf_counter()
    subprocess.run([str(PRODML), "train", "-p", str(project)], check=True, env=env,
                   capture_output=True)  # fmt: skip
    print(f"setup: trained on {n_reference:,} rows in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    write_log(project, features)
    print(f"setup: logged {n_current:,} predictions in {time.perf_counter() - started:.0f} s")


def compare(project: Path, work: Path, args: argparse.Namespace) -> int:
    python = None if args.no_evidently else evidently_python(args.evidently_python)
    mine_runs: list[dict[str, Any]] = []
    their_runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):  # alternate, so a busy machine slows both alike
        scope = () if args.full else ("--no-domain",)
        mine_runs.append(measure(PRODML, "monitor", "-p", project, "--json", *scope))
        if mine_runs[-1]["code"] != 0:
            print(mine_runs[-1]["stderr"], file=sys.stderr)
            return 1
        if python is not None:
            their_runs.append(measure(python, "-c", _EVIDENTLY, project / "reference.parquet",
                                      work / "current.parquet"))  # fmt: skip
            if their_runs[-1]["code"] != 0:
                print(f"Evidently failed: {their_runs[-1]['stderr']}", file=sys.stderr)
                return 1
    ours = _median(mine_runs)
    report = json.loads(mine_runs[-1]["stdout"])
    [window] = report["windows"]
    prodml_verdicts = {c["column"]: c for c in window["drift"]["columns"]}
    print(
        f"prodml monitor : {ours['seconds']:6.1f} s  peak RSS {ours['rss_mb']:6.0f} MB  "
        f"({window['rows']:,} rows; drifted: {', '.join(window['drift']['drifted_columns'])}); "
        f"runs: {_times(mine_runs)} s"
    )
    if python is None:
        print("Evidently: skipped")
        return 0 if ours["rss_mb"] < TARGET_RSS_MB else 1
    theirs = _median(their_runs)
    verdicts = evidently_verdicts(json.loads(their_runs[-1]["stdout"]))
    print(
        f"Evidently      : {theirs['seconds']:6.1f} s  peak RSS {theirs['rss_mb']:6.0f} MB; "
        f"runs: {_times(their_runs)} s"
    )
    speedup = theirs["seconds"] / ours["seconds"]
    print(f"speed-up       : {speedup:.1f}x (target >= {TARGET_SPEEDUP:g}x)")

    print(f"\n{'column':<10} {'prodml':<26} {'Evidently':<40} same test  agree")
    agree = compared = 0
    for column, mine in sorted(prodml_verdicts.items()):
        method, drifted, score = verdicts.get(column, ("-", False, float("nan")))
        same = same_test(mine["method"], method)
        ok = mine["drifted"] == drifted
        compared += same
        agree += same and ok
        print(
            f"{column:<10} {mine['method'][:14]:<14} {mine['effect']:.3f} "
            f"{'DRIFT' if mine['drifted'] else 'ok':<5} {method[:28]:<28} {score:.3f} "
            f"{'DRIFT' if drifted else 'ok':<5} {'yes' if same else 'no':<9} "
            f"{'yes' if ok else 'NO'}"
        )
    print(f"\nsame verdict on {agree} of {compared} columns tested the same way")
    passed = speedup >= TARGET_SPEEDUP and ours["rss_mb"] < TARGET_RSS_MB and agree == compared
    print("targets met" if passed else "targets NOT met")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
