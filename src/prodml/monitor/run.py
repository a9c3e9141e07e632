"""One monitoring pass: profile the log's windows, compare, estimate, measure, alert.

``run_monitor`` is what ``prodml monitor`` and ``Project.monitor`` call. For the monitored
version (the champion unless told otherwise) and each window of the prediction log:

* drift of every feature and of the prediction against the reference profile, and the
  dataset's drift share weighted by feature importance (:mod:`~prodml.monitor.drift`);
* data quality (:mod:`~prodml.monitor.quality`) and system health of every version and variant;
* realised value per decision with its interval once labels arrived
  (:mod:`~prodml.monitor.performance`), and the value estimated from the calibrated
  probabilities for every window (:mod:`~prodml.monitor.estimation`);
* for the latest window, the domain classifier (:mod:`~prodml.monitor.domain`).

Then the alert rules are checked on the windows and incidents are opened or resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.errors import UserError
from prodml.jsonsafe import jsonable
from prodml.monitor.drift import ColumnDrift, DriftRule, column_drift
from prodml.monitor.profiles import Profile

if TYPE_CHECKING:
    from concurrent.futures import Future

    from prodml.monitor.logquery import LogCounts, Scope
    from prodml.monitor.scan import ScoredRows
    from prodml.project import Project
    from prodml.registry.bundle import ModelBundle
    from prodml.spec import MonitoringSection

__all__ = ["MonitorReport", "run_monitor"]


@dataclass
class MonitorReport:
    """Everything one pass found; ``to_dict`` is the ``--json`` output and the dashboard input."""

    project: str
    version: int
    task: str
    unit: str
    window: str
    generated_at: datetime
    reference: dict[str, Any]
    windows: list[dict[str, Any]]
    health: list[dict[str, Any]]
    domain: dict[str, Any] | None
    weights: dict[str, float]
    weights_source: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    open_alerts: list[dict[str, Any]] = field(default_factory=list)
    sink_failures: list[str] = field(default_factory=list)

    @property
    def firing(self) -> bool:
        """Whether any rule holds now (what ``prodml monitor --check`` exits 1 on)."""
        return any(check["holds"] for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "project": self.project,
                "version": self.version,
                "task": self.task,
                "unit": self.unit,
                "window": self.window,
                "generated_at": self.generated_at,
                "reference": self.reference,
                "windows": self.windows,
                "health": self.health,
                "domain": self.domain,
                "weights": self.weights,
                "weights_source": self.weights_source,
                "checks": self.checks,
                "events": self.events,
                "open_alerts": self.open_alerts,
                "sink_failures": self.sink_failures,
                "firing": self.firing,
            }
        )


def run_monitor(
    project: Project,
    *,
    window: str | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    model: str | int | None = None,
    alerts: bool = True,
    domain: bool | None = None,
) -> MonitorReport:
    """Monitor ``model`` (default ``monitoring.model``, the champion) over the prediction log."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from prodml.monitor.logquery import Scope, log_counts, parse_window
    from prodml.monitor.reference import importance_weights, load_reference
    from prodml.store import log_root

    spec = project.spec
    settings = spec.monitoring
    window_text = window or settings.window
    length = parse_window(window_text, where="--window" if window else "monitoring.window")
    every_version = Scope(log_root(project.root), None, length, since, until)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prodml-monitor")
    try:
        # quality and health need neither the model nor its features: DuckDB counts them
        # (without the GIL, on the core this thread leaves idle) while this thread imports
        # the registry, loads the model and folds the streamed features
        counted = pool.submit(log_counts, every_version)
        record = project.store.metadata.resolve(model if model is not None else settings.model)
        bundle = _bundle(project, record)
        reference = load_reference(project.store, record, bundle)
        scope = replace(every_version, version=record.version)
        weights, weights_source = importance_weights(bundle)
        _check_columns(settings, bundle)
        windows, health = _windows(project, scope, bundle, reference, weights, settings, counted)
    finally:  # the counts were awaited, or an error (no such model) is not kept waiting for them
        pool.shutdown(wait=False)
    _health(scope, windows, health)
    reference_metrics = {
        "value_per_decision": record.value_per_decision,
        "estimated_value_per_decision": record.value_per_decision,
        "roc_auc": record.metrics.get("roc_auc"),
        "estimated_roc_auc": record.metrics.get("roc_auc"),
    }
    found_domain = None
    use_domain = settings.drift.domain_classifier if domain is None else domain
    if use_domain and windows:
        found_domain = _domain(project, scope, bundle, record, windows[-1], settings)
        windows[-1]["metrics"]["domain_auc"] = found_domain.get("roc_auc")
    report = MonitorReport(
        project=project.name,
        version=record.version,
        task=bundle.task,
        unit=spec.problem.unit,
        window=window_text,
        generated_at=datetime.now(UTC),
        reference={
            "rows": reference.rows,
            "source": reference.source,
            "held_out": reference_metrics,
            "model_kind": record.model_kind,
            "decision_rule": bundle.decision_rule,
        },
        windows=windows,
        health=health,
        domain=found_domain,
        weights=weights,
        weights_source=weights_source,
    )
    if alerts:
        _alert(project, report, reference_metrics)
    return report


