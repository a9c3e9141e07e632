"""Sentences the report and the card share: money, policies, the recommendation, limitations.

Everything here is derived from the context (project file, results, contract), so the same facts
read the same in the HTML report, the Markdown card and the HTML card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prodml.explain._reasons import format_number
from prodml.report._context import ReportContext

__all__ = [
    "OUTCOME_MEANING",
    "interval",
    "interval_text",
    "limitations",
    "metric_change",
    "money",
    "outcome_values",
    "percent",
    "policy_name",
    "recommendation",
    "threshold_text",
]

# Column names that are, or often stand for, attributes protected by anti-discrimination law.
_SENSITIVE = (
    "age",
    "sex",
    "gender",
    "race",
    "ethnic",
    "religion",
    "marital",
    "married",
    "nationality",
    "citizen",
    "disab",
    "pregnan",
    "orientation",
    "birth",
    "zip",
    "postcode",
    "postal",
)


def money(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    number = float(value)
    text = f"{number:,.2f}" if abs(number) < 1e4 else f"{number:,.0f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return f"{text} {unit}".strip()


def percent(share: float) -> str:
    value = float(share) * 100
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"


def metric_change(change: float, importance: dict[str, Any]) -> str:
    """A permutation's effect on the main metric: ROC AUC to 4 decimals, RMSE readable."""
    if importance.get("metric") == "roc_auc":
        return f"{change:+.4f}"
    return ("+" if change > 0 else "") + format_number(change)


def threshold_text(threshold: float) -> str:
    """A probability threshold, precise enough to apply by hand: ``19.4%``."""
    return f"{float(threshold) * 100:.1f}%"


OUTCOME_MEANING: dict[str, Callable[[ReportContext], str]] = {
    "tp": lambda c: f"acted, and it was {c.positive}",
    "fp": lambda c: f"acted, but it was not {c.positive}",
    "tn": lambda c: f"did not act, and it was not {c.positive}",
    "fn": lambda c: f"did not act, but it was {c.positive}",
    "over": lambda c: "per unit the decision is above the actual value",
    "under": lambda c: "per unit the decision is below the actual value",
}


def outcome_values(ctx: ReportContext) -> list[tuple[str, str]]:
    if ctx.spec is None:
        return []
    problem = ctx.spec.problem
    return [
        (name, str(getattr(problem.value, name)))
        for name in problem.outcome_names
        if getattr(problem.value, name) is not None
    ]


def policy_name(name: str, ctx: ReportContext) -> str:
    return {
        "act_on_everyone": "act on everyone",
        "act_on_no_one": "act on no one",
        "constant_prediction": "the best constant prediction",
    }.get(name, name.replace("_", " "))


def interval(ctx: ReportContext, key: str) -> tuple[float, float] | None:
    """The evaluation's interval for ``key`` (value, uplift, a metric); None when absent."""
    evaluation = ctx.evaluation or {}
    found: Any = None
    value = evaluation.get("value") or {}
    if key == "value_per_decision":
        found = value.get("ci")
    elif key == "total_value":
        found = value.get("total_ci")
    elif key == "uplift_over_trivial":
        best = ctx.holdout.get("best_trivial")
        for policy in evaluation.get("policies") or []:
            if isinstance(policy, dict) and policy.get("name") == best:
                found = policy.get("difference_ci")
    else:
        found = (evaluation.get("metric_ci") or {}).get(key)
    if (
        isinstance(found, list | tuple)
        and len(found) == 2
        and all(isinstance(v, int | float) for v in found)
    ):
        return float(found[0]), float(found[1])
    return None


def interval_text(ctx: ReportContext, key: str, unit: str) -> str:
    pair = interval(ctx, key)
    if pair is None:
        return ""
    low, high = pair
    if unit:
        return f"{money(low, '')} to {money(high, unit)}"
    return f"{low:.4g} to {high:.4g}"


def recommendation(ctx: ReportContext) -> str:
    """One sentence a decision maker can act on."""
    hold = ctx.holdout
    unit = ctx.unit
    if not hold:
        return "No held-out evaluation is stored with this version; retrain to evaluate it."
    vpd = hold["value_per_decision"]
    uplift = hold.get("uplift_over_trivial", 0.0)
    best = policy_name(hold.get("best_trivial", ""), ctx)
    rows = hold.get("rows")
    span = interval(ctx, "value_per_decision")
    ci = f" (95% interval {money(span[0], '')} to {money(span[1], unit)})" if span else ""
    concerns = _concerns(ctx)
    if uplift <= 0:
        head = (
            f"Do not use this model: on {rows} held-out {ctx.rows_noun} it earns "
            f"{money(vpd, unit)} per decision{ci}, no more than the simple policy of "
            f"{best}."
        )
    else:
        head = (
            f"Use version {ctx.version.version} {_purpose(ctx.decision)}: on {rows} held-out "
            f"{ctx.rows_noun} it earns {money(vpd, unit)} per decision{ci}, "
            f"{money(uplift, unit)} more than the best simple policy ({best})"
        )
        total = hold.get("total_value")
        if total is not None and rows:
            head += f", or {money(uplift * rows, unit)} more over those {rows} decisions"
        head += "."
    if concerns:
        head += " Review first: " + "; ".join(concerns) + "."
    return head


