"""``python -m prodml_edge BUNDLE_DIR < records.jsonl``: one JSON result line per input line.

A line that is not valid JSON gets a rejected result with the parse error; scoring goes on.
Records are scored in chunks of 1,000 lines. Exit code 2 when BUNDLE_DIR is not an export.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prodml_edge import EdgeModel

_CHUNK = 1000


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = Path(args[0])
    if not (directory / "edge.json").is_file():
        print(f"error: {directory}: not a prodml edge bundle (no edge.json)", file=sys.stderr)
        return 2
    model = EdgeModel(directory)
    chunk: list[object] = []
    bad: dict[int, str] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            chunk.append(json.loads(line))
        except json.JSONDecodeError as exc:
            bad[len(chunk)] = f"not valid JSON: {exc.msg} at column {exc.colno}"
            chunk.append(None)
        if len(chunk) >= _CHUNK:
            _emit(model, chunk, bad)
            chunk, bad = [], {}
    if chunk:
        _emit(model, chunk, bad)
    return 0


def _emit(model: EdgeModel, chunk: list[object], bad: dict[int, str]) -> None:
    results = model.score(chunk)
    for i, result in enumerate(results):
        if i in bad:
            result = {"status": "rejected", "errors": [{"field": "(line)", "message": bad[i]}]}
        sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
