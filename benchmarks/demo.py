"""Wall time of ``prodml demo``, the whole lifecycle that ``make demo`` runs.

The target is absolute (the issue asks for under three minutes on two cores), so there is no
reference to alternate with; the load average is printed beside each run, because on a shared
machine it moves the time more than anything the demo does. Each run writes a fresh project in
a temporary folder; the time of each chapter comes from the demo's own chapter lines.

Usage::

    .venv/bin/python benchmarks/demo.py [--runs 3] [--target 180]

Exit code 0 when the median wall time is below the target (seconds), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180.0
CHAPTER = re.compile(r"^\s*(\d+)\. (.+?)\s+(\d+) s\b", re.MULTILINE)


def run_once(prodml: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRODML_")}
        env["COLUMNS"] = "200"
        started = time.perf_counter()
        done = subprocess.run(
            [str(prodml), "demo", "--dir", str(Path(folder) / "demo")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"prodml demo failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def chapters(output: str) -> list[tuple[str, int]]:
    """(title, second at which it started) of every chapter the demo printed."""
    return [(m.group(2).strip(" ─"), int(m.group(3))) for m in CHAPTER.finditer(output)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wall time of prodml demo")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--target", type=float, default=TARGET_SECONDS, help="max median, s")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="environment to run")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    prodml = args.venv / "bin" / "prodml"

    times = []
    print(f"cpus {os.cpu_count()}, {args.runs} runs of prodml demo")
    for k in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        elapsed, output = run_once(prodml)
        times.append(elapsed)
        print(f"  run {k}: {elapsed:6.1f} s (load average {load:.2f} at start)")
        marks = chapters(output)
        for (title, start), (_, end) in zip(
            marks, [*marks[1:], ("end", round(elapsed))], strict=True
        ):
            print(f"      {end - start:4d} s  {title}")
    median = statistics.median(times)
    verdict = "PASS" if median < args.target else "FAIL"
    relation = "<" if verdict == "PASS" else ">="
    print(f"{verdict}: median {median:.1f} s {relation} {args.target:.0f} s (min {min(times):.1f})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
