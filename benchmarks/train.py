"""Wall time of ``prodml train`` on the credit example against a plain scikit-learn script.

Both run as subprocesses with the project's interpreter, so both pay interpreter start-up and
imports; they alternate (prodml, reference, prodml, reference, ...) so that a machine busy with
other work slows both alike. Each prodml repetition trains a fresh copy of ``examples/credit`` in
a temporary folder (fresh store). The reference, ``benchmarks/_reference_train.py``, does the same
work without prodml: same split, folds, candidates, threshold search, choice, refit and holdout
evaluation; both holdout ROC AUCs are printed to show it.

Usage::

    .venv/bin/python benchmarks/train.py [--repeat 5] [--target 1.3]

Exit code 0 when median(prodml) / median(reference) is at most the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "credit"
REFERENCE = Path(__file__).resolve().parent / "_reference_train.py"
TARGET_RATIO = 1.3
# What _reference_train.py hard-codes; if the example changes, the comparison is void.
EXPECTED = {
    ("problem", "target"): "Status",
    ("problem", "positive"): "bad",
    ("problem", "value", "tp"): 0,
    ("problem", "value", "fp"): 0,
    ("problem", "value", "tn"): "0.08 * Amount * Time / 24",
    ("problem", "value", "fn"): "-0.6 * Amount",
    ("evaluation", "holdout"): 0.2,
    ("evaluation", "folds"): 5,
    ("evaluation", "seed"): 42,
    ("training", "candidates"): ["baseline", "linear", "lightgbm"],
    ("training", "search_budget"): 2,
    ("training", "tolerance"): 0.01,
}


@dataclass(frozen=True)
class Timing:
    seconds: float  # wall time
    cpu_seconds: float  # user + system CPU time of the process (and its children)
    payload: dict[str, Any]


def check_example(example: Path) -> dict[str, Any]:
    """The project file, after checking it still says what the reference assumes."""
    spec = yaml.safe_load((example / "prodml.yaml").read_text())
    for path, wanted in EXPECTED.items():
        value: Any = spec
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value != wanted:
            raise SystemExit(
                f"{example / 'prodml.yaml'}: {'.'.join(path)} is {value!r}, the reference assumes "
                f"{wanted!r}; update benchmarks/_reference_train.py to match"
            )
    return dict(spec)


def lightgbm_configs(seed: int, budget: int) -> list[dict[str, Any]]:
    """Read (only read) the configurations prodml searches; the reference builds its own models."""
    from prodml.train.candidates import search_space

    linear = [c.params["C"] for c in search_space("linear", "binary", budget, seed)]
    if linear != [1.0, 0.1]:
        raise SystemExit(f"prodml now searches C={linear}; the reference assumes [1.0, 0.1]")
    return [c.params for c in search_space("lightgbm", "binary", budget, seed)]


def timed(command: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in ok_codes:
        raise SystemExit(
            f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-3000:]}"
        )
    return Timing(seconds, cpu, json.loads(done.stdout))


def run_prodml(prodml: Path, example: Path) -> Timing:
    with tempfile.TemporaryDirectory(prefix="prodml-bench-") as tmp:
        project = Path(tmp) / example.name
        shutil.copytree(example, project, ignore=shutil.ignore_patterns(".prodml"))
        # exit code 3: trained, but below the success criterion (still the same work)
        return timed([str(prodml), "train", "-p", str(project), "--json"], ok_codes=(0, 3))


def monotone_directions(spec: dict[str, Any]) -> dict[str, int]:
    """The directions prodml imposes on LightGBM: the enforced monotonic behavioural tests."""
    out: dict[str, int] = {}
    for test in spec.get("evaluation", {}).get("behaviour", []) or []:
        check = test.get("monotonic") if isinstance(test, dict) else None
        if check and check.get("enforce", True):
            out[check["feature"]] = 1 if check["direction"] == "increasing" else -1
    return out


def run_reference(
    python: Path, data: Path, configs: list[dict[str, Any]], monotone: dict[str, int]
) -> Timing:
    command = [str(python), str(REFERENCE), str(data), "--lightgbm-params", json.dumps(configs)]
    return timed([*command, "--monotone", json.dumps(monotone)])


def _cv_seconds(timing: Timing, label: str, *, ours: bool) -> float:
    if ours:
        return float(
            next(c["seconds"] for c in timing.payload["candidates"] if c["label"] == label)
        )
    return float(timing.payload["cv"][label]["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="prodml train vs a plain scikit-learn script")
    parser.add_argument("--repeat", type=int, default=5, help="timed pairs (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed pairs first (default 1)")
    parser.add_argument("--target", type=float, default=TARGET_RATIO, help="max prodml/ref ratio")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="environment to run")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    spec = check_example(EXAMPLE)
    configs = lightgbm_configs(spec["evaluation"]["seed"], spec["training"]["search_budget"])
    monotone = monotone_directions(spec)
    prodml, python = args.venv / "bin" / "prodml", args.venv / "bin" / "python"
    data = EXAMPLE / spec["data"]["source"]

    print(f"prodml train on {EXAMPLE.relative_to(ROOT)} vs {REFERENCE.relative_to(ROOT)}")
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at start")
    for _ in range(args.warmup):
        run_prodml(prodml, EXAMPLE)
        run_reference(python, data, configs, monotone)
    ours: list[Timing] = []
    theirs: list[Timing] = []
    for i in range(1, args.repeat + 1):
        ours.append(run_prodml(prodml, EXAMPLE))
        theirs.append(run_reference(python, data, configs, monotone))
        print(
            f"  run {i}: prodml {ours[-1].seconds:6.2f} s (cpu {ours[-1].cpu_seconds:5.2f})"
            f"   reference {theirs[-1].seconds:6.2f} s (cpu {theirs[-1].cpu_seconds:5.2f})"
            f"   ratio {ours[-1].seconds / theirs[-1].seconds:.2f}"
        )

    ours_median = statistics.median(t.seconds for t in ours)
    theirs_median = statistics.median(t.seconds for t in theirs)
    ratio = ours_median / theirs_median
    paired = statistics.median(a.seconds / b.seconds for a, b in zip(ours, theirs, strict=True))
    cpu_ours = statistics.median(t.cpu_seconds for t in ours)
    cpu_theirs = statistics.median(t.cpu_seconds for t in theirs)
    inside_ours = statistics.median(t.payload["duration_s"] for t in ours)
    inside_theirs = statistics.median(t.payload["seconds_in_script"] for t in theirs)
    prodml_out, reference_out = ours[-1].payload, theirs[-1].payload
    prodml_auc = prodml_out["holdout"]["metrics"]["roc_auc"]
    reference_auc = reference_out["holdout_roc_auc"]
    same = (
        prodml_out["chosen"] == reference_out["chosen"] and abs(prodml_auc - reference_auc) < 1e-9
    )
    verdict = "PASS" if ratio <= args.target else "FAIL"

    print(f"median wall time over {args.repeat} runs (load average {os.getloadavg()[0]:.2f} now)")
    print(f"  prodml train     {ours_median:6.2f} s   (its own duration_s: {inside_ours:.2f} s)")
    print(f"  reference        {theirs_median:6.2f} s   (after imports: {inside_theirs:.2f} s)")
    print(f"  ratio prodml/reference {ratio:.2f} (median of paired ratios {paired:.2f})")
    print(
        f"  CPU time (user+sys): prodml {cpu_ours:.2f} s, reference {cpu_theirs:.2f} s, "
        f"ratio {cpu_ours / cpu_theirs:.2f} (less sensitive to a busy machine; not the verdict)"
    )
    labels = [c["label"] for c in prodml_out["candidates"]]
    print(
        "  cross-validation seconds per candidate, prodml/reference: "
        + ", ".join(
            f"{label} {statistics.median(_cv_seconds(t, label, ours=True) for t in ours):.2f}"
            f"/{statistics.median(_cv_seconds(t, label, ours=False) for t in theirs):.2f}"
            for label in labels
        )
    )
    print(
        f"  holdout ROC AUC: prodml {prodml_auc:.6f} ({prodml_out['chosen']}, threshold "
        f"{prodml_out['decision_rule']:.4f}), reference {reference_auc:.6f} "
        f"({reference_out['chosen']}, threshold {reference_out['threshold']:.4f})"
    )
    print(f"  same model and holdout result: {'yes' if same else 'NO: the comparison is void'}")
    print(f"{verdict}: ratio {ratio:.2f} {'<=' if ratio <= args.target else '>'} {args.target}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
