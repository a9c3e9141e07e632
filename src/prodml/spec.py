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
from prodml.filters import Filter, parse_filter

__all__ = [
    "SPEC_FILENAME",
    "AlertRule",
    "AlertSink",
    "BehaviourTest",
    "BinaryOutcome",
    "DataSection",
    "EvaluationSection",
    "MaintenanceSection",
    "MonitoringSection",
    "Problem",
    "RepairPolicy",
    "ServingSection",
    "Spec",
    "SqlSource",
    "StoreSection",
    "SuccessSection",
    "TrainingSection",
    "ValidationSection",
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
    entity: str | None = Field(
        default=None,
        description="What one row is, e.g. applicant: explanations then read "
        "'Income 80 is lower than 85% of applicants'.",
    )
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


MissingRepair = Literal["auto", "pass", "impute_median", "impute_mode", "impute_constant", "reject"]
RangeRepair = Literal["clip", "pass", "reject"]
UnseenRepair = Literal["unknown", "impute_mode", "reject"]
InfiniteRepair = Literal["reject", "clip", "missing"]


class RepairPolicy(_Section):
    """How a bad value in one column is repaired at inference; unset fields use the defaults.

    ``missing``: ``auto`` (leave it missing when training had missing values in the column, as
    the model learned to handle them; otherwise impute the training median or most frequent
    category), ``pass``, ``impute_median``, ``impute_mode``, ``impute_constant`` (with
    ``fill_value``) or ``reject``. ``out_of_range`` (a number beyond the training range widened
    by ``data.validation.range_tolerance``): ``clip`` to that range, ``pass`` or ``reject``.
    ``unseen`` (a category not seen in training): ``unknown`` (a level the model treats as
    unknown), ``impute_mode`` or ``reject``. ``infinite`` (+-inf): ``reject``, ``clip`` or
    ``missing`` (then the missing policy applies). Wrong types, oversized text and missing
    columns cannot be repaired: they are always rejected.
    """

    missing: MissingRepair | None = None
    out_of_range: RangeRepair | None = None
    unseen: UnseenRepair | None = None
    infinite: InfiniteRepair | None = None
    fill_value: float | str | None = Field(
        default=None, description="The constant that missing: impute_constant fills in."
    )

    @model_validator(mode="after")
    def _fill_value_with_constant(self) -> RepairPolicy:
        if self.missing == "impute_constant" and self.fill_value is None:
            raise ValueError(
                "missing: impute_constant needs fill_value (e.g. fill_value: 0 or fill_value: rent)"
            )
        if self.fill_value is not None and self.missing not in (None, "impute_constant"):
            raise ValueError(
                f"fill_value is only used with missing: impute_constant (missing is {self.missing})"
            )
        return self


class ValidationSection(_Section):
    """How new data is judged against the model's contract (prodml validate, API, batch)."""

    defaults: RepairPolicy = Field(
        default=RepairPolicy(),
        description="Repair policy of every column not named in data.repairs; unset fields are "
        "missing: auto, out_of_range: clip, unseen: unknown, infinite: reject.",
    )
    range_tolerance: float = Field(
        default=0.1,
        ge=0.0,
        le=100.0,
        description="A number is out of range beyond the training [min, max] widened by this "
        "share of (max - min) on each side.",
    )
    max_string_length: int = Field(
        default=1000,
        ge=1,
        description="Longest text accepted in a feature column (longer is rejected); the limit "
        "is at least twice the longest text seen in training.",
    )
    max_rejected_share: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="prodml validate exits 4 when more than this share of rows is rejected.",
    )


class DataSection(_Section):
    source: str | SqlSource
    id_column: str | None = None
    time_column: str | None = None
    include: list[str] | None = None
    exclude: list[str] = []
    repairs: dict[str, RepairPolicy] = Field(
        default={},
        description="Per-column repair policies at inference, overriding validation.defaults.",
    )
    validation: ValidationSection = ValidationSection()

    @field_validator("source")
    @classmethod
    def _non_empty(cls, value: str | SqlSource) -> str | SqlSource:
        if isinstance(value, str) and not value.strip():
            raise ValueError("data.source is empty: give a CSV or Parquet path, or url + query")
        return value