def _purpose(decision: str) -> str:
    """``to approve or decline the loan`` when the decision reads as a verb phrase, else
    ``for the decision "the price to offer"`` (a noun phrase)."""
    text = decision.strip().rstrip(".")
    if not text or text.startswith("("):
        return "to inform the decision"
    first = text.split()[0].lower()
    if first in _NOUN_STARTS or first.endswith("ing"):
        return f'for the decision "{text}"'
    return "to " + text[0].lower() + text[1:]


_NOUN_STARTS = {"the", "a", "an", "which", "what", "whether", "how", "who", "when", "if"}


def _concerns(ctx: ReportContext) -> list[str]:
    """Findings of the evaluation that a decision maker must see before using the model."""
    evaluation = ctx.evaluation or {}
    out: list[str] = []
    for family, what in (("segments", "segment"), ("edge_cases", "edge case")):
        part = evaluation.get(family)
        results = part.get("results", []) if isinstance(part, dict) else []
        flagged = [str(r.get("name")) for r in results if isinstance(r, dict) and r.get("flagged")]
        if flagged:
            verb = "does" if len(flagged) == 1 else "do"
            names = ", ".join(flagged[:3]) + (" and others" if len(flagged) > 3 else "")
            out.append(f"{what} {names} {verb} significantly worse than the rest")
    failed = [
        str(t.get("name"))
        for t in evaluation.get("behaviour") or []
        if isinstance(t, dict) and t.get("status") == "failed"
    ]
    if failed:
        out.append(f"behavioural test {', '.join(failed[:3])} failed")
    check = evaluation.get("overfitting")
    if isinstance(check, dict):
        cv = (check.get("cv") or {}).get("value_per_decision")
        held = (check.get("holdout") or {}).get("value_per_decision")
        tolerance = check.get("value_tolerance") or 0.0
        if isinstance(cv, int | float) and isinstance(held, int | float) and cv - held > tolerance:
            out.append(
                f"it earns less on held-out rows than cross-validation promised "
                f"({money(held, ctx.unit)} vs {money(cv, ctx.unit)})"
            )
    return out


def limitations(ctx: ReportContext) -> list[str]:
    """Known limitations, assumptions and uses to avoid, derived from the spec and the data."""
    out: list[str] = []
    contract = ctx.bundle.contract or {}
    columns = {c["name"]: c for c in contract.get("columns", [])}
    features = list(ctx.bundle.features)
    noun = ctx.rows_noun
    out.append(
        f"**Not for other decisions.** The decision rule is tuned to the stated value of each "
        f'outcome for "{ctx.decision}"; a different decision, or different costs and gains, '
        "needs the project file changed and the model retrained."
    )
    ranges = []
    for name in features:
        column = columns.get(name) or {}
        if column.get("kind") == "numeric" and column.get("min") is not None:
            integer = bool(column.get("is_integer"))
            ranges.append(
                f"{name} {format_number(column['min'], integer=integer)} to "
                f"{format_number(column['max'], integer=integer)}"
            )
    if ranges:
        out.append(
            f"**Not for {noun} unlike the training data.** It learnt from "
            + "; ".join(ranges[:6])
            + ("; ..." if len(ranges) > 6 else "")
            + ". Values outside these ranges, or categories never seen, are scored but the "
            "scores are extrapolations."
        )
    sensitive = [f for f in features if any(word in f.lower() for word in _SENSITIVE)]
    if sensitive:
        out.append(
            "**Possibly protected attributes used as features:** "
            + ", ".join(f"`{f}`" for f in sensitive)
            + ". In many jurisdictions decisions about people must not depend on them (or on "
            "proxies for them); check with legal counsel before use, and review the segment "
            "results for these columns."
        )
    time_column = contract.get("time_column")
    if not time_column:
        out.append(
            "**Assumes the future looks like the past.** The data has no time column, so the "
            "held-out rows are a random sample of the same period: performance on future cases "
            "is not measured. Monitor it in production."
        )
    else:
        out.append(
            f"**Measured on the latest period only.** With `{time_column}` the held-out rows are "
            "the most recent ones; conditions that change after that period are not covered."
        )
    if ctx.binary:
        out.append(
            f"**Probabilities are estimates.** Read P({ctx.positive}) as a ranking and a risk "
            "level, not as an exact frequency"
            + (
                "; the calibration section shows how closely they match observed rates."
                if ctx.section("calibration")
                else "; see the calibration chart in the report."
            )
        )
    out.append(
        "**Reasons explain the model, not the world.** The contributions say why the model "
        "scored a record as it did; they are not causes, and changing a feature's value will not "
        "by itself change the outcome."
    )
    hold = ctx.holdout
    if hold.get("rows") is not None and hold["rows"] < 1000:
        out.append(
            f"**Small held-out set.** {hold['rows']} rows: differences of a few "
            f"{ctx.unit} per decision between models may be noise."
        )
    for segment in ctx.spec.evaluation.segments if ctx.spec else []:
        column = columns.get(segment) or {}
        small = [
            f"{level} ({count} rows)"
            for level, count in (column.get("categories") or {}).items()
            if count < 30
        ]
        if small:
            out.append(
                f"**Thin segments in `{segment}`:** {', '.join(small[:5])}; results there rest "
                "on few cases."
            )
    out.append(
        "**Assumptions:** the labels are correct; the value expressions reflect real cash "
        "outcomes; the features are available, with the same meaning, when the decision is "
        "made (no information from after the decision)."
    )
    return out
