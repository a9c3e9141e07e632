"""Batch scoring speed and memory: ``prodml score`` against the fitted pipeline in memory.

In one run, on ``--rows`` credit rows resampled (with replacement) from ``examples/credit``:

1. **local**: ``prodml score in.parquet out.parquet`` (a subprocess, as a user runs it) against
   ``pipeline.predict_proba`` on the same rows already in memory (this process), alternating,
   ``--repeat`` times; rows/s of each (prodml's from its own ``--json`` timing, which excludes
   interpreter start-up and model loading, and from wall time) and the median of the paired
   ratios (target >= 1.0).
2. **memory**: peak RSS of ``prodml score`` on ``--big-rows`` rows (target < 1 GB): the
   scoring process reports its own peak (``VmHWM``; one process: the local engine uses
   threads).
3. **ray**: ``prodml score --engine ray`` on the ``--rows`` rows, Ray started by prodml with two
   CPUs, start-up included; ratio to the local engine (target >= 0.6).

Usage::

    .venv/bin/python benchmarks/batch.py [--rows 1000000] [--big-rows 10000000] [--repeat 3]
        [--skip-big] [--skip-ray]

Exit code 0 when every measured target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "credit"
PRODML = Path(sys.executable).with_name("prodml")
CHUNK = 1_000_000


def train(workdir: Path) -> Path:
    project = workdir / "credit"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".prodml"))
    subprocess.run([str(PRODML), "train", "-p", str(project)], check=True, capture_output=True)
    return project


def resample(project: Path, rows: int, path: Path, seed: int = 0) -> None:
    """``rows`` rows drawn with replacement from the credit data, written chunk by chunk."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = pd.read_csv(project / "data" / "credit.csv").drop(columns=["Status"])
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            chunk = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=128_000)
    finally:
        if writer is not None:
            writer.close()


def run_score(project: Path, source: Path, out: Path, *extra: str) -> dict[str, Any]:
    if out.exists():
        out.unlink()
    started = time.perf_counter()
    argv = ["prodml", "score", str(source), str(out), "-p", str(project), "--json", *extra]
    done = subprocess.run(
        [sys.executable, "-c", _WITH_PEAK_RSS, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"prodml score failed:\n{done.stderr}")
    summary = json.loads(done.stdout)
    summary["wall_s"] = wall
    summary["peak_rss_mb"] = int(done.stderr.strip().splitlines()[-1]) / 1024
    return summary


# the console script's entry point, then this process's own peak RSS (KiB, VmHWM) on stderr.
# Not getrusage: Linux carries ru_maxrss across fork + exec, so a child would report the
# benchmark's own peak (the 1M-row frame in memory); VmHWM starts afresh with the new program.
_WITH_PEAK_RSS = """
import json, sys
sys.argv = json.loads(sys.argv[1])
from prodml.cli.main import run
try:
    run()
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    print(peak, file=sys.stderr)
"""


def pipeline_rows_per_second(project: Path, source: Path) -> float:
    import pandas as pd

    import prodml

    bundle = prodml.Project(project).load_model()
    frame = pd.read_parquet(source)
    started = time.perf_counter()
    bundle.pipeline.predict_proba(frame)
    return len(frame) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="prodml score vs in-memory predict_proba")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args(argv)

    ok = True
    with tempfile.TemporaryDirectory(prefix="prodml-bench-batch-") as tmp:
        work = Path(tmp)
        print("training examples/credit ...", file=sys.stderr)
        project = train(work)
        source = work / "in.parquet"
        resample(project, args.rows, source)

        ours: list[float] = []
        ours_wall: list[float] = []
        theirs: list[float] = []
        for i in range(args.repeat):
            summary = run_score(project, source, work / "out.parquet")
            ours.append(summary["rows_per_second"])
            ours_wall.append(args.rows / summary["wall_s"])
            theirs.append(pipeline_rows_per_second(project, source))
            local_rss = summary["peak_rss_mb"]
            print(
                f"  repeat {i + 1}: prodml score {ours[-1]:,.0f} rows/s "
                f"({ours_wall[-1]:,.0f} with start-up), predict_proba {theirs[-1]:,.0f} rows/s",
                file=sys.stderr,
            )
        # paired: each repeat's two measurements ran back to back, under the same load
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        print(
            f"local: prodml score {statistics.median(ours):,.0f} rows/s "
            f"(wall incl. start-up {statistics.median(ours_wall):,.0f}), in-memory "
            f"predict_proba {statistics.median(theirs):,.0f} rows/s, ratio {ratio:.2f} "
            f"(target >= 1.0), fast path {summary['fast_path']}"
        )
        ok &= ratio >= 1.0

        if not args.skip_ray:
            ray = run_score(project, source, work / "ray.parquet", "--engine", "ray")
            ray_ratio = ray["rows_per_second"] / statistics.median(ours)
            print(
                f"ray: {ray['rows_per_second']:,.0f} rows/s including Ray start-up "
                f"({ray['seconds']:.1f} s), ratio to local {ray_ratio:.2f} (target >= 0.6)"
            )
            ok &= ray_ratio >= 0.6

        if not args.skip_big:
            big = work / "big.parquet"
            resample(project, args.big_rows, big, seed=1)
            (work / "in.parquet").unlink()
            summary = run_score(project, big, work / "big-out.parquet")
            peak_mb = summary["peak_rss_mb"]
            print(
                f"memory: {args.big_rows:,} rows in {summary['seconds']:.1f} s "
                f"({summary['rows_per_second']:,.0f} rows/s), peak RSS {peak_mb:,.0f} MB "
                f"(target < 1024 MB; {args.rows:,} rows: {local_rss:,.0f} MB)"
            )
            ok &= peak_mb < 1024
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
