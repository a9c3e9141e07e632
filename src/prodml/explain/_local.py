"""Why the model scored a record as it did: the top reasons in plain words.

Each reason pairs a feature's value, placed against the training data ("Income 80 is lower than
85% of applicants"), with that feature's exact contribution to the model's raw score
("raises the chance of bad, +0.12 log-odds"). The base value plus all contributions equals the
raw score, so the reasons add up to the model's output rather than approximating it.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from prodml.errors import UserError
from prodml.explain._contributions import compute_contributions
from prodml.explain._reasons import describe_value, format_number

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle

__all__ = [
    "DEFAULT_ROWS_NOUN",
    "Explanation",
    "Reason",
    "explain_frame",
    "explain_record",
    "frame_from_record",
    "parse_row_json",
]

DEFAULT_ROWS_NOUN = "cases"
_BASELINE_NOTE = (
    "the baseline model gives every record the same score, from the training data's average; "
    "it uses no feature, so there are no reasons to give"
)


@dataclass(frozen=True)
class Reason:
    """One feature's part in a score: its value in words and its exact contribution."""

    feature: str
    value: Any
    contribution: float
    phrase: str  # "Income 80 is lower than 85% of applicants"
    effect: str  # "raises the chance of bad"
    text: str  # phrase, effect and the number together

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": _json_value(self.value),
            "contribution": self.contribution,
            "phrase": self.phrase,
            "effect": self.effect,
            "text": self.text,
        }


@dataclass(frozen=True)
class Explanation:
    """A scored record: what the model says, what to do, and why."""

    task: str
    prediction: float  # P(positive) for binary (as served), the predicted value for regression
    decision: bool | float  # act or not (binary); the value-optimal prediction (regression)
    decision_text: str
    raw_score: float  # log-odds (binary) or prediction, before calibration
    base_value: float
    score: str  # "log-odds" or "prediction"
    method: str  # "treeshap", "linear" or "none"
    contributions: dict[str, float]
    reasons: list[Reason]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "prediction": self.prediction,
            "decision": self.decision,
            "decision_text": self.decision_text,
            "raw_score": self.raw_score,
            "base_value": self.base_value,
            "score": self.score,
            "method": self.method,
            "contributions": self.contributions,
            "reasons": [r.to_dict() for r in self.reasons],
            "notes": self.notes,
        }

    def render(self) -> str:
        """Plain text for a terminal: the prediction, the decision, then numbered reasons."""
        lines = [self.decision_text]
        if self.reasons:
            lines.append(
                f"Top reasons, as contributions to the {self._scale()} "
                f"(the average score is {_number(self.base_value)}):"
            )
            lines += [f"  {i}. {r.text}" for i, r in enumerate(self.reasons, start=1)]
            rest = self.raw_score - self.base_value - sum(r.contribution for r in self.reasons)
            if abs(rest) > 5e-4 * max(1.0, abs(self.raw_score)):
                lines.append(f"  other features together: {_signed(rest)}")
            lines.append(
                f"  average {_number(self.base_value)} + contributions = {self._scale()} "
                f"{_number(self.raw_score)}"
            )
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _scale(self) -> str:
        return "log-odds" if self.score == "log-odds" else "prediction"


