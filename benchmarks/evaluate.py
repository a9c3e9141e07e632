"""Time of the full evaluation against the training it evaluates, in the same ``prodml train``.

``prodml train`` reports its steps through the progress callback of ``Project.train``; this script
timestamps them and splits each run into phases:

* **training**: cross-validating every candidate and refitting the chosen one (from the first
  "cross-validating" step to the end of "refitting");
* **evaluation**: calibration choice on out-of-fold predictions, the baseline refit, the one
  scoring of the held-out rows, value with bootstrap intervals, value curve, policies, metrics
  with intervals, reliability, segments, edge cases, weak-slice search, behavioural tests,
  overfitting gaps and hygiene (from "choosing the calibration" / "evaluating once" to the step
  after "checking ... gaps");
* **explain and report** (when the explain/report layer is installed): importance on held-out
  rows, model card and HTML report, drawn while the version is registered (from "explaining" to
  the end of ``train``).

Data loading, snapshot and store writes are reported but belong to neither phase. Each repetition
trains a fresh copy of ``examples/credit`` (fresh store) in this process, after one untimed
warm-up run that pays the imports. The ratio printed is median(evaluation) / median(training);
the target is 1.0: evaluating a model must not cost more than training it.

Usage::

    .venv/bin/python benchmarks/evaluate.py [--repeat 3] [--target 1.0] [--example credit]

Exit code 0 when the ratio is at most the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.0
EVALUATION_STARTS = ("choosing the calibration", "evaluating once")
TRAINING_STARTS = ("cross-validating",)
AFTER_EVALUATION = ("registering", "recording the run", "explaining")


@dataclass(frozen=True)
class Phases:
    training: float
    evaluation: float
    explain_report: float
    other: float
    total: float
    rows: int
    registered: bool


def timed_train(example: Path) -> Phases:
    from prodml import Project

    steps: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory(prefix="prodml-bench-eval-") as tmp:
        project = Path(tmp) / example.name
        shutil.copytree(example, project, ignore=shutil.ignore_patterns(".prodml"))
        started = time.perf_counter()
        report = Project(project).train(
            progress=lambda message: steps.append((time.perf_counter(), message))
        )
        ended = time.perf_counter()
    steps.append((ended, "end"))

    def first(prefixes: tuple[str, ...], after: float = 0.0) -> float:
        for at, message in steps:
            if at >= after and message.startswith(prefixes):
                return at
        raise SystemExit(f"no step starting with {prefixes} in: {[m for _, m in steps]}")

    train_start = first(TRAINING_STARTS)
    eval_start = first(EVALUATION_STARTS, train_start)
    eval_end = first((*AFTER_EVALUATION, "end"), eval_start)
    explain_start = next((at for at, m in steps if m.startswith("explaining")), None)
    explain = ended - explain_start if explain_start is not None else 0.0
    training = eval_start - train_start
    evaluation = eval_end - eval_start
    total = ended - started
    return Phases(
        training=training,
        evaluation=evaluation,
        explain_report=explain,
        other=total - training - evaluation - explain,
        total=total,
        rows=report.outcome.holdout["rows"],
        registered=report.registered,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="evaluation time vs training time")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--target", type=float, default=TARGET_RATIO, help="max eval/train")
    parser.add_argument("--example", default="credit", help="bundled example (default credit)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    example = ROOT / "examples" / args.example

    print(f"prodml train on examples/{args.example}: training vs evaluation, same runs")
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at start")
    timed_train(example)  # warm-up: imports, caches
    runs = []
    for i in range(1, args.repeat + 1):
        phases = timed_train(example)
        runs.append(phases)
        print(
            f"  run {i}: training {phases.training:6.2f} s   evaluation {phases.evaluation:5.2f} s"
            f"   explain+report {phases.explain_report:5.2f} s   other {phases.other:5.2f} s"
            f"   total {phases.total:6.2f} s   ratio {phases.evaluation / phases.training:.3f}"
        )
    training = statistics.median(r.training for r in runs)
    evaluation = statistics.median(r.evaluation for r in runs)
    explain = statistics.median(r.explain_report for r in runs)
    ratio = evaluation / training
    with_explain = (evaluation + explain) / training
    verdict = "PASS" if ratio <= args.target else "FAIL"
    print(f"medians over {args.repeat} runs (load average {os.getloadavg()[0]:.2f} now)")
    print(f"  training (cross-validation + refit)  {training:6.2f} s")
    print(f"  evaluation ({runs[-1].rows} held-out rows)        {evaluation:6.2f} s")
    print(f"  explain + report                     {explain:6.2f} s")
    print(f"  ratio evaluation / training {ratio:.3f}; with explain + report {with_explain:.3f}")
    print(f"{verdict}: ratio {ratio:.3f} {'<=' if ratio <= args.target else '>'} {args.target}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
