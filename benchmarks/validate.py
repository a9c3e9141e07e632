"""Validate + repair 1,000,000 rows of the credit schema, against reading them and scoring them.

The credit example (``examples/credit``, 14 columns) is trained once in a temporary copy, then
its rows (less the target) are resampled to ``--rows`` rows with injected problems: missing
values, unseen categories and out-of-range numbers. The table is written to Parquet in a
temporary folder; then, alternating in the same process so a busy machine slows all alike:

(a) ``pyarrow.parquet.read_table`` of that file (the reference);
(b) the champion's :class:`prodml.data.Validator` on the Arrow table: checks, repairs, per-row
    status and the repaired feature frame (what batch scoring and the API run);
(b') (b) plus composing every row's reason and repair text (what a quarantine file needs);
(c) ``ModelBundle.predict`` on the repaired frame (the champion is LightGBM).

Usage::

    .venv/bin/python benchmarks/validate.py [--rows 1000000] [--repeat 3] [--target 2.0]

Prints medians, rows/s and ratios; the last line is PASS when median(b) / median(a) is at most
the target, and the exit code is 0 or 1 accordingly.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "credit"
TARGET_RATIO = 2.0


def make_rows(rows: int, seed: int = 0) -> pd.DataFrame:
    """The credit features resampled to ``rows`` rows, with problems injected."""
    source = pd.read_csv(EXAMPLE / "data" / "credit.csv").drop(columns="Status")
    rng = np.random.default_rng(seed)
    frame = source.iloc[rng.integers(0, len(source), rows)].reset_index(drop=True)
    frame = frame.astype({c: "float64" for c in frame.select_dtypes("number").columns})
    for column in ("Income", "Assets", "Debt", "Seniority"):
        frame.loc[rng.random(rows) < 0.05, column] = np.nan
    for column in ("Home", "Job", "Marital"):
        frame.loc[rng.random(rows) < 0.02, column] = None
        frame.loc[rng.random(rows) < 0.02, column] = "never-seen-" + column.lower()
    for column in ("Amount", "Price", "Expenses"):
        outside = rng.random(rows) < 0.02
        frame.loc[outside, column] = frame.loc[outside, column] * 25
    frame.loc[rng.random(rows) < 0.001, "Age"] = -1.0
    return frame


def train_champion(workdir: Path) -> Any:
    project = workdir / "credit"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".prodml"))
    prodml = Path(sys.executable).with_name("prodml")
    done = subprocess.run(
        [str(prodml), "train", "-p", str(project), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"training the credit example failed:\n{done.stderr}")
    from prodml import Project

    return Project(project)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=TARGET_RATIO)
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from prodml.data import Policies, Validator

    with tempfile.TemporaryDirectory(prefix="prodml-bench-validate-") as temp:
        workdir = Path(temp)
        print("training the credit example (once) ...", file=sys.stderr)
        project = train_champion(workdir)
        bundle = project.load_model("champion")
        validator = Validator(
            bundle.contract, Policies.from_spec(project.spec.data), features=bundle.features
        )
        print(f"building {args.rows:,} rows ...", file=sys.stderr)
        path = workdir / "batch.parquet"
        make_rows(args.rows).to_parquet(path, index=False)
        size_mb = path.stat().st_size / 1e6

        read_s: list[float] = []
        validate_s: list[float] = []
        texts_s: list[float] = []
        score_s: list[float] = []
        result: Any = None
        for _ in range(args.repeat):
            seconds, table = timed(lambda: pq.read_table(path))
            read_s.append(seconds)
            seconds, result = timed(lambda t=table: validator(t))
            validate_s.append(seconds)
            seconds, _ = timed(lambda r=result: (r.reasons, r.repairs))
            texts_s.append(seconds)
            seconds, _ = timed(lambda r=result: bundle.predict(r.frame))
            score_s.append(seconds)

    rows = args.rows
    read, check, texts, score = (
        statistics.median(read_s),
        statistics.median(validate_s),
        statistics.median(texts_s),
        statistics.median(score_s),
    )
    print(f"rows: {rows:,}, columns: 13 features, Parquet {size_mb:.1f} MB, repeats: {args.repeat}")
    print(
        f"verdict: {result.n_ok:,} ok, {result.n_repaired:,} repaired, {result.n_rejected:,} "
        f"rejected"
    )
    for label, seconds in (
        ("(a) read Parquet (pyarrow)", read),
        ("(b) validate + repair", check),
        ("(b') + per-row reason texts", check + texts),
        ("(c) score the repaired frame", score),
    ):
        print(f"{label:32s} {seconds:8.3f} s  {rows / seconds:14,.0f} rows/s")
    ratio = check / read
    print(f"validate / read:  {ratio:.2f}  (target <= {args.target})")
    print(f"(validate + texts) / read: {(check + texts) / read:.2f}")
    print(f"validate / score: {check / score:.2f}")
    passed = ratio <= args.target
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