class MonotonicCheck(_Section):
    """The score must not move against ``direction`` as ``feature`` rises (other inputs fixed)."""

    feature: str
    direction: Literal["increasing", "decreasing"]
    tolerance: float | None = Field(
        default=None,
        ge=0.0,
        description="Largest allowed move the wrong way, in score units; default 0.01 "
        "(probability) or 1% of the target's standard deviation (regression).",
    )
    blocking: bool = True
    enforce: bool = Field(
        default=True,
        description="Train LightGBM candidates under this direction (monotone constraints).",
    )


class InvariantCheck(_Section):
    """The score must not change when ``feature`` takes any other value (other inputs fixed)."""

    feature: str
    tolerance: float | None = Field(default=None, ge=0.0)
    blocking: bool = True


BEHAVIOUR_METRICS = (
    "value_per_decision",
    "roc_auc",
    "pr_auc",
    "precision",
    "recall",
    "f1",
    "accuracy",
    "brier",
    "log_loss",
    "acted_share",
    "mae",
    "rmse",
    "r2",
    "bias",
    "mape",
)


class MinPerformanceCheck(_Section):
    """A metric on the held-out rows of a named edge case must stay within bounds."""

    edge_case: str
    metric: str = "value_per_decision"
    at_least: float | None = None
    at_most: float | None = None
    blocking: bool = True

    @model_validator(mode="after")
    def _bounds(self) -> MinPerformanceCheck:
        if self.metric not in BEHAVIOUR_METRICS:
            raise ValueError(
                f"min_performance.metric {self.metric!r} is not one of "
                + ", ".join(BEHAVIOUR_METRICS)
            )
        if self.at_least is None and self.at_most is None:
            raise ValueError("min_performance needs at_least or at_most (or both)")
        return self


