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
3. **ray**, ``prodml score --engine ray`` on the ``--rows`` rows, two ways, each against the
   local engine's median rows/s:

   a. **cold**: Ray started by prodml with two CPUs (``ray.init``, Ray's own processes, Ray
      Data's helper actors, the scoring actors), everything included. Printed, not judged.
   b. **cluster**: against a Ray already running on the machine (``ray start --head --num-cpus
      2``, started before timing and stopped after), ``--ray-address``, ``--repeat`` runs; each
      run still connects, plans, starts its scoring actors (which load the model) and scores.
      The target (>= 0.6) is judged on the median of these runs, as the local engine's is on
      its median: its own timing excludes interpreter start-up and model loading, and a
      running cluster is how a cluster is used. The first run on the new cluster also starts
      Ray Data's detached helper actors; it is printed on its own line.

Usage::

    .venv/bin/python benchmarks/batch.py [--rows 1000000] [--big-rows 10000000] [--repeat 3]
        [--skip-big] [--skip-ray]

Exit code 0 when every measured target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
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
RAY = Path(sys.executable).with_name("ray")
CHUNK = 1_000_000
# the benchmark's own throwaway cluster, on this machine only: no token to hand to the client
LOCAL_CLUSTER_ENV = {"RAY_AUTH_MODE": "disabled"}


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


def run_score(
    project: Path, source: Path, out: Path, *extra: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    if out.exists():
        out.unlink()
    started = time.perf_counter()
    argv = ["prodml", "score", str(source), str(out), "-p", str(project), "--json", *extra]
    done = subprocess.run(
        [sys.executable, "-c", _WITH_PEAK_RSS, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
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


class RayCluster:
    """``ray start --head --num-cpus 2 --block`` for the duration of a ``with`` block.

    ``--block`` keeps the command in the foreground; terminating it stops the processes it
    started (and only those), so the benchmark never needs ``ray stop``, which stops every Ray
    on the machine."""

    def __init__(self, workdir: Path, cpus: int = 2) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = workdir / "ray-head.log"
        self.cpus = cpus
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> RayCluster:
        argv = [str(RAY), "start", "--head", "--num-cpus", str(self.cpus), "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*argv, "--include-dashboard=false", "--block"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **LOCAL_CLUSTER_ENV},
            )
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise SystemExit(f"ray start failed:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.5)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # Ray drains for up to 30 s, then stops its processes
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # `ray start` records its address for later `ray.init()` calls and a terminated
        # `--block` leaves it behind: every later `ray.init(num_cpus=...)` on the machine would
        # then take the dead cluster for a running one and refuse to start
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        if current.exists() and current.read_text().strip().endswith(f":{self.port}"):
            current.unlink()


def ray_figures(
    project: Path, source: Path, work: Path, rows: int, repeat: int, local: float
) -> bool:
    """Both Ray figures (cold, then against a running cluster), printed; True when the
    cluster median reaches 0.6 of ``local`` rows/s."""
    out = work / "ray.parquet"
    cold = run_score(project, source, out, "--engine", "ray")
    print(
        f"ray (cold, Ray started by prodml): {cold['rows_per_second']:,.0f} rows/s "
        f"({cold['seconds']:.1f} s including ray.init; wall with interpreter start-up and model "
        f"load {rows / cold['wall_s']:,.0f} rows/s), ratio to local "
        f"{cold['rows_per_second'] / local:.2f} (printed, not judged)"
    )
    figures: list[float] = []
    with RayCluster(work) as cluster:
        for i in range(repeat):
            summary = run_score(
                project,
                source,
                out,
                "--engine",
                "ray",
                "--ray-address",
                cluster.address,
                env=LOCAL_CLUSTER_ENV,
            )
            figures.append(summary["rows_per_second"])
            first = " (first job on the new cluster)" if i == 0 else ""
            print(
                f"  ray cluster repeat {i + 1}: {figures[-1]:,.0f} rows/s "
                f"({summary['seconds']:.1f} s; wall {rows / summary['wall_s']:,.0f}){first}",
                file=sys.stderr,
            )
    ratio = statistics.median(figures) / local
    print(
        f"ray (running cluster, --ray-address): {statistics.median(figures):,.0f} rows/s median "
        f"of {repeat} (first job on the new cluster {figures[0]:,.0f}), ratio to local "
        f"{ratio:.2f} (target >= 0.6)"
    )
    return ratio >= 0.6


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
            local = statistics.median(ours)
            ok &= ray_figures(project, source, work, args.rows, args.repeat, local)

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