def _windows(
    project: Project,
    scope: Scope,
    bundle: ModelBundle,
    reference: Profile,
    weights: dict[str, float],
    settings: MonitoringSection,
    counted: Future[LogCounts],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every window's drift, quality, performance and metrics; and the health rows."""
    from prodml.monitor.quality import volume_ratios, window_quality
    from prodml.monitor.scan import scan_log

    expressions = project.spec.problem.value_expressions()
    value_columns = sorted({c for e in expressions.values() for c in e.columns})
    rowwise = None
    learned = reference.errors.get("learned") if bundle.task == "regression" else None
    if learned:
        from prodml.monitor.errormodel import ErrorModel

        rowwise = ErrorModel(learned).predict
    segments = project.spec.evaluation.segments
    scan = scan_log(scope, reference, value_columns, segments, rowwise=rowwise)
    logged = counted.result()
    profiles = scan.profiles
    assert scope.version is not None
    counts = logged.of(scope.version)
    starts = sorted(set(profiles) | set(counts))
    volumes = volume_ratios(
        {s: counts.get(s, {}).get("rows", 0) for s in starts}, settings.volume_tolerance
    )
    performance = _performance(project, bundle, settings, reference.errors, scan.rows)
    out = []
    for start in starts:
        profile = profiles.get(start)
        drift = _drift(reference, profile, weights, settings) if profile else None
        quality = window_quality(counts.get(start), profile)
        ratio, anomaly = volumes[start]
        quality["volume_ratio"], quality["volume_anomaly"] = ratio, anomaly
        realised, estimated = performance.get(start, ({}, {}))
        metrics = {
            "rows": quality["rows"],
            "value_per_decision": realised.get("value_per_decision"),
            "estimated_value_per_decision": estimated.get("value_per_decision"),
            "roc_auc": (realised.get("metrics") or {}).get("roc_auc"),
            "estimated_roc_auc": estimated.get("roc_auc"),
            "labelled_share": realised.get("labelled_share"),
            "drift_share": drift["drift_share"] if drift and drift["judged"] else None,
            "prediction_drift": (drift or {}).get("prediction", {}).get("effect"),
            "rejected_share": quality["rejected_share"],
            "repaired_share": quality["repaired_share"],
            "missing_share": quality["missing_share"],
            "unseen_share": quality["unseen_share"],
            "duplicate_ids": float(quality["duplicate_ids"]),
            "volume_ratio": ratio,
        }
        out.append(
            {
                "start": start,
                "end": start + scope.window,
                "rows": quality["rows"],
                "metrics": metrics,
                "drift": drift,
                "quality": quality,
                "performance": realised,
                "estimate": estimated,
            }
        )
    return out, logged.health


def _drift(
    reference: Profile, current: Profile, weights: dict[str, float], settings: MonitoringSection
) -> dict[str, Any]:
    drift = settings.drift
    results: list[ColumnDrift] = []
    for name, column in reference.features.items():
        override = drift.columns.get(name)
        if override is not None and override.ignore:
            continue
        rule = DriftRule(
            method=override.method if override else "auto",
            threshold=override.threshold if override else None,
            alpha=(override.alpha if override and override.alpha else drift.alpha),
            min_rows=drift.min_rows,
        )
        results.append(column_drift(column, current.features[name], rule))
    judged = [r for r in results if r.judged]
    total = sum(weights.get(r.column, 0.0) for r in judged)
    share = (
        sum(weights.get(r.column, 0.0) for r in judged if r.drifted) / total if total > 0 else 0.0
    )
    prediction = None
    if reference.prediction is not None and current.prediction is not None:
        rule = DriftRule(alpha=drift.alpha, min_rows=drift.min_rows)
        prediction = column_drift(reference.prediction, current.prediction, rule).to_dict()
    return {
        "judged": bool(judged),
        "columns": [r.to_dict() for r in results],
        "drifted_columns": [r.column for r in results if r.drifted],
        "drift_share": share,
        "unweighted_share": sum(r.drifted for r in judged) / len(judged) if judged else 0.0,
        "dataset_drifted": bool(judged) and share >= drift.dataset_share,
        "prediction": prediction or {},
    }


def _performance(
    project: Project,
    bundle: ModelBundle,
    settings: MonitoringSection,
    errors: dict[str, Any],
    scored: dict[datetime, ScoredRows],
) -> dict[datetime, tuple[dict[str, Any], dict[str, Any]]]:
    """Realised (labelled rows) and estimated (all rows) performance of each window."""
    from prodml.evaluate.value import BinaryValues
    from prodml.monitor.estimation import estimate_binary, estimate_regression
    from prodml.monitor.performance import labels_of, realised_performance, row_values

    spec = project.spec
    expressions = spec.problem.value_expressions()
    out = {}
    for start, rows in scored.items():
        n = len(rows.score)
        segments = {s: rows.columns[s] for s in spec.evaluation.segments if s in rows.columns}
        labelled, y = labels_of(bundle.task, rows.label, rows.label_value, bundle.positive_label)
        try:
            values = row_values(bundle.task, expressions, rows.columns, n)
        except UserError:  # missing values in a value column: value not computed
            values = None
        realised = realised_performance(
            task=bundle.task,
            score=rows.score,
            decision=rows.decision,
            labelled=labelled,
            y=y,
            values=values,
            threshold=bundle.decision_rule,
            segments=segments,
            resamples=settings.bootstrap,
            seed=spec.evaluation.seed,
        )
        estimated: dict[str, Any] = {}
        if bundle.task == "binary":
            binary = values if isinstance(values, BinaryValues) else None
            acted = rows.decision >= 0.5
            estimated = estimate_binary(rows.score, acted, binary)
            if labelled.any() and binary is not None:
                on_labelled = estimate_binary(
                    rows.score[labelled], acted[labelled], binary.take(np.flatnonzero(labelled))
                )
                estimated["labelled_value_per_decision"] = on_labelled.get("value_per_decision")
        else:
            estimated = estimate_regression(rows.score, errors, rows.estimates)
        out[start] = (realised, estimated)
    return out


def _health(scope: Any, windows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """The monitored version's requests, latency and error share into each window's metrics."""
    by_start = {w["start"]: w for w in windows}
    answered: dict[Any, tuple[int, int]] = {}  # window -> (records, failed) of the version
    for row in rows:
        window = by_start.get(row["window"])
        if window is not None and row["version"] == scope.version and row["variant"] != "shadow":
            metrics = window["metrics"]
            metrics["requests"] = float(row["requests"]) + (metrics.get("requests") or 0.0)
            for key in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
                if row[key] is not None:
                    metrics[key] = max(float(row[key]), metrics.get(key) or 0.0)
            records, failed = answered.get(row["window"], (0, 0))
            answered[row["window"]] = (records + row["records"], failed + row["errors"])
    for start, (records, failed) in answered.items():
        by_start[start]["metrics"]["error_share"] = failed / records if records else 0.0


def _domain(
    project: Project,
    scope: Any,
    bundle: ModelBundle,
    record: Any,
    latest: dict[str, Any],
    settings: MonitoringSection,
) -> dict[str, Any]:
    from dataclasses import replace

    from prodml.monitor.domain import domain_classifier
    from prodml.monitor.logquery import sample_features
    from prodml.monitor.profiles import feature_kinds
    from prodml.registry.datasets import dataset_frame

    kinds: dict[str, str] = dict(feature_kinds(bundle.contract, list(bundle.features)))
    half = settings.drift.domain_max_rows // 2
    seed = project.spec.evaluation.seed
    current = sample_features(
        replace(scope, since=latest["start"], until=latest["end"]),
        {n: "DOUBLE" if k == "numeric" else "VARCHAR" for n, k in kinds.items()},
        half,
        seed,
    )
    frame = dataset_frame(project.store, project.store.metadata.get_dataset(record.data_hash))
    if len(frame) > half:
        frame = frame.sample(n=half, random_state=seed)
    result = domain_classifier(frame, current, kinds, seed=seed)
    result["window"] = latest["start"]
    return result


def _alert(project: Project, report: MonitorReport, reference: dict[str, Any]) -> None:
    from prodml.monitor.alerts import (
        DEFAULT_RULES,
        check_rules,
        event_payload,
        list_alerts,
        sync_incidents,
    )
    from prodml.monitor.sinks import deliver

    settings = project.spec.monitoring
    rules = list(settings.alerts) if settings.alerts is not None else list(DEFAULT_RULES)
    windows = [(w["start"], w["metrics"]) for w in report.windows]
    checks = check_rules(rules, windows, reference, unit=report.unit)
    report.checks = [
        {
            "rule": c.rule.label,
            "metric": c.rule.metric,
            "severity": c.rule.severity,
            "holds": c.holds,
            "value": c.value,
            "threshold": c.threshold,
            "window": c.window,
            "message": c.message,
        }
        for c in checks
    ]
    engine = project.store.metadata.engine
    events = sync_incidents(engine, project.name, checks, version=report.version)
    for kind, alert in events:
        payload = event_payload(kind, alert, project=project.name)
        report.events.append(payload)
        report.sink_failures += deliver(list(settings.sinks), payload, base_dir=project.root)
    report.open_alerts = [a.to_dict() for a in list_alerts(engine, project.name, firing_only=True)]


def _bundle(project: Project, record: Any) -> ModelBundle:
    """The version's bundle; without its fitted pipeline when a reference profile is stored
    (monitoring then needs no model, and skips unpickling it and importing scikit-learn)."""
    from prodml.registry.bundle import ModelBundle

    data = project.store.artifacts.get_bytes(record.bundle_sha)
    where = f"model version {record.version}"
    light = ModelBundle.from_bytes(data, where=where, pipeline=False)
    return light if light.profile else ModelBundle.from_bytes(data, where=where)


def _check_columns(settings: MonitoringSection, bundle: ModelBundle) -> None:
    unknown = sorted(set(settings.drift.columns) - set(bundle.features))
    if unknown:
        raise UserError(
            f"monitoring.drift.columns.{unknown[0]}: the model has no feature {unknown[0]!r}",
            where="prodml.yaml",
            fix="use one of the model's features: " + ", ".join(bundle.features[:30]),
        )


def _utc(moment: Any) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