class BehaviourTest(_Section):
    """One behavioural expectation: exactly one of monotonic, invariant, min_performance."""

    monotonic: MonotonicCheck | None = None
    invariant: InvariantCheck | None = None
    min_performance: MinPerformanceCheck | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> BehaviourTest:
        given = [k for k in BEHAVIOUR_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "each behaviour test is exactly one of monotonic, invariant, min_performance "
                f"(got {', '.join(given) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in BEHAVIOUR_KINDS if getattr(self, k) is not None)

    @property
    def check(self) -> MonotonicCheck | InvariantCheck | MinPerformanceCheck:
        check = getattr(self, self.kind)
        assert check is not None
        return check


BEHAVIOUR_KINDS = ("monotonic", "invariant", "min_performance")


class EvaluationSection(_Section):
    holdout: float = Field(default=0.2, gt=0.0, lt=0.6)
    folds: int = Field(default=5, ge=2, le=20)
    seed: int = 42
    segments: list[str] = []
    min_segment_rows: int = Field(
        default=30, ge=5, description="Fewest rows for a segment, edge case or slice to be tested."
    )
    edge_cases: dict[str, str] = Field(
        default={},
        description='Named row filters, e.g. young_big_loans: "Age < 25 and Amount > 2000".',
    )
    behaviour: list[BehaviourTest] = []
    allow_behaviour_failures: bool = Field(
        default=False, description="Register even when a blocking behavioural test fails."
    )
    calibration: Literal["auto", "none", "sigmoid", "isotonic"] = "auto"
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0)
    bootstrap: int = Field(default=1000, ge=100, le=20000, description="Bootstrap resamples.")
    significance: float = Field(
        default=0.05, gt=0.0, lt=0.5, description="Level for segment flags and slice discovery."
    )
    gap_tolerance: float = Field(
        default=0.1,
        gt=0.0,
        le=1.0,
        description="Train/CV/held-out gap flagged above this share of the headroom (value) "
        "or this much ROC AUC / R-squared.",
    )
    weak_slices: int = Field(default=10, ge=0, le=100, description="Weak slices listed; 0: none.")
    slice_bins: int = Field(default=4, ge=2, le=10, description="Quantile bins per number.")

    @field_validator("edge_cases")
    @classmethod
    def _parse_filters(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            parse_filter(text, where=f"evaluation.edge_cases.{name}")
        return value

    @model_validator(mode="after")
    def _known_edge_cases(self) -> EvaluationSection:
        for i, test in enumerate(self.behaviour):
            check = test.min_performance
            if check is not None and check.edge_case not in self.edge_cases:
                known = ", ".join(self.edge_cases) or "none defined"
                raise ValueError(
                    f"behaviour[{i}].min_performance.edge_case {check.edge_case!r} is not in "
                    f"evaluation.edge_cases ({known})"
                )
        return self

    def edge_case_filters(self) -> dict[str, Filter]:
        return {
            name: parse_filter(text, where=f"evaluation.edge_cases.{name}")
            for name, text in self.edge_cases.items()
        }


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


WINDOW_PATTERN = r"^[1-9][0-9]*[mhdw]$"
_WINDOW_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


class ServingSection(_Section):
    """How ``prodml serve`` routes traffic, guards itself and writes its prediction log.

    Every field is optional. Aliases (which version is champion, challenger, shadow) live in the
    registry, not here: they move with ``prodml promote`` / ``prodml rollback`` while serving.
    """

    challenger_share: float = Field(
        default=0.1,
        gt=0.0,
        lt=1.0,
        description="Share of entities routed to the challenger when promote gives no --share.",
    )
    shadow: bool = Field(
        default=True, description="Score every request with the shadow model, off the response."
    )
    max_batch_size: int = Field(
        default=1000, ge=1, le=100_000, description="Most records accepted in one request."
    )
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=1024**3,
        description="Largest request body accepted, in bytes (413 above it).",
    )
    log_flush_interval_s: float = Field(
        default=1.0,
        gt=0.0,
        le=60.0,
        description="How often the prediction log's write-ahead file is fsynced.",
    )
    log_segment_interval_s: float = Field(
        default=60.0,
        gt=0.0,
        le=3600.0,
        description="How often buffered log rows become a Parquet segment.",
    )
    log_segment_rows: int = Field(
        default=100_000,
        ge=1,
        description="Rows that trigger a Parquet segment before the interval.",
    )
    alias_poll_interval_s: float = Field(
        default=0.25,
        gt=0.0,
        le=10.0,
        description="How often the server checks the registry for alias moves.",
    )
    precomputed_max_age: str = Field(
        default="1d",
        pattern=WINDOW_PATTERN,
        description="With prodml serve --precomputed: batch scores older than this (30m, 12h, "
        "1d, 1w; the file's modification time) are not used, the record is scored live.",
    )

    @property
    def precomputed_max_age_s(self) -> float:
        text = self.precomputed_max_age
        return float(int(text[:-1]) * _WINDOW_SECONDS[text[-1]])


DriftMethod = Literal["auto", "psi", "jensen_shannon", "wasserstein", "ks", "chi_square"]
ALERT_METRICS = (
    "value_per_decision",
    "estimated_value_per_decision",
    "roc_auc",
    "estimated_roc_auc",
    "labelled_share",
    "drift_share",
    "prediction_drift",
    "domain_auc",
    "rejected_share",
    "error_share",
    "repaired_share",
    "missing_share",
    "unseen_share",
    "duplicate_ids",
    "volume_ratio",
    "requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
)


class DriftColumn(_Section):
    """Drift settings of one column, overriding ``monitoring.drift``'s defaults."""

    method: DriftMethod = "auto"
    threshold: float | None = Field(
        default=None, gt=0.0, description="Effect size at or above which the column drifted."
    )
    alpha: float | None = Field(default=None, gt=0.0, lt=1.0)
    ignore: bool = False


class DriftSection(_Section):
    """When a column has drifted: an effect size at or above its threshold AND a significant
    test (KS for numbers, chi-square for categories). ``auto``: normalised Wasserstein (0.1 of a
    reference standard deviation) for numbers, Jensen-Shannon distance (0.1) for categories."""

    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    min_rows: int = Field(default=100, ge=10, description="Fewest rows a window needs to judge.")
    dataset_share: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="The dataset drifted when this importance-weighted share of columns did.",
    )
    domain_classifier: bool = True
    domain_max_rows: int = Field(default=20_000, ge=200, le=1_000_000)
    columns: dict[str, DriftColumn] = {}


