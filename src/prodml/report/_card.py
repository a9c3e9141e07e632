"""The model card: what the model is for, what it is worth, what it must not be used for.

Written from the project file and the training results (after Mitchell et al., "Model Cards for
Model Reporting", 2019), as a list of blocks rendered to Markdown and to HTML. Sections whose data
training did not produce (segments, behavioural tests, calibration) are left out rather than
shown empty. The limitations are generated from facts, not boilerplate: the features' ranges, the
columns that may be protected attributes, the absence of a time column, small segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prodml.explain._reasons import format_number
from prodml.report._context import ReportContext
from prodml.report._document import Block, Bullets, Heading, Paragraph, Table
from prodml.report._facts import (
    OUTCOME_MEANING,
    interval_text,
    limitations,
    metric_change,
    money,
    outcome_values,
    percent,
    policy_name,
    recommendation,
    threshold_text,
)
from prodml.report._sections import evaluation_blocks

__all__ = ["card_blocks"]

_KEY_PACKAGES = ("prodml", "python", "numpy", "pandas", "scikit-learn", "lightgbm", "pyarrow")


def card_blocks(ctx: ReportContext) -> list[Block]:
    blocks: list[Block] = [
        Heading(f"Model card: {ctx.project}, version {ctx.version.version}", 1),
        Paragraph(_summary(ctx)),
        Paragraph(f"**Recommendation.** {recommendation(ctx)}"),
    ]
    blocks += _intended_use(ctx)
    blocks += _value_of_outcomes(ctx)
    blocks += _training_data(ctx)
    blocks += _performance(ctx)
    blocks += evaluation_blocks(ctx)
    blocks += _drivers(ctx)
    blocks += [
        Heading("Limitations, assumptions and uses to avoid", 2, "limitations"),
        Bullets(limitations(ctx)),
    ]
    blocks += lineage_blocks(ctx)
    return blocks


def _summary(ctx: ReportContext) -> str:
    aliases = f" It is the **{', '.join(ctx.aliases)}**." if ctx.aliases else ""
    model = _model_words(ctx)
    created = ctx.version.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{model}, registered on {created} from training run {ctx.run.id}.{aliases} "
        f"It informs the decision: **{ctx.decision}**."
    )


def _model_words(ctx: ReportContext) -> str:
    kind = ctx.bundle.model_kind
    params = ", ".join(f"{k}={v}" for k, v in sorted(ctx.bundle.params.items()))
    family = {
        "baseline": "A baseline model (the same score for everyone, from the training average)",
        "linear": "A regularised logistic regression"
        if ctx.binary
        else "A regularised linear (ridge) regression",
        "lightgbm": "A LightGBM gradient-boosted tree model",
    }.get(kind, f"A {kind} model")
    what = (
        f"predicting the probability that {ctx.bundle.target} is {ctx.positive}"
        if ctx.binary
        else f"predicting {ctx.bundle.target}"
    )
    return f"{family} ({ctx.model_label}{'; ' + params if params else ''}) {what}"


def _intended_use(ctx: ReportContext) -> list[Block]:
    noun = ctx.rows_noun
    if ctx.binary:
        rule = (
            f"The model **acts** (treats the case as {ctx.positive}) when the probability of "
            f"{ctx.positive} is at least **{threshold_text(ctx.bundle.decision_rule)}**: the "
            "threshold "
            "that earned the most on out-of-fold predictions, given the value of each outcome."
        )
    else:
        offset = ctx.bundle.decision_rule
        rule = (
            f"The decision uses the prediction shifted by **{format_number(offset)}**: with "
            "asymmetric costs of over- and under-prediction, the shift that earned the most on "
            "out-of-fold predictions."
            if offset
            else "The decision uses the prediction as it is (no shift earned more)."
        )
    return [
        Heading("Decision and intended use", 2, "intended-use"),
        Bullets(
            [
                f"**Decision:** {ctx.decision}.",
                f"**Intended use:** to inform that decision for {noun} like those in the training "
                f"data (see Training data), one {ctx.row_noun} at a time or in batch.",
                f"**Decision rule:** {rule}",
                "**Explanations:** `prodml explain` gives the top reasons for any single record, "
                "in words, with contributions that add up to the model's score.",
            ]
        ),
    ]


def _value_of_outcomes(ctx: ReportContext) -> list[Block]:
    rows = [
        [name.upper() if ctx.binary else name, OUTCOME_MEANING[name](ctx), f"`{expr}`"]
        for name, expr in outcome_values(ctx)
    ]
    blocks: list[Block] = [Heading("Value of outcomes", 2, "value-of-outcomes")]
    if not rows:
        blocks.append(Paragraph("The project file this version was trained with is not available."))
        return blocks
    blocks.append(Table(["outcome", "meaning", f"value ({ctx.unit}, per row)"], rows))
    if ctx.spec is not None:
        success = ctx.spec.success
        wanted = [
            f"at least {money(success.min_uplift_over_trivial, ctx.unit)} per decision over the "
            "better trivial policy"
        ]
        if success.min_value_per_decision is not None:
            wanted.insert(
                0, f"at least {money(success.min_value_per_decision, ctx.unit)} per decision"
            )
        blocks.append(
            Paragraph(
                "**Success criterion** (checked on held-out data): " + "; ".join(wanted) + "."
            )
        )
        if not ctx.spec_current:
            blocks.append(
                Paragraph(
                    "Note: the project file has changed since this version was trained; the "
                    "values above are from the current file."
                )
            )
    return blocks


def _training_data(ctx: ReportContext) -> list[Block]:
    params = ctx.run.params
    rows = params.get("rows") or {}
    features = params.get("features") or {}
    numeric = list(features.get("numeric") or [])
    categorical = list(features.get("categorical") or [])
    skipped = dict(features.get("skipped") or {})
    contract = ctx.bundle.contract or {}
    items = [
        f"**Snapshot:** `{ctx.version.data_hash[:16]}` ({_rows(ctx)} rows"
        + (f", {ctx.dataset.n_columns} columns" if ctx.dataset else "")
        + ")"
        + (f", from {ctx.dataset.source}" if ctx.dataset else "")
        + ".",
    ]
    if rows:
        split = (
            "time-ordered: the held-out rows are the latest"
            if params.get("time_ordered")
            else "random" + (", stratified by outcome" if ctx.binary else "")
        )
        items.append(
            f"**Split:** {rows.get('train', '?')} rows to train and cross-validate "
            f"({params.get('folds', '?')} folds), {rows.get('holdout', '?')} held out and used "
            f"once ({split})."
        )
    period = _period(contract)
    if period:
        items.append(f"**Period:** {period}.")
    if ctx.binary and ctx.holdout.get("metrics", {}).get("positive_rate") is not None:
        items.append(
            f"**Outcome rate:** {percent(ctx.holdout['metrics']['positive_rate'])} of held-out "
            f"rows are {ctx.positive}."
        )
    items.append(
        f"**Features ({len(numeric) + len(categorical)}):** "
        + ", ".join(f"`{c}`" for c in [*numeric, *categorical])
        + "."
    )
    if skipped:
        items.append(
            "**Not used:** "
            + "; ".join(f"`{c}` ({why})" for c, why in sorted(skipped.items()))
            + "."
        )
    return [Heading("Training data", 2, "training-data"), Bullets(items)]


def _rows(ctx: ReportContext) -> str:
    n = ctx.dataset.rows if ctx.dataset else (ctx.bundle.contract or {}).get("n_rows")
    return format_number(float(n)) if n is not None else "?"


def _period(contract: dict[str, Any]) -> str | None:
    time_column = contract.get("time_column")
    if not time_column:
        return None
    for column in contract.get("columns", []):
        if column.get("name") == time_column and column.get("earliest"):
            return (
                f"`{time_column}` from {str(column['earliest'])[:10]} to "
                f"{str(column.get('latest'))[:10]}"
            )
    return None


def _performance(ctx: ReportContext) -> list[Block]:
    hold = ctx.holdout
    if not hold:
        return []
    unit = ctx.unit
    rows = [
        [
            "value per decision",
            money(hold["value_per_decision"], unit),
            interval_text(ctx, "value_per_decision", unit),
        ],
        ["total value on held-out rows", money(hold.get("total_value", 0.0), unit), ""],
    ]
    compared = bool((ctx.evaluation or {}).get("policies"))  # then a table of its own
    for name, value in ({} if compared else hold.get("trivial") or {}).items():
        rows.append([f"trivial policy: {policy_name(name, ctx)}", money(value, unit), ""])
    rows.append(
        [
            "uplift over the best trivial policy "
            f"({policy_name(hold.get('best_trivial', ''), ctx)})",
            money(hold.get("uplift_over_trivial", 0.0), unit),
            interval_text(ctx, "uplift_over_trivial", unit),
        ]
    )
    if ctx.binary and not compared and hold.get("perfect_value_per_decision") is not None:
        rows.append(
            ["perfect foresight (ceiling)", money(hold["perfect_value_per_decision"], unit), ""]
        )
    metrics = hold.get("metrics") or {}
    keys: Sequence[str] = (
        ("roc_auc", "pr_auc", "log_loss", "brier", "precision", "recall", "f1", "acted_share")
        if ctx.binary
        else ("mae", "rmse", "r2", "mape", "bias")
    )
    for key in keys:
        if key in metrics:
            rows.append(
                [_metric_name(key), _metric_value(key, metrics[key]), interval_text(ctx, key, "")]
            )
    header = ["measure", "value", "95% interval"]
    if not any(row[2] for row in rows):
        header, rows = header[:2], [row[:2] for row in rows]
    blocks: list[Block] = [
        Heading("Performance on held-out data", 2, "performance"),
        Paragraph(
            f"Measured once, on {hold.get('rows', '?')} rows the model never saw in training or "
            "selection." + (" Intervals are 95% bootstrap intervals." if len(header) == 3 else "")
        ),
        Table(header, rows, numeric=(1,)),
    ]
    if ctx.binary and {"tp", "fp", "tn", "fn"} <= set(metrics):
        blocks.append(
            Paragraph(
                f"At the threshold: {metrics['tp']} true positives, {metrics['fp']} false "
                f"positives, {metrics['tn']} true negatives, {metrics['fn']} false negatives."
            )
        )
    reasons = list(ctx.run.reasons)
    if reasons:
        blocks.append(Bullets([f"Success: {r}" for r in reasons]))
    return blocks


def _drivers(ctx: ReportContext) -> list[Block]:
    importance = ctx.importance
    if importance is None:
        return []
    unit = ctx.unit
    metric = "ROC AUC" if importance.get("metric") == "roc_auc" else "RMSE"
    rows = [
        [
            f"`{f['feature']}`",
            money(f["value_loss"], unit),
            metric_change(f["metric_loss"], importance),
            f"{f['mean_abs_contribution']:.3g}",
        ]
        for f in importance["features"][:10]
    ]
    change = "drop" if importance.get("metric") == "roc_auc" else "rise"
    return [
        Heading("What drives the model", 2, "drivers"),
        Paragraph(
            f"Permutation importance on {importance['rows']} held-out rows "
            f"({importance['repeats']} shuffles each): the value per decision lost when a "
            f"feature is shuffled, and the {change} in {metric}. The last column is the mean "
            f"absolute contribution to the model's {importance.get('contribution_score', 'score')}."
        ),
        Table(
            ["feature", "value lost per decision", f"{metric} {change}", "mean |contribution|"],
            rows,
            numeric=(1, 2, 3),
        ),
    ]


def lineage_blocks(ctx: ReportContext) -> list[Block]:
    run = ctx.run
    commit = run.git_commit[:12] if run.git_commit else "not in a git repository"
    if run.git_commit and run.git_dirty:
        commit += " (with uncommitted changes)"
    versions = {"python": str(run.platform.get("python", "")), **run.packages}
    packages = ", ".join(f"{name} {versions[name]}" for name in _KEY_PACKAGES if versions.get(name))
    platform = ", ".join(f"{k} {v}" for k, v in sorted(run.platform.items()) if k != "python")
    rows = [
        ["model version", str(ctx.version.version)],
        [
            "training run",
            f"{run.id} ({run.started_at:%Y-%m-%d %H:%M:%S} UTC, {run.duration_s:.1f} s)",
        ],
        ["model bundle", f"`{ctx.version.bundle_sha}`"],
        ["project file (spec hash)", f"`{ctx.version.spec_hash}`"],
        ["data snapshot (hash)", f"`{ctx.version.data_hash}`"],
        ["code (git commit)", commit],
        ["seeds", ", ".join(f"{k}={v}" for k, v in sorted(run.seeds.items())) or "-"],
        ["packages", packages or "-"],
        ["platform", platform or "-"],
    ]
    return [Heading("Lineage", 2, "lineage"), Table(["", ""], rows)]


_METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "log_loss": "log loss",
    "brier": "Brier score",
    "precision": "precision at the threshold",
    "recall": "recall at the threshold",
    "f1": "F1 at the threshold",
    "acted_share": "share of cases acted on",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
    "r2": "R²",
    "mape": "mean absolute percentage error",
    "bias": "mean error (bias)",
}


def _metric_name(key: str) -> str:
    return _METRIC_NAMES.get(key, key)


def _metric_value(key: str, value: Any) -> str:
    if key in ("acted_share", "mape"):
        return percent(float(value))
    if key in ("mae", "rmse", "bias"):
        return format_number(float(value))
    return f"{float(value):.4f}"
