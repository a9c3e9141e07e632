"""The project file, ``prodml.yaml``, as pydantic models.

The business problem comes first: a model is trained only once the file says which decision it
informs and what each outcome is worth. Value expressions are parsed when the file loads, so an
unsafe or malformed one is refused before any data is read. Unknown keys are refused too: a typo
in a cost must never silently fall back to a default.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from prodml.errors import ExpressionError, SpecError
from prodml.expressions import Expression, parse_expression

__all__ = [
    "SPEC_FILENAME",
    "BinaryOutcome",
    "DataSection",
    "EvaluationSection",
    "Problem",
    "Spec",
    "SqlSource",
    "StoreSection",
    "SuccessSection",
    "TrainingSection",
    "load_spec",
    "parse_spec",
]

SPEC_FILENAME = "prodml.yaml"
BINARY_OUTCOMES = ("tp", "fp", "tn", "fn")
REGRESSION_OUTCOMES = ("over", "under")
CandidateName = Literal["baseline", "linear", "lightgbm"]
ValueText = float | str


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeValues(_Section):
    """Value of each outcome: a number or a safe expression over columns.

    Binary: ``tp``, ``fp``, ``tn``, ``fn`` (the model "acts" when it predicts the positive class).
    Regression: ``over`` and ``under``, the value per unit of over- and under-prediction
    (usually negative; an asymmetric business cost).
    """

    tp: ValueText | None = None
    fp: ValueText | None = None
    tn: ValueText | None = None
    fn: ValueText | None = None
    over: ValueText | None = None
    under: ValueText | None = None

    @model_validator(mode="after")
    def _parse_all(self) -> OutcomeValues:
        for name in (*BINARY_OUTCOMES, *REGRESSION_OUTCOMES):
            raw = getattr(self, name)
            if raw is not None:
                parse_expression(raw, where=f"problem.value.{name}")
        return self

    def expressions(self, names: tuple[str, ...]) -> dict[str, Expression]:
        out: dict[str, Expression] = {}
        for name in names:
            raw = getattr(self, name)
            if raw is not None:
                out[name] = parse_expression(raw, where=f"problem.value.{name}")
        return out


BinaryOutcome = Literal["tp", "fp", "tn", "fn"]


class Problem(_Section):
    decision: str | None = Field(
        default=None, description="The business decision the model informs, in plain words."
    )
    task: Literal["binary", "regression"]
    target: str
    positive: str | int | float | None = Field(
        default=None, description="The target value that counts as positive (binary only)."
    )
    unit: str = "value"
    value: OutcomeValues = OutcomeValues()

    @model_validator(mode="after")
    def _check_task(self) -> Problem:
        if self.task == "binary":
            if self.positive is None:
                raise ValueError(
                    "problem.positive is required for a binary task: the target value that "
                    "means the event (e.g. bad, Yes, 1)"
                )
            stray = [n for n in REGRESSION_OUTCOMES if getattr(self.value, n) is not None]
            if stray:
                raise ValueError(
                    f"problem.value.{stray[0]} is for regression; "
                    "a binary task takes tp, fp, tn, fn"
                )
        else:
            stray = [n for n in BINARY_OUTCOMES if getattr(self.value, n) is not None]
            if stray:
                raise ValueError(
                    f"problem.value.{stray[0]} is for binary tasks; regression takes over, under"
                )
        return self

    @property
    def outcome_names(self) -> tuple[str, ...]:
        return BINARY_OUTCOMES if self.task == "binary" else REGRESSION_OUTCOMES

    def missing_business_inputs(self) -> list[str]:
        """What the user still has to state before a model may be built."""
        missing: list[str] = []
        if not (self.decision or "").strip():
            missing.append(
                "problem.decision: say in words which decision the model informs, "
                'e.g. decision: "approve or decline the loan"'
            )
        for name in self.outcome_names:
            if getattr(self.value, name) is None:
                missing.append(f"problem.value.{name}: {_OUTCOME_HELP[name]}")
        return missing

    def value_expressions(self) -> dict[str, Expression]:
        return self.value.expressions(self.outcome_names)


_OUTCOME_HELP = {
    "tp": "value when the model acts and the event happens (a number or e.g. 0)",
    "fp": "value when the model acts but the event does not happen (e.g. -0.1 * Amount)",
    "tn": "value when the model does not act and the event does not happen (e.g. 0.1 * Amount)",
    "fn": "value when the model does not act but the event happens (e.g. -Amount)",
    "over": "value per unit of over-prediction (e.g. -1)",
    "under": "value per unit of under-prediction (e.g. -3)",
}


class SuccessSection(_Section):
    """The business criterion a model must meet, on held-out data, to be registered."""

    min_value_per_decision: float | None = None
    min_uplift_over_trivial: float = Field(
        default=0.0,
        description="Value per decision the model must add over the best trivial policy.",
    )


class SqlSource(_Section):
    url: str = Field(description="SQLAlchemy URL, e.g. postgresql+psycopg://host/db")
    query: str


class DataSection(_Section):
    source: str | SqlSource
    id_column: str | None = None
    time_column: str | None = None
    include: list[str] | None = None
    exclude: list[str] = []

    @field_validator("source")
    @classmethod
    def _non_empty(cls, value: str | SqlSource) -> str | SqlSource:
        if isinstance(value, str) and not value.strip():
            raise ValueError("data.source is empty: give a CSV or Parquet path, or url + query")
        return value


class EvaluationSection(_Section):
    holdout: float = Field(default=0.2, gt=0.0, lt=0.6)
    folds: int = Field(default=5, ge=2, le=20)
    seed: int = 42
    segments: list[str] = []


class TrainingSection(_Section):
    candidates: list[CandidateName] = ["baseline", "linear", "lightgbm"]
    search_budget: int = Field(
        default=4, ge=1, le=100, description="Configurations tried per candidate."
    )
    tolerance: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="A more complex candidate must beat a simpler one by this share of the "
        "headroom (perfect-information value minus the best trivial policy's), per decision.",
    )

    @field_validator("candidates")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("training.candidates is empty: list at least baseline")
        if len(set(value)) != len(value):
            raise ValueError("training.candidates lists a candidate twice")
        return value


class StoreSection(_Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; PRODML_STORE_URL overrides it.",
    )


class Spec(_Section):
    name: str | None = Field(
        default=None, description="Project name in a shared store; defaults to the folder name."
    )
    problem: Problem
    success: SuccessSection = SuccessSection()
    data: DataSection
    evaluation: EvaluationSection = EvaluationSection()
    training: TrainingSection = TrainingSection()
    store: StoreSection = StoreSection()

    def content_hash(self) -> str:
        """Hash of the meaning, not the text: comments and key order do not change it."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    def require_business_value(self, where: str = SPEC_FILENAME) -> None:
        missing = self.problem.missing_business_inputs()
        if missing:
            raise SpecError(
                "a model with no stated business value is not built; still unset:\n    "
                + "\n    ".join(missing),
                where=where,
                fix="fill these in the project file (or pass --decision/--value to prodml init)",
            )


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``yes``/``no``/``on`` as booleans, which breaks ``positive: Yes``."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str, *, where: str) -> Any:
    try:
        return yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(
            f"malformed YAML{position}: {problem}",
            where=where,
            fix="check indentation and quoting (quote expressions that start with - or *)",
        ) from exc