def explain_frame(
    bundle: ModelBundle,
    frame: pd.DataFrame,
    *,
    top: int = 5,
    rows_noun: str = DEFAULT_ROWS_NOUN,
    notes: Sequence[str] = (),
) -> list[Explanation]:
    """Explain every row of ``frame`` (raw feature columns, as the model is given them)."""
    from prodml.data import Contract

    contract = Contract.from_dict(bundle.contract) if bundle.contract else None
    contributions = compute_contributions(
        bundle.pipeline,
        task=bundle.task,
        features=bundle.features,
        frame=frame,
        state=(bundle_explanation(bundle) or {}).get("state"),
        contract=bundle.contract,
    )
    predictions = np.asarray(bundle.predict(frame), dtype=np.float64)
    decisions = bundle.decide(predictions)
    shared_notes = list(notes)
    if contributions.method == "none":
        shared_notes.append(_BASELINE_NOTE)
    if _is_calibrated(bundle):
        shared_notes.append(
            "the reasons explain the model's raw score; the probability shown is calibrated, so "
            "it is not exactly the logistic of that score"
        )
    if bundle.task == "regression" and bundle.decision_rule:
        shared_notes.append(
            f"the decision adds {format_number(bundle.decision_rule)} to the prediction: "
            "the offset that earns the most given the costs of over- and under-prediction"
        )
    columns = {name: c.to_dict() for name, c in (contract.columns if contract else {}).items()}
    n_rows = contract.n_rows if contract else 0
    out = []
    for i in range(len(frame)):
        values = contributions.values[i]
        reasons = []
        for j in np.argsort(-np.abs(values), kind="stable")[: max(top, 0)]:
            if values[j] == 0:
                break
            feature = contributions.features[j]
            value = frame[feature].iloc[i] if feature in frame.columns else None
            phrase = describe_value(
                feature, value, columns.get(feature), rows_noun=rows_noun, n_rows=n_rows
            )
            effect = _effect(float(values[j]), bundle)
            reasons.append(
                Reason(
                    feature=feature,
                    value=value,
                    contribution=float(values[j]),
                    phrase=phrase,
                    effect=effect,
                    text=f"{phrase}: {_signed(float(values[j]))}, {effect}",
                )
            )
        out.append(
            Explanation(
                task=bundle.task,
                prediction=float(predictions[i]),
                decision=_plain(decisions[i]),
                decision_text=_decision_text(bundle, float(predictions[i]), decisions[i]),
                raw_score=float(contributions.raw[i]),
                base_value=float(contributions.base[i]),
                score=contributions.score,
                method=contributions.method,
                contributions={
                    f: float(v) for f, v in zip(contributions.features, values, strict=True)
                },
                reasons=reasons,
                notes=shared_notes,
            )
        )
    return out


def explain_record(
    bundle: ModelBundle,
    record: Mapping[str, Any],
    *,
    top: int = 5,
    rows_noun: str = DEFAULT_ROWS_NOUN,
    where: str = "record",
) -> Explanation:
    """Explain one record given as a mapping of column to value (e.g. parsed JSON)."""
    frame, notes = frame_from_record(bundle, record, where=where)
    return explain_frame(bundle, frame, top=top, rows_noun=rows_noun, notes=notes)[0]


def bundle_explanation(bundle: ModelBundle) -> dict[str, Any] | None:
    """The explanation data stored with a bundle at training, if it has any."""
    stored = bundle.explanation
    return stored if isinstance(stored, dict) and stored else None