class AlertRule(_Section):
    """``metric`` ``above`` / ``below`` a number, or ``drop`` (a share) below the reference,
    in ``for_windows`` consecutive windows."""

    name: str | None = None
    metric: str
    above: float | None = None
    below: float | None = None
    drop: float | None = Field(default=None, gt=0.0, le=10.0)
    severity: Literal["info", "warning", "critical"] = "warning"
    for_windows: int = Field(default=1, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_condition(self) -> AlertRule:
        if self.metric not in ALERT_METRICS:
            raise ValueError(
                f"alert metric {self.metric!r} is not one of " + ", ".join(ALERT_METRICS)
            )
        given = [k for k in ("above", "below", "drop") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an alert rule takes exactly one of above, below, drop "
                f"(got {', '.join(given) or 'none'})"
            )
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.drop is not None:
            return f"{self.metric} drops {self.drop:.0%} below reference"
        if self.above is not None:
            return f"{self.metric} > {self.above:g}"
        return f"{self.metric} < {self.below:g}"


class AlertSink(_Section):
    """Where alerts go: ``console`` (stderr), ``file`` (JSON lines at ``path``) or ``webhook``
    (POST JSON to ``url``; ``PRODML_WEBHOOK_TOKEN`` is sent as a bearer token when set)."""

    type: Literal["console", "file", "webhook"]
    path: str | None = None
    url: str | None = None
    timeout_s: float = Field(default=5.0, gt=0.0, le=120.0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0.0, le=60.0)

    @model_validator(mode="after")
    def _target(self) -> AlertSink:
        if self.type == "file" and not self.path:
            raise ValueError("a file sink needs path: (e.g. path: alerts.jsonl)")
        if self.type == "webhook" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError("a webhook sink needs url: http://... or https://...")
        return self


class MonitoringSection(_Section):
    """``prodml monitor``: windows, drift thresholds, alert rules and sinks (all optional)."""

    window: str = Field(default="1d", pattern=WINDOW_PATTERN, description="e.g. 1h, 1d, 1w")
    model: str = Field(default="champion", description="Version or alias monitored.")
    drift: DriftSection = DriftSection()
    volume_tolerance: float = Field(
        default=3.0,
        gt=1.0,
        description="A window with more than this many times, or less than 1/this, the median "
        "rows of the other windows is a volume anomaly.",
    )
    bootstrap: int = Field(default=500, ge=100, le=20_000)
    alerts: list[AlertRule] | None = Field(
        default=None, description="Alert rules; unset: the defaults listed in the README."
    )
    sinks: list[AlertSink] = [AlertSink(type="console")]


class RetrainPolicies(_Section):
    """When ``prodml maintain`` retrains: any policy that is set and holds fires a retraining.

    Unset policies never fire; with none set, ``maintain`` only carries running A/B tests and
    promotion guards forward.
    """

    max_age: str | None = Field(
        default=None,
        pattern=WINDOW_PATTERN,
        description="Schedule: retrain when the champion is older than this (e.g. 30d).",
    )
    drift_share: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="Retrain when the latest window's importance-weighted drift share reaches "
        "this.",
    )
    value_drop: float | None = Field(
        default=None,
        gt=0.0,
        le=10.0,
        description="Retrain when realised value per decision (estimated, before labels) of "
        "the latest window falls this share of |held-out value| below the held-out value.",
    )
    new_labels: int | None = Field(
        default=None,
        ge=1,
        description="Retrain when this many labelled decisions arrived since the champion "
        "was trained.",
    )


class RetrainData(_Section):
    """The data a retraining learns from (a new snapshot, with lineage to the champion)."""

    source: Literal["log", "source", "both"] = Field(
        default="both",
        description="log: labelled predictions of the window joined with feedback; source: "
        "the project's data source read afresh; both: the source plus the log's rows.",
    )
    window: str = Field(
        default="365d",
        pattern=WINDOW_PATTERN,
        description="How far back labelled predictions are taken (e.g. 365d for 12 months).",
    )
    min_rows: int = Field(
        default=200, ge=20, description="Fewest labelled log rows a log-based retraining needs."
    )


