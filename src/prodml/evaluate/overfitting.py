"""Overfitting and validation hygiene: train vs cross-validation vs held-out, and leaks in time.

Three estimates of the chosen model are compared: on its own training rows (in-sample, always
optimistic), cross-validated (out-of-fold, at the decision rule chosen on those same predictions,
slightly optimistic) and held-out (used once, the honest one). A large train - CV gap means the
model memorises its rows; a large CV - held-out gap means the selection was optimistic or the
held-out rows differ from the training rows. Gaps are in value per decision (flagged above
``gap_tolerance`` x headroom, the scale selection uses) and in a unit-free metric (ROC AUC or R²,
flagged above ``gap_tolerance``). Flags inform; they do not block registration.

Hygiene: the held-out rows are scored once, after selection, refit and calibration, and nothing
chosen depends on them. Without a time column, a date/time column in the data means rows are
ordered in time while splits are random, so a model may learn from the future of the rows it is
validated on: that is reported with the fix (set ``data.time_column``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Hygiene", "OverfittingCheck", "check_gaps", "check_hygiene"]


@dataclass(frozen=True)
class OverfittingCheck:
    metric: str  # roc_auc | r2
    train: dict[str, float | None]  # value_per_decision, metric
    cv: dict[str, float | None]
    holdout: dict[str, float | None]
    value_tolerance: float  # per decision
    metric_tolerance: float
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hygiene:
    holdout_rows: int
    holdout_used_once: bool
    time_ordered: bool
    time_column: str | None
    warnings: list[str] = field(default_factory=list)


def check_gaps(
    *,
    metric: str,
    train: dict[str, float | None],
    cv: dict[str, float | None],
    holdout: dict[str, float | None],
    holdout_ci: list[float],
    headroom: float,
    tolerance: float,
    unit: str,
) -> OverfittingCheck:
    value_tolerance = tolerance * max(headroom, 0.0)
    flags: list[str] = []
    value = "value_per_decision"
    pairs = (
        ("train", train, "cross-validation", cv, "the model fits its own rows far better than "
         "unseen ones (memorisation); judge it by the held-out value"),
        ("cross-validation", cv, "held-out", holdout, "held-out rows earn less than validation "
         "promised (optimistic selection, or held-out rows unlike the training rows)"),
    )  # fmt: skip
    for first_name, first, second_name, second, meaning in pairs:
        a, b = first.get(value), second.get(value)
        if a is not None and b is not None and a - b > value_tolerance:
            flags.append(
                f"value per decision {first_name} {a:,.4g} vs {second_name} {b:,.4g} {unit}, "
                f"a gap above {value_tolerance:,.4g} ({tolerance:g} x headroom, "
                f"evaluation.gap_tolerance): {meaning}"
            )
        m1, m2 = first.get("metric"), second.get("metric")
        if m1 is not None and m2 is not None and m1 - m2 > tolerance:
            flags.append(
                f"{metric} {first_name} {m1:.3f} vs {second_name} {m2:.3f}, a gap above "
                f"{tolerance:g} (evaluation.gap_tolerance)"
            )
    cv_value = cv.get(value)
    if cv_value is not None and cv_value > holdout_ci[1]:
        flags.append(
            f"cross-validated value per decision {cv_value:,.4g} {unit} lies above the held-out "
            f"interval ({holdout_ci[0]:,.4g} to {holdout_ci[1]:,.4g}): the held-out rows earn "
            "significantly less than validation promised"
        )
    return OverfittingCheck(
        metric=metric,
        train=train,
        cv=cv,
        holdout=holdout,
        value_tolerance=value_tolerance,
        metric_tolerance=tolerance,
        flags=flags,
    )


def check_hygiene(
    *,
    holdout_rows: int,
    holdout_scorings: int,
    time_ordered: bool,
    time_column: str | None,
    datetime_columns: list[str],
) -> Hygiene:
    warnings: list[str] = []
    if not time_ordered and datetime_columns:
        names = ", ".join(datetime_columns)
        warnings.append(
            f"the data has date/time column(s) {names} but no data.time_column: splits are "
            "random, so the model may be validated on rows older than some it learnt from and "
            "look better than it will on future data; set data.time_column: "
            f"{datetime_columns[0]} for time-ordered splits"
        )
    return Hygiene(
        holdout_rows=holdout_rows,
        holdout_used_once=holdout_scorings == 1,
        time_ordered=time_ordered,
        time_column=time_column,
        warnings=warnings,
    )