def parse_row_json(text: str, *, where: str = "--row") -> dict[str, Any]:
    """A record from JSON text; a user error naming the position of the mistake otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        place = "the end" if exc.pos >= len(text) else f"character {exc.pos + 1}"
        raise UserError(
            f"not valid JSON ({exc.msg} at {place}): {_clip(text)}",
            where=where,
            fix="pass one JSON object, quoted for the shell: "
            '--row \'{"Income": 80, "Home": "rent"}\'',
        ) from exc
    if not isinstance(value, dict):
        raise UserError(
            f"expected a JSON object of column: value, got {type(value).__name__}",
            where=where,
            fix='pass one JSON object, e.g. --row \'{"Income": 80, "Home": "rent"}\'',
        )
    return value


def frame_from_record(
    bundle: ModelBundle, record: Mapping[str, Any], *, where: str = "record"
) -> tuple[pd.DataFrame, list[str]]:
    """A one-row frame of the model's features, checked against the contract.

    Unknown columns and values of the wrong type are refused (naming the column and the fix);
    features the record leaves out are treated as missing, which the model handles, and noted.
    """
    known = set(bundle.features)
    other_columns = {c.get("name") for c in (bundle.contract or {}).get("columns", [])}
    for key in record:
        if key not in known and key not in other_columns:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UserError(
                f"unknown column {key!r}",
                where=f"{where}: {key}",
                fix=f"{hint}the model's features are: {', '.join(bundle.features)}",
            )
    kinds = {c.get("name"): c.get("kind") for c in (bundle.contract or {}).get("columns", [])}
    numeric = set(_numeric_features(bundle)) or {
        f for f in bundle.features if kinds.get(f) == "numeric"
    }
    row: dict[str, Any] = {}
    for feature in bundle.features:
        value = record.get(feature)
        if isinstance(value, dict | list):
            raise UserError(
                f"expects a single value, got a {type(value).__name__}",
                where=f"{where}: {feature}",
                fix=f"give {feature} a number, a string or null",
            )
        if feature in numeric and value is not None:
            value = _as_number(value, feature, where)
        row[feature] = value
    missing = [f for f in bundle.features if record.get(f) is None]
    notes = []
    if missing:
        notes.append("missing, handled as the model handles missing values: " + ", ".join(missing))
    frame = pd.DataFrame({f: _column(row[f], numeric=f in numeric) for f in bundle.features})
    return frame, notes


def _column(value: Any, *, numeric: bool) -> pd.Series:
    if numeric:
        return pd.Series([value], dtype="float64")
    # text as pandas' string dtype, as a CSV or Parquet reader gives it
    return pd.Series([value], dtype="str" if isinstance(value, str) or value is None else object)


def _numeric_features(bundle: ModelBundle) -> list[str]:
    coercer = bundle.pipeline.steps[0][1]
    return list(getattr(coercer, "numeric", []) or [])


def _as_number(value: Any, feature: str, where: str) -> float:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.number):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            pass
    raise UserError(
        f"expects a number, got {value!r}",
        where=f"{where}: {feature}",
        fix=f"give {feature} a number (or null when it is unknown)",
    )


def _is_calibrated(bundle: ModelBundle) -> bool:
    """Whether the served probability passes through a calibrator after the raw model."""
    calibration = bundle.calibration
    return isinstance(calibration, dict) and calibration.get("method", "none") != "none"


def _effect(contribution: float, bundle: ModelBundle) -> str:
    if bundle.task == "binary":
        target = bundle.positive_label or "the positive class"
        return f"{'raises' if contribution > 0 else 'lowers'} the chance of {target}"
    return f"{'raises' if contribution > 0 else 'lowers'} the predicted {bundle.target}"


def _number(value: float) -> str:
    """Scores: two decimals when small (log-odds), readable thousands when large."""
    if abs(value) >= 100:
        return format_number(value)
    return f"{value:.2f}" if abs(value) >= 0.005 or value == 0 else f"{value:.2g}"


def _signed(value: float) -> str:
    text = _number(abs(value))
    return f"{'+' if value >= 0 else '-'}{text}"


def _decision_text(bundle: ModelBundle, prediction: float, decision: Any) -> str:
    if bundle.task == "binary":
        target = bundle.positive_label or "positive"
        threshold = bundle.decision_rule
        verdict = "act" if bool(decision) else "do not act"
        relation = "at or above" if bool(decision) else "below"
        return (
            f"P({target}) = {prediction:.1%}: {verdict} ({relation} the value-optimal "
            f"threshold {threshold:.1%})"
        )
    text = f"predicted {bundle.target} = {format_number(prediction)}"
    if bundle.decision_rule:
        text += (
            f"; decide on {format_number(float(decision))} (the prediction "
            f"{'+' if bundle.decision_rule >= 0 else '-'} "
            f"{format_number(abs(bundle.decision_rule))}, the value-optimal offset)"
        )
    return text


def _plain(value: Any) -> bool | float:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return float(value)


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value if isinstance(value, str | int | bool) else str(value)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