def parse_spec(data: Any, *, where: str = SPEC_FILENAME) -> Spec:
    if not isinstance(data, dict):
        raise SpecError(
            "the project file must be a mapping with problem, data, ... sections",
            where=where,
            fix="run prodml init to write a commented example",
        )
    try:
        return Spec.model_validate(data)
    except ExpressionError as exc:
        raise ExpressionError(exc.message, where=f"{where}: {exc.where}", fix=exc.fix) from exc
    except ValidationError as exc:
        raise SpecError(_describe(exc), where=where, fix=_fix_hint(exc)) from exc


def load_spec(path: Path) -> Spec:
    if not path.is_file():
        raise SpecError(
            "project file not found",
            where=str(path),
            fix="run prodml init DIR --data FILE --target COLUMN, or pass -p/--project DIR",
        )
    return parse_spec(read_yaml(path.read_text(encoding="utf-8"), where=str(path)), where=str(path))


def _location(loc: tuple[Any, ...]) -> str:
    # pydantic adds union-member tags like "str" or "function-after[...]" to loc; drop them
    parts = [
        str(p)
        for p in loc
        if not (isinstance(p, str) and (p in {"str", "float", "int", "SqlSource"} or "[" in p))
    ]
    return ".".join(parts) or "(top level)"


def _describe(exc: ValidationError) -> str:
    lines = []
    seen: set[str] = set()
    for error in exc.errors():
        where = _location(error["loc"])
        if error["type"] == "extra_forbidden":
            line = f"{where}: unknown key (check the spelling)"
        elif error["type"] == "missing":
            line = f"{where}: required but missing"
        else:
            msg = str(error["msg"]).removeprefix("Value error, ")
            line = f"{where}: {msg} (got {error.get('input')!r})"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return "invalid project file:\n    " + "\n    ".join(lines)


def _fix_hint(exc: ValidationError) -> str:
    kinds = {e["type"] for e in exc.errors()}
    if "extra_forbidden" in kinds:
        return (
            "remove or rename the unknown keys; sections are problem, success, data, "
            "evaluation, training, store"
        )
    return "correct the fields listed above; see the project-file reference in the README"