class GateSettings(_Section):
    """What a challenger must show, on recent labelled decisions neither model trained on,
    before it gets traffic."""

    recent_share: float = Field(
        default=0.3,
        gt=0.0,
        lt=1.0,
        description="The newest share of labelled log rows kept out of retraining to compare "
        "champion and challenger on.",
    )
    min_rows: int = Field(default=100, ge=20, description="Fewest rows the comparison needs.")
    min_uplift: float = Field(
        default=0.0,
        description="Value per decision the challenger must add; the lower confidence bound "
        "of its uplift must be above this.",
    )
    confidence: float = Field(default=0.9, gt=0.5, lt=1.0)
    segment_tolerance: float = Field(
        default=0.1,
        ge=0.0,
        description="No segment may lose more than this share of |champion value per decision| "
        "(the larger of the segment's and the overall).",
    )
    min_segment_rows: int = Field(default=30, ge=5)
    max_latency_ms: float = Field(
        default=50.0, gt=0.0, description="p95 of one-record scoring, validation included."
    )
    resamples: int = Field(default=1000, ge=100, le=20_000)


class ABSettings(_Section):
    """The A/B test a gated challenger runs against the champion, judged sequentially."""

    share: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Challenger's share of entities; unset: serving.challenger_share.",
    )
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    min_samples: int = Field(
        default=100, ge=10, description="Labelled decisions per variant before deciding."
    )
    harm_margin: float = Field(
        default=0.0,
        ge=0.0,
        description="Stop for harm once the uplift is surely below minus this value.",
    )
    max_duration: str = Field(
        default="30d",
        pattern=WINDOW_PATTERN,
        description="An unresolved test stops after this long; the champion stays.",
    )


class GuardSettings(_Section):
    """After a promotion, the window in which a breach rolls the champion back automatically."""

    window: str = Field(default="1d", pattern=WINDOW_PATTERN)
    min_records: int = Field(default=50, ge=1, description="Records needed before judging.")
    max_error_share: float = Field(default=0.01, ge=0.0, le=1.0)
    max_rejected_share: float = Field(default=0.05, ge=0.0, le=1.0)
    max_latency_p95_ms: float = Field(default=250.0, gt=0.0)
    value_drop: float = Field(
        default=0.5,
        gt=0.0,
        description="Breach when value per decision (realised, else estimated) falls this "
        "share of |held-out value| below the held-out value.",
    )


class MaintenanceSection(_Section):
    """``prodml maintain``: retraining policies, gates, the A/B test and the rollback guard."""

    policies: RetrainPolicies = RetrainPolicies()
    cooldown: str = Field(
        default="1d",
        pattern=WINDOW_PATTERN,
        description="Least time between two retrainings, whatever fires.",
    )
    data: RetrainData = RetrainData()
    gates: GateSettings = GateSettings()
    ab: ABSettings = ABSettings()
    guard: GuardSettings = GuardSettings()


class Spec(_Section):
    name: str | None = Field(
        default=None, description="Project name in a shared store; defaults to the folder name."
    )
    problem: Problem
    success: SuccessSection = SuccessSection()
    data: DataSection
    evaluation: EvaluationSection = EvaluationSection()
    training: TrainingSection = TrainingSection()
    serving: ServingSection = ServingSection()
    monitoring: MonitoringSection = MonitoringSection()
    maintenance: MaintenanceSection = MaintenanceSection()
    store: StoreSection = StoreSection()

    def content_hash(self) -> str:
        """Hash of the meaning, not the text: comments and key order do not change it.

        The serving, monitoring and maintenance sections are left out: they do not change the
        model.
        Nor do ``data.repairs`` and ``data.validation``, which judge new data at inference.
        """
        meaning = self.model_dump(
            mode="json",
            exclude={
                "serving": True,
                "monitoring": True,
                "maintenance": True,
                "data": {"repairs", "validation"},
            },
        )
        payload = json.dumps(meaning, sort_keys=True, separators=(",", ":"))
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
            "evaluation, training, serving, monitoring, maintenance, store"
        )
    return "correct the fields listed above; see the project-file reference in the README"
