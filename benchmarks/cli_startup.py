"""Start-up time of the ``prodml`` command: median wall time of ``prodml --help``.

Measured against ``python -c pass`` with the same interpreter in the same run (alternating), so
the ratio says how much prodml adds to a bare interpreter start even on a busy machine.

Usage::

    .venv/bin/python benchmarks/cli_startup.py [--runs 20] [--target 0.3]

Exit code 0 when the median of ``prodml --help`` is below the target (seconds), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="prodml --help start-up vs python -c pass")
    parser.add_argument("--runs", type=int, default=20, help="timed pairs (default 20)")
    parser.add_argument("--target", type=float, default=TARGET_SECONDS, help="max median, s")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="environment to run")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    prodml = [str(args.venv / "bin" / "prodml"), "--help"]
    bare = [str(args.venv / "bin" / "python"), "-c", "pass"]

    wall_time(prodml)  # warm the file cache; not counted
    wall_time(bare)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.runs):
        ours.append(wall_time(prodml))
        theirs.append(wall_time(bare))
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    verdict = "PASS" if ours_median < args.target else "FAIL"
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, {args.runs} runs each")
    print(f"  prodml --help     median {ours_median * 1000:7.1f} ms  (min {min(ours) * 1000:.1f})")
    print(
        f"  python -c pass    median {theirs_median * 1000:7.1f} ms  (min {min(theirs) * 1000:.1f})"
    )
    print(f"  ratio prodml/python {ours_median / theirs_median:.2f}")
    relation = "<" if verdict == "PASS" else ">="
    print(f"{verdict}: median {ours_median:.3f} s {relation} {args.target} s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
