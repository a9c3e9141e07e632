"""Real-time serving: an empty FastAPI endpoint, ``prodml serve`` and ``mlflow models serve``.

The credit example is trained once in a temporary copy, with LightGBM as its only candidate (the
model the peer figures in shared/PEERS.md were measured on). Then, in one run on 127.0.0.1:

* an empty FastAPI POST route (``return {}``) under uvicorn with uvloop + httptools, 1 worker:
  the floor any Python HTTP model server stands on;
* ``prodml serve`` on the credit champion, 1 worker, access log on (the default);
* ``mlflow models serve`` on the same fitted pipeline (``pyfunc_predict_fn="predict_proba"``),
  1 worker, from a throwaway virtual environment (``--mlflow-venv``, created and filled with
  ``pip install mlflow`` when missing; mlflow is never a prodml dependency). If that cannot be
  done, the column is skipped with the reason.

Each server gets the same one-record JSON body (its own protocol: ``/predict`` records,
``/invocations`` dataframe_records). ``wrk`` measures p50/p99 latency on one connection and
requests/s on 16 connections; all servers run side by side and each of the ``--repeat`` rounds
measures them in turn (interleaved, so a drift of the machine's speed hits all alike); medians
kept.
In-process, the fast path scoring one record is timed against the raw ``booster.predict`` on
the already encoded row (and, for context, the validator and the scikit-learn pipeline).

Usage::

    .venv/bin/python benchmarks/serve.py [--duration 5] [--repeat 3] [--no-mlflow]

Targets (issue 5): prodml p50 <= 1.5 x the empty endpoint's; prodml p50 at least 5 x lower
than MLflow's; in-process scoring of one record < 3 x the raw booster call. The last line is
PASS or FAIL; the exit code is 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RECORD: dict[str, Any] = {
    "Seniority": 9,
    "Home": "rent",
    "Time": 60,
    "Age": 30,
    "Marital": "married",
    "Records": "no",
    "Job": "freelance",
    "Expenses": 73,
    "Income": 129.0,
    "Assets": 0.0,
    "Debt": 0.0,
    "Amount": 800,
    "Price": 846,
}
EMPTY_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/predict")
async def predict() -> dict:
    return {}
"""
MLFLOW_SAVE = """
import sys, joblib, mlflow.sklearn
pipeline = joblib.load(sys.argv[1])
mlflow.sklearn.save_model(
    pipeline, sys.argv[2], serialization_format="cloudpickle", pyfunc_predict_fn="predict_proba"
)
"""
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, timeout: float, process: subprocess.Popen[bytes]) -> float:
    import urllib.error
    import urllib.request

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout} s")


