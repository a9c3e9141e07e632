"""prodml_edge: score a prodml model exported to ONNX, with only numpy and onnxruntime.

Usage::

    python -m prodml_edge BUNDLE_DIR < records.jsonl > scores.jsonl

or from Python::

    import prodml_edge
    model = prodml_edge.load("credit-edge")
    results = model.score([{"Age": 30, "Home": "rent", ...}])

Each record is checked against the model's contract before scoring, with the repair policies
prodml resolved at export (``edge.json``: impute or reject missing values, clip or reject
out-of-range numbers, unseen categories to an unknown level): a feature that is absent or null
is a missing value; a value of the wrong type (text that is not a number in a numeric column,
a list or an object anywhere) or a number that is not finite rejects the record with a message
naming the field. Categories are compared as the text prodml trained on (``1.0`` and ``1`` are
the same level; ``true``/``false`` for booleans). Unknown fields are ignored. A rejected record gets
``status: rejected`` and ``errors``, never a made-up score.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["EdgeModel", "load"]
__version__ = "1"

MISSING_LEVEL = "__missing__"


class EdgeModel:
    """An exported model: its ONNX session, feature lists and decision settings."""

    def __init__(self, directory: str | Path) -> None:
        import onnxruntime

        self.directory = Path(directory)
        meta = json.loads((self.directory / "edge.json").read_text(encoding="utf-8"))
        self.meta = meta
        self.task: str = meta["task"]
        self.numeric: list[str] = list(meta["numeric"])
        self.categorical: list[str] = list(meta["categorical"])
        self.id_column: str | None = meta.get("id_column")
        self.labels: list[str] | None = meta.get("labels")
        self.model_version = meta.get("model_version")
        self.rules = {
            name: {**rule, "known": None if rule.get("known") is None else set(rule["known"])}
            for name, rule in meta.get("rules", {}).items()
        }
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(self.directory / meta["onnx"]), options, providers=["CPUExecutionProvider"]
        )

    def score(self, records: list[Any]) -> list[dict[str, Any]]:
        """One result per record, in order: status, score and decision, or errors."""
        import numpy as np

        checked = [self._check(record) for record in records]
        good = [i for i, (_, errors) in enumerate(checked) if not errors]
        results: list[dict[str, Any]] = []
        outputs: dict[str, Any] = {}
        if good:
            feeds: dict[str, Any] = {}
            for name in self.numeric:
                feeds[name] = np.asarray(
                    [checked[i][0][name] for i in good], dtype=np.float32
                ).reshape(-1, 1)
            for name in self.categorical:
                feeds[name] = np.asarray([checked[i][0][name] for i in good], dtype=object).reshape(
                    -1, 1
                )
            names = [o.name for o in self.session.get_outputs()]
            outputs = dict(zip(names, self.session.run(None, feeds), strict=True))
        position = {row: k for k, row in enumerate(good)}
        for i, (_, errors) in enumerate(checked):
            record = records[i]
            result: dict[str, Any] = {}
            if self.id_column is not None and isinstance(record, dict):
                result[self.id_column] = record.get(self.id_column)
            if errors:
                result.update(status="rejected", errors=errors)
            else:
                k = position[i]
                result["status"] = "ok"
                if self.task == "binary":
                    act = bool(outputs["decision"].reshape(-1)[k])
                    result["probability"] = float(outputs["probability"].reshape(-1)[k])
                    result["decision"] = act
                    if self.labels:
                        result["prediction"] = self.labels[0] if act else self.labels[1]
                else:
                    result["prediction"] = float(outputs["prediction"].reshape(-1)[k])
                    result["decision"] = float(outputs["decision"].reshape(-1)[k])
            if self.model_version is not None:
                result["model_version"] = self.model_version
            results.append(result)
        return results

    def _check(self, record: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
        if not isinstance(record, dict):
            return {}, [{"field": "(record)", "message": "is not a JSON object"}]
        values: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        rules = self.rules
        for name in self.numeric:
            number, message = _number(record.get(name))
            if not message:
                number, message = _repair_number(number, rules.get(name, {}))
            if message:
                errors.append({"field": name, "message": message})
            values[name] = number
        for name in self.categorical:
            text, message = _category(record.get(name))
            if not message:
                text, message = _repair_category(text, rules.get(name, {}))
            if message:
                errors.append({"field": name, "message": message})
            values[name] = text
        return values, errors


def load(directory: str | Path) -> EdgeModel:
    return EdgeModel(directory)


def _repair_number(value: float, rule: dict[str, Any]) -> tuple[float, str]:
    """The repair policies prodml resolved at export (missing, infinite, out of range)."""
    if math.isinf(value):
        action = rule.get("infinite", "reject")
        if action == "clip" and rule.get("low") is not None:
            return (rule["high"] if value > 0 else rule["low"]), ""
        if action != "missing":
            return math.nan, f"{value!r} is not a finite number"
        value = math.nan
    if math.isnan(value):
        if rule.get("missing") == "reject":
            return math.nan, "missing value"
        if rule.get("missing") == "impute":
            return float(rule["fill"]), ""
        return value, ""
    low, high = rule.get("low"), rule.get("high")
    if low is not None and high is not None and not low <= value <= high:
        action = rule.get("out_of_range", "pass")
        if action == "clip":
            return min(max(value, low), high), ""
        if action == "reject":
            return value, f"{value!r} is outside the accepted range [{low:g}, {high:g}]"
    return value, ""


def _repair_category(value: str, rule: dict[str, Any]) -> tuple[str, str]:
    if value == MISSING_LEVEL:
        if rule.get("missing") == "reject":
            return value, "missing value"
        if rule.get("missing") == "impute":
            return str(rule["fill"]), ""
        return value, ""
    known = rule.get("known")
    if known is not None and value not in known:
        action = rule.get("unseen", "unknown")
        if action == "reject":
            return value, f"{value[:40]!r} is a category unseen in training"
        return str(rule.get("unseen_fill") or "__unknown__"), ""
    return value, ""


def _number(value: Any) -> tuple[float, str]:
    if value is None:
        return math.nan, ""
    if isinstance(value, bool | list | dict):
        return math.nan, f"{value!r} is not a number"
    if isinstance(value, str):
        if not value.strip():
            return math.nan, ""
        try:
            value = float(value)
        except ValueError:
            return math.nan, f"{value[:40]!r} is not a number"
    if not isinstance(value, int | float):
        return math.nan, f"{value!r} is not a number"
    return float(value), ""


def _category(value: Any) -> tuple[str, str]:
    if value is None:
        return MISSING_LEVEL, ""
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING_LEVEL, ""
        return (str(int(value)) if value.is_integer() else str(value)), ""
    if isinstance(value, int):
        return str(value), ""
    return MISSING_LEVEL, f"{value!r} is not a category"