@contextmanager
def server(
    name: str, command: list[str], ready: str, port: int, workdir: Path, env: dict[str, str]
) -> Iterator[float]:
    log = (workdir / f"{name}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=workdir)
    try:
        yield wait_for(f"http://127.0.0.1:{port}{ready}", 180, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wrk(url: str, body: str, connections: int, duration: float, workdir: Path) -> dict[str, float]:
    script = workdir / f"wrk-{abs(hash(body))}.lua"
    script.write_text(WRK_SCRIPT.format(body=json.dumps(body)))
    threads = 1 if connections == 1 else 2
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    )
    out = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {done.stderr or out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{out}")
    return {
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
    }


def _latency(out: str, label: str) -> float:
    match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
    if match is None:
        raise RuntimeError(f"no {label} latency in wrk output:\n{out}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def train_credit(workdir: Path) -> Path:
    """The credit example with LightGBM as its only candidate: the model the peers measured
    (and a booster to compare the fast path with), whatever family wins on the full list."""
    project = workdir / "credit"
    shutil.copytree(ROOT / "examples" / "credit", project, ignore=shutil.ignore_patterns(".prodml"))
    spec = project / "prodml.yaml"
    text = spec.read_text()
    start = text.index("  candidates:\n")
    end = text.index("  search_budget:", start)
    spec.write_text(text[:start] + "  candidates: [lightgbm]\n" + text[end:])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODML_")}
    subprocess.run(
        [str(VENV_BIN / "prodml"), "train", "-p", str(project)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return project


def in_process(project: Path, repeat: int) -> dict[str, float]:
    """Median microseconds per call, alternating the contenders."""
    import numpy as np
    import pandas as pd

    import prodml
    from prodml.serve._model import load_served_model
    from prodml.serve._validation import check_records

    proj = prodml.Project(project)
    model = load_served_model(
        proj.store, proj.store.metadata.resolve("champion").version, proj.spec
    )
    proj.store.close()
    columns = {name: np.asarray([RECORD[name]], dtype=object) for name in model.features}
    encoded = model.scorer.encode(columns, 1)
    booster = model.bundle.pipeline.named_steps["model"].booster_
    frame = pd.DataFrame([RECORD])[model.features]
    contenders: dict[str, Callable[[], Any]] = {
        "booster_us": lambda: booster.predict(encoded, num_threads=1),
        "fastpath_us": lambda: model.scores(columns, 1),
        "pipeline_us": lambda: model.bundle.predict(frame),
        "validator_us": lambda: check_records(model.validator, [RECORD]),
    }
    loops = {"booster_us": 2000, "fastpath_us": 2000, "pipeline_us": 100, "validator_us": 100}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat * 3):
        for name, call in contenders.items():
            call()
            started = time.perf_counter()
            for _ in range(loops[name]):
                call()
            samples[name].append((time.perf_counter() - started) / loops[name] * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def mlflow_ready(venv: Path, install: bool) -> str | None:
    """None when ``venv`` has mlflow; otherwise why the column is skipped."""
    python = venv / "bin" / "python"
    if (
        python.exists()
        and subprocess.run(
            [str(python), "-c", "import mlflow"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return None
    if not install:
        return f"no mlflow in {venv} (run without --no-mlflow-install to create it)"
    print(f"creating {venv} with mlflow (a throwaway environment, not a prodml dependency)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "mlflow", "lightgbm", "scikit-learn"],
            check=True,
            timeout=1800,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"could not install mlflow into {venv}: {exc}"
    return None


def save_mlflow_model(project: Path, venv: Path, workdir: Path) -> Path:
    import joblib

    import prodml

    proj = prodml.Project(project)
    bundle = proj.load_model("champion")
    proj.store.close()
    pipeline_file = workdir / "pipeline.joblib"
    joblib.dump(bundle.pipeline, pipeline_file)
    target = workdir / "mlflow-model"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}  # the pipeline's FrameCoercer
    subprocess.run(
        [str(venv / "bin" / "python"), "-c", MLFLOW_SAVE, str(pipeline_file), str(target)],
        check=True,
        env=env,
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over all servers")
    parser.add_argument("--mlflow-venv", type=Path, default=ROOT / "build" / "bench-mlflow-venv")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow column")
    parser.add_argument("--no-mlflow-install", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="prodml-bench-serve-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    print("training examples/credit in a temporary copy ...")
    project = train_credit(workdir)
    print("in-process, one record (median µs per call):")
    inproc = in_process(project, args.repeat)
    for name, value in inproc.items():
        print(f"  {name:<14}{value:>12.1f}")
    (workdir / "empty_app.py").write_text(EMPTY_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODML_")}
    uvicorn = [str(VENV_BIN / "python"), "-m", "uvicorn", "--loop", "uvloop", "--http"]
    ports = {"empty": free_port(), "prodml": free_port(), "mlflow": free_port()}
    servers: dict[str, dict[str, Any]] = {
        "empty": {
            "command": [
                *uvicorn,
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
                "--port",
                str(ports["empty"]),
                "empty_app:app",
            ],
            "ready": "/docs",
            "path": "/predict",
            "body": json.dumps({"records": [RECORD]}),
        },
        "prodml": {
            "command": [
                str(VENV_BIN / "prodml"),
                "serve",
                "-p",
                str(project),
                "--port",
                str(ports["prodml"]),
            ],
            "ready": "/v2/health/ready",
            "path": "/predict",
            "body": json.dumps({"records": [RECORD]}),
        },
    }
    skipped = "--no-mlflow given" if args.no_mlflow else None
    if skipped is None:
        skipped = mlflow_ready(args.mlflow_venv, install=not args.no_mlflow_install)
    if skipped is None:
        try:
            model = save_mlflow_model(project, args.mlflow_venv, workdir)
        except subprocess.CalledProcessError as exc:
            skipped = f"could not save the pipeline as an MLflow model: {exc}"
        else:
            servers["mlflow"] = {
                "command": [
                    str(args.mlflow_venv / "bin" / "mlflow"),
                    "models",
                    "serve",
                    "-m",
                    str(model),
                    "--env-manager",
                    "local",
                    "-w",
                    "1",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(ports["mlflow"]),
                ],
                "ready": "/ping",
                "path": "/invocations",
                "body": json.dumps({"dataframe_records": [RECORD]}),
                # mlflow starts `uvicorn` through the shell: its venv must come first on PATH
                "env": {
                    "PYTHONPATH": str(ROOT / "src"),
                    "PATH": f"{args.mlflow_venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                },
            }
    if skipped:
        print(f"MLflow column skipped: {skipped}")

    results: dict[str, dict[str, list[float]]] = {name: {} for name in servers}
    startup: dict[str, float] = {}
    with ExitStack() as running:
        for name, spec in list(servers.items()):
            server_env = {**env, **spec.get("env", {})}
            try:
                startup[name] = running.enter_context(
                    server(name, spec["command"], spec["ready"], ports[name], workdir, server_env)
                )
            except RuntimeError as exc:
                if name != "mlflow":
                    raise
                tail = (workdir / f"{name}.log").read_text(errors="replace")[-1500:]
                print(f"MLflow column skipped: {exc}\n{tail}")
                del servers[name], results[name]
        urls = {name: f"http://127.0.0.1:{ports[name]}{s['path']}" for name, s in servers.items()}
        for name, spec in servers.items():
            wrk(urls[name], spec["body"], 1, 1, workdir)  # warm-up
        # Rounds interleave the servers (all started, only the measured one busy), so a change
        # of the machine's speed during the run (another process, frequency) shifts all of them
        # alike instead of the one measured at that moment.
        for _ in range(args.repeat):
            for name, spec in servers.items():
                one = wrk(urls[name], spec["body"], 1, args.duration, workdir)
                many = wrk(urls[name], spec["body"], 16, args.duration, workdir)
                for key, value in (
                    ("p50_ms", one["p50_ms"]),
                    ("p99_ms", one["p99_ms"]),
                    ("rps_1", one["rps"]),
                    ("rps_16", many["rps"]),
                    ("p99_16_ms", many["p99_ms"]),
                ):
                    results[name].setdefault(key, []).append(value)
    table = {name: {k: statistics.median(v) for k, v in r.items()} for name, r in results.items()}
    print()
    print(
        f"{'server':<8}{'start s':>9}{'p50 ms':>10}{'p99 ms':>10}{'req/s 1c':>11}"
        f"{'req/s 16c':>11}{'p99 16c ms':>12}"
    )
    for name, row in table.items():
        print(
            f"{name:<8}{startup[name]:>9.1f}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}"
            f"{row['rps_1']:>11.0f}{row['rps_16']:>11.0f}{row['p99_16_ms']:>12.1f}"
        )
    checks: list[tuple[str, bool]] = []
    ratio = table["prodml"]["p50_ms"] / table["empty"]["p50_ms"]
    checks.append((f"prodml p50 / empty p50 = {ratio:.2f} (target <= 1.5)", ratio <= 1.5))
    if "mlflow" in table:
        speedup = table["mlflow"]["p50_ms"] / table["prodml"]["p50_ms"]
        checks.append((f"mlflow p50 / prodml p50 = {speedup:.1f} (target >= 5)", speedup >= 5))
    inproc_ratio = inproc["fastpath_us"] / inproc["booster_us"]
    checks.append((f"fast path / raw booster = {inproc_ratio:.2f} (target < 3)", inproc_ratio < 3))
    print()
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    passed = all(ok for _, ok in checks)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
