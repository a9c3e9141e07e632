"""The scoring service every protocol calls: route, validate, score, decide, log, count.

One request, whatever protocol it came in (``/predict``, KServe V2, MLflow ``/invocations``),
goes through :meth:`Service.predict`:

1. read the routing once (a swap during the request cannot mix models);
2. assign each record to champion or challenger (sticky by entity id, see ``_router``);
3. per variant, validate and repair the records with that model's validator, score the
   accepted ones on the compiled fast path, and take the business decision;
4. append one row per record to the prediction log's write-ahead file (the answer is only
   sent once this returned: an acknowledged prediction is never lost), count metrics;
5. hand the records to the shadow worker, off the response path.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml import fastjson
from prodml.data.validation_small import SMALL_BATCH
from prodml.errors import RequestError, UnavailableError
from prodml.serve._batcher import Batcher
from prodml.serve._ids import new_id

if TYPE_CHECKING:
    from prodml.serve._metrics import Metrics
    from prodml.serve._model import ServedModel
    from prodml.serve._precomputed import Precomputed
    from prodml.serve._router import Routing
    from prodml.serve._security import Tokens
    from prodml.serve._shadow import ShadowWorker
    from prodml.serve._watcher import RoutingWatcher
    from prodml.spec import Spec
    from prodml.store import EventLog

__all__ = ["Job", "Scored", "ServeConfig", "Service"]

_log = logging.getLogger("prodml.serve")


@dataclass(frozen=True)
class ServeConfig:
    root: Path
    spec: Spec
    name: str
    log_root: Path

    @property
    def id_column(self) -> str | None:
        return self.spec.data.id_column

    @property
    def serving(self) -> Any:
        return self.spec.serving


@dataclass
class Scored:
    """One request's answer, column-wise (protocols render it as records or tensors)."""

    request_id: str
    status: list[str]
    prediction_id: list[str]
    score: list[float | None]
    decision: list[Any]
    label: list[Any]
    version: list[int]
    variant: list[str]
    assignment: list[str]
    repairs: list[list[dict[str, Any]]]
    errors: list[list[dict[str, Any]]]
    task: str
    reasons: list[Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    features: list[dict[str, Any] | None] = field(default_factory=list)
    source: list[str] = field(default_factory=list)  # live, or precomputed (a batch score)

    def __post_init__(self) -> None:
        if not self.features:
            self.features = [None] * len(self.status)
        if not self.source:
            self.source = ["live"] * len(self.status)

    def __len__(self) -> int:
        return len(self.status)

    @property
    def valid(self) -> int:
        return len(self.status) - self.counts.get("rejected", 0)


@dataclass(frozen=True)
class Job:
    """One request's records and how to answer them."""

    records: list[Any]
    endpoint: str
    started: float
    explain: bool = False
    version: int | None = None


class Service:
    def __init__(
        self,
        config: ServeConfig,
        *,
        watcher: RoutingWatcher,
        predictions: EventLog,
        feedback: EventLog,
        metrics: Metrics,
        tokens: Tokens,
        shadow: ShadowWorker | None = None,
        precomputed: Precomputed | None = None,
    ) -> None:
        self.config = config
        self.precomputed = precomputed
        self.tokens = tokens
        self.watcher = watcher
        self.predictions = predictions
        self.feedback = feedback
        self.metrics = metrics
        self.shadow = shadow
        self.draining = False
        self.batcher = Batcher(self.predict_many, inline=_small)

    # -- state -----------------------------------------------------------------------------------

    def routing(self) -> Routing:
        routing = self.watcher.routing
        if routing is None or self.draining:
            raise UnavailableError(
                "the server is shutting down"
                if self.draining
                else "no model is loaded yet"
                + (f": {self.watcher.error}" if self.watcher.error else ""),
                fix="retry shortly; GET /v2/health/ready says when the server can answer",
            )
        return routing

    @property
    def ready(self) -> bool:
        return self.watcher.routing is not None and not self.draining

    # -- predictions -----------------------------------------------------------------------------

    def predict(
        self,
        records: Sequence[Any],
        *,
        endpoint: str,
        started: float,
        explain: bool = False,
        version: int | None = None,
    ) -> Scored:
        """Score one request's records (see the module docstring)."""
        job = Job(list(records), endpoint, started, explain, version)
        outcome = self.predict_many([job])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def submit(
        self,
        records: Sequence[Any],
        *,
        endpoint: str,
        started: float,
        explain: bool = False,
        version: int | None = None,
    ) -> Scored:
        """:meth:`predict`, batched with the requests that arrive while a batch is scored."""
        return await self.batcher.submit(Job(list(records), endpoint, started, explain, version))

    def predict_many(self, jobs: Sequence[Job]) -> list[Scored | BaseException]:
        """Score several requests in one pass per model (one validator and one model call for
        all their records); each request keeps its own answer, ids, errors and log rows."""
        routing = self.routing()
        serving = self.config.serving
        outcomes: list[Scored | BaseException] = []
        accepted: list[tuple[Job, Scored, list[str | None]]] = []
        for job in jobs:
            try:
                scored, entities = self._prepare(job, routing, serving.max_batch_size)
            except RequestError as exc:
                outcomes.append(exc)
                continue
            outcomes.append(scored)
            accepted.append((job, scored, entities))
        groups: dict[tuple[bool, int | None], list[tuple[Job, Scored, list[str | None]]]] = {}
        for item in accepted:
            groups.setdefault((item[0].explain, item[0].version), []).append(item)
        for (explain, version), members in groups.items():
            ids = [entity for member in members for entity in member[2]]
            batch_ok = not explain and version is None  # pinned or explained: always live
            try:
                self._score_jobs(
                    routing,
                    [m[1] for m in members],
                    [m[0] for m in members],
                    explain,
                    ids,
                    batch_ok,
                )
            except Exception as exc:  # a failing model: each request answers 500, logged
                _log.exception("scoring failed for %d request(s)", len(members))
                for job, scored, entities in members:
                    self._log_failure(routing, job, scored, entities)
                    outcomes[next(k for k, o in enumerate(outcomes) if o is scored)] = exc
                continue
            for job, scored, entities in members:
                latency_ms = (time.perf_counter() - job.started) * 1000.0
                self._log(scored, entities, scored.features, job.endpoint, latency_ms)
        if self.shadow is not None and routing.shadow is not None and serving.shadow:
            for job, scored, entities in accepted:
                self.shadow.submit((routing.shadow, job.records, scored, entities, job.endpoint))
        return outcomes

    def _prepare(self, job: Job, routing: Routing, limit: int) -> tuple[Scored, list[str | None]]:
        records = job.records
        n = len(records)
        if n == 0:
            raise RequestError(
                "the request has no records",
                code="empty_batch",
                where="records",
                fix="send at least one record",
            )
        if n > limit:
            raise RequestError(
                f"{n} records in one request; this server accepts at most {limit}",
                code="too_many_records",
                where="records",
                fix="split the batch (or raise serving.max_batch_size in prodml.yaml); for large "
                "files use batch scoring",
            )
        entities = self._entities(records)
        if job.version is not None:
            if routing.by_version(job.version) is None:
                raise RequestError(
                    f"version {job.version} is not being served",
                    code="not_found",
                    where="version",
                    fix=f"served versions: {routing.versions}",
                )
            name = next(k for k, v in routing.versions.items() if v == job.version)
            variants, assignments = [name] * n, ["pinned"] * n
        else:
            variants, assignments = routing.assign(entities)
        request_id = new_id(12)
        scored = Scored(
            request_id=request_id,
            status=[""] * n,
            prediction_id=[f"{request_id}-{i}" for i in range(n)],
            score=[None] * n,
            decision=[None] * n,
            label=[None] * n,
            version=[0] * n,
            variant=variants,
            assignment=assignments,
            repairs=[[] for _ in range(n)],
            errors=[[] for _ in range(n)],
            task=routing.champion.task,
            reasons=[None] * n if job.explain else None,
        )
        return scored, entities

    def _score_jobs(
        self,
        routing: Routing,
        answers: list[Scored],
        jobs: list[Job],
        explain: bool,
        entities: list[str | None],
        batch_ok: bool,
    ) -> None:
        """Score the records of several requests together, writing into each one's answer;
        with ``batch_ok``, champion records with a usable batch score take it instead."""
        if len(jobs) == 1:  # one request (an idle server): its own answer is the batch
            self._score_records(
                routing, answers[0], jobs[0].records, answers[0].features, entities, batch_ok
            )
            self._count(answers[0])
            return
        records: list[Any] = []
        owners: list[tuple[Scored, int]] = []
        for job, scored in zip(jobs, answers, strict=True):
            records.extend(job.records)
            owners.extend((scored, i) for i in range(len(job.records)))
        combined = Scored(
            request_id="",
            status=[""] * len(records),
            prediction_id=[""] * len(records),
            score=[None] * len(records),
            decision=[None] * len(records),
            label=[None] * len(records),
            version=[0] * len(records),
            variant=[scored.variant[i] for scored, i in owners],
            assignment=[],
            repairs=[[] for _ in records],
            errors=[[] for _ in records],
            task=routing.champion.task,
            reasons=[None] * len(records) if explain else None,
        )
        features: list[dict[str, Any] | None] = [None] * len(records)
        self._score_records(routing, combined, records, features, entities, batch_ok)
        for position, (scored, i) in enumerate(owners):
            scored.status[i] = combined.status[position]
            scored.score[i] = combined.score[position]
            scored.decision[i] = combined.decision[position]
            scored.label[i] = combined.label[position]
            scored.version[i] = combined.version[position]
            scored.repairs[i] = combined.repairs[position]
            scored.errors[i] = combined.errors[position]
            scored.features[i] = features[position]
            scored.source[i] = combined.source[position]
            if scored.reasons is not None and combined.reasons is not None:
                scored.reasons[i] = combined.reasons[position]
        for scored in answers:
            self._count(scored)

    def _score_records(
        self,
        routing: Routing,
        scored: Scored,
        records: Sequence[Any],
        features: list[dict[str, Any] | None],
        entities: list[str | None],
        batch_ok: bool,
    ) -> None:
        """Precomputed answers first (if allowed), then each variant's records with its model."""
        answered = self._answer_precomputed(routing, scored, entities) if batch_ok else set()
        groups: dict[str, list[int]] = {}
        for position, variant in enumerate(scored.variant):
            if position not in answered:
                groups.setdefault(variant, []).append(position)
        explain = scored.reasons is not None
        for variant, positions in groups.items():
            model = routing.model(variant)
            self._score_group(model, variant, records, positions, scored, features, explain)

    @staticmethod
    def _count(scored: Scored) -> None:
        counts = {"ok": 0, "repaired": 0, "rejected": 0}
        for status in scored.status:
            counts[status] += 1
        scored.counts = counts

    def _answer_precomputed(
        self, routing: Routing, combined: Scored, entities: list[str | None]
    ) -> set[int]:
        """Fill in the champion records that have a fresh batch score of the champion's
        version (see :mod:`prodml.serve._precomputed`); the positions answered."""
        precomputed = self.precomputed
        if precomputed is None or not precomputed.usable(routing.champion.version):
            return set()
        positions = [i for i, v in enumerate(combined.variant) if v == "champion" and entities[i]]
        answered: set[int] = set()
        hits = precomputed.lookup([entities[i] for i in positions])
        for i, hit in zip(positions, hits, strict=True):
            if hit is None:
                continue
            combined.status[i] = hit.status
            combined.score[i] = hit.score
            combined.decision[i] = hit.decision
            combined.label[i] = hit.label
            combined.version[i] = hit.version
            combined.source[i] = "precomputed"
            answered.add(i)
        if answered:
            self.metrics.precomputed.inc(len(answered))
        return answered

    def _score_group(
        self,
        model: ServedModel,
        variant: str,
        records: Sequence[Any],
        positions: list[int],
        scored: Scored,
        features: list[dict[str, Any] | None],
        explain: bool,
    ) -> None:
        from prodml.serve._validation import check_records

        began = time.perf_counter()
        subset = [records[i] for i in positions] if len(positions) != len(records) else records
        clean = None if explain else model.clean(subset)
        if clean is not None:
            self._score_clean(model, variant, positions, clean, scored, features, began)
            return
        checked = check_records(model.validator, list(subset))
        accepted = checked.accepted
        version_label = str(model.version)
        for k, i in enumerate(positions):
            scored.status[i] = checked.status[k]
            scored.repairs[i] = checked.repairs[k]
            scored.errors[i] = checked.errors[k]
            scored.version[i] = model.version
        if len(accepted):
            scores = model.scores(checked.columns, len(accepted))
            decisions = model.decisions(scores)
            binary = model.task == "binary"
            names = list(checked.columns)
            for j, k in enumerate(accepted.tolist()):
                i = positions[k]
                value = float(scores[j])
                scored.score[i] = value
                if binary:
                    act = bool(decisions[j])
                    scored.decision[i] = act
                    scored.label[i] = model.label(act)
                else:
                    scored.decision[i] = float(decisions[j])
                    scored.label[i] = value
                features[i] = {name: _plain(checked.columns[name][j]) for name in names}
            if explain:
                self._explain(
                    model, checked.frame, [positions[k] for k in accepted.tolist()], scored
                )
        elapsed = time.perf_counter() - began
        metrics = self.metrics
        metrics.observe(metrics.scoring, (version_label, variant), elapsed)
        for status in ("ok", "repaired", "rejected"):
            count = sum(1 for k in range(len(positions)) if checked.status[k] == status)
            if count:
                metrics.add(metrics.records, (version_label, variant, status), count)
        rejected = sum(1 for s in checked.status if s == "rejected")
        if rejected:
            metrics.add(metrics.rejections, (version_label, variant), rejected)
        for items in checked.repairs:
            for item in items:
                metrics.add(metrics.repairs, (version_label, variant, str(item["field"])))

    def _score_clean(
        self,
        model: ServedModel,
        variant: str,
        positions: list[int],
        clean: list[dict[str, Any]],
        scored: Scored,
        features: list[dict[str, Any] | None],
        began: float,
    ) -> None:
        """:meth:`_score_group` for records the validator would pass untouched (see
        :mod:`prodml.data.validation_clean`): status ok, no repairs, the values as sent."""
        scores = model.scores_of_values(clean).tolist()
        binary = model.task == "binary"
        rule = model.decision_rule
        version = model.version
        for k, i in enumerate(positions):
            value = scores[k]
            scored.status[i] = "ok"
            scored.version[i] = version
            scored.score[i] = value
            if binary:
                act = value >= rule  # ModelBundle.decide, on the same float64
                scored.decision[i] = act
                scored.label[i] = model.label(act)
            else:
                scored.decision[i] = value + rule
                scored.label[i] = value
            features[i] = clean[k]
        metrics = self.metrics
        label = str(version)
        metrics.observe(metrics.scoring, (label, variant), time.perf_counter() - began)
        metrics.add(metrics.records, (label, variant, "ok"), len(positions))

    def _explain(
        self, model: ServedModel, frame: Any, positions: list[int], scored: Scored
    ) -> None:
        from prodml.explain import explain_frame

        explanations = explain_frame(model.bundle, frame.reset_index(drop=True), top=5)
        assert scored.reasons is not None
        for i, explanation in zip(positions, explanations, strict=True):
            payload = explanation.to_dict()
            scored.reasons[i] = payload.get("reasons", payload)

    def _entities(self, records: Sequence[Any]) -> list[str | None]:
        column = self.config.id_column
        if column is None:
            return [None] * len(records)
        out: list[str | None] = []
        for record in records:
            value = record.get(column) if isinstance(record, dict) else None
            if value is None or (isinstance(value, float) and math.isnan(value)):
                out.append(None)
            elif isinstance(value, float) and value.is_integer():
                out.append(str(int(value)))
            elif isinstance(value, str | int | float | bool):
                out.append(str(value)[:200])
            else:
                out.append(None)
        return out

    # -- logging -----------------------------------------------------------------------------------

    def _log(
        self,
        scored: Scored,
        entities: list[str | None],
        features: list[dict[str, Any] | None],
        endpoint: str,
        latency_ms: float,
        *,
        suffix: str = "",
    ) -> None:
        ts = int(time.time() * 1_000_000)
        routing = self.watcher.routing
        rules = routing.decision_rules if routing is not None else {}
        rows = []
        for i in range(len(scored)):  # decision: 1/0 act (binary) or the decided value
            decision = scored.decision[i]
            rows.append(
                {
                    "prediction_id": scored.prediction_id[i] + suffix,
                    "request_id": scored.request_id,
                    "ts": ts,
                    "endpoint": endpoint,
                    "model_version": scored.version[i],
                    "variant": scored.variant[i],
                    "entity_id": entities[i],
                    "assignment": scored.assignment[i],
                    "status": scored.status[i],
                    "score": scored.score[i],
                    "decision": None if decision is None else float(decision),
                    "decision_rule": rules.get(scored.version[i]),
                    "latency_ms": latency_ms,
                    "features": None if features[i] is None else _json(features[i]),
                    "repairs": _json(scored.repairs[i]) if scored.repairs[i] else None,
                    "errors": _json(scored.errors[i]) if scored.errors[i] else None,
                    "source": scored.source[i],
                }
            )
        try:
            self.predictions.append(rows, owned=True)
        except OSError as exc:
            _log.error("cannot write the prediction log: %s", exc)
            raise UnavailableError(
                "the prediction log cannot be written, so no prediction is answered",
                fix="check the disk space and permissions of the log directory "
                "(PRODML_LOG_DIR, default .prodml/ beside prodml.yaml)",
            ) from exc

    def _log_failure(
        self, routing: Routing, job: Job, scored: Scored, entities: list[str | None]
    ) -> None:
        """Log the records of a request that failed while scoring as ``error`` rows, so that
        monitoring and the promotion guard count failed requests, not only answered ones."""
        for i in range(len(scored)):
            scored.status[i] = "error"
            scored.version[i] = routing.model(scored.variant[i]).version
            scored.score[i] = scored.decision[i] = None
            scored.errors[i] = [{"field": None, "message": "internal error while scoring"}]
        latency_ms = (time.perf_counter() - job.started) * 1000.0
        self._log(scored, entities, [None] * len(scored), job.endpoint, latency_ms)

    def score_shadow(self, job: Any) -> None:
        """The shadow worker's task: validate, score and log with the shadow model."""
        model, records, served, entities, endpoint = job
        started = time.perf_counter()
        n = len(records)
        shadow = Scored(
            request_id=served.request_id,
            status=[""] * n,
            prediction_id=list(served.prediction_id),
            score=[None] * n,
            decision=[None] * n,
            label=[None] * n,
            version=[0] * n,
            variant=["shadow"] * n,
            assignment=["shadow"] * n,
            repairs=[[] for _ in range(n)],
            errors=[[] for _ in range(n)],
            task=model.task,
        )
        features: list[dict[str, Any] | None] = [None] * n
        self._score_group(model, "shadow", records, list(range(n)), shadow, features, False)
        latency_ms = (time.perf_counter() - started) * 1000.0
        self._log(shadow, entities, features, endpoint, latency_ms, suffix=".shadow")

    # -- feedback ----------------------------------------------------------------------------------

    def record_feedback(self, items: Sequence[Any]) -> list[str]:
        if not items:
            raise RequestError(
                "no feedback items", code="empty_batch", where="feedback", fix="send at least one"
            )
        if len(items) > self.config.serving.max_batch_size * 10:
            raise RequestError(
                f"{len(items)} feedback items in one request",
                code="too_many_records",
                where="feedback",
                fix=f"send at most {self.config.serving.max_batch_size * 10} per request",
            )
        ts = int(time.time() * 1_000_000)
        rows = []
        ids = []
        for i, item in enumerate(items):
            where = f"feedback[{i}]"
            if not isinstance(item, dict):
                raise RequestError(
                    "each feedback item must be an object",
                    code="invalid_request",
                    where=where,
                    fix='send {"prediction_id": "...", "label": ...} or {"entity_id": ...}',
                )
            prediction_id = _short_text(item.get("prediction_id"))
            entity_id = _short_text(item.get("entity_id"))
            if prediction_id is None and entity_id is None:
                raise RequestError(
                    "a feedback item needs a prediction_id or an entity_id",
                    code="invalid_request",
                    where=where,
                    fix="use the prediction_id a prediction answered, or the entity id",
                )
            label = item.get("label")
            if not isinstance(label, str | int | float | bool) or (
                isinstance(label, float) and not math.isfinite(label)
            ):
                raise RequestError(
                    "label must be the observed outcome: a string, number or boolean",
                    code="invalid_request",
                    where=f"{where}.label",
                    fix=f"send the value of {self.config.spec.problem.target} that was observed",
                )
            number = (
                float(label)
                if isinstance(label, int | float) and not isinstance(label, bool)
                else None
            )
            text = _label_text(label)
            feedback_id = secrets.token_hex(12)
            ids.append(feedback_id)
            rows.append(
                {
                    "feedback_id": feedback_id,
                    "ts": ts,
                    "prediction_id": prediction_id,
                    "entity_id": entity_id,
                    "label": text[:1000],
                    "label_value": number,
                }
            )
        try:
            self.feedback.append(rows)
        except OSError as exc:
            raise UnavailableError(
                "the feedback log cannot be written",
                fix="check the disk space and permissions of the log directory",
            ) from exc
        return ids


def _small(jobs: Sequence[Job]) -> bool:
    """Whether a batch is cheap enough to score on the event loop (see ``_batcher``): as many
    records as the validator judges without pandas, and no explanations."""
    return sum(len(job.records) for job in jobs) <= SMALL_BATCH and not any(
        job.explain for job in jobs
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and len(value) > 1000:
        return value[:1000]
    return value


def _json(value: Any) -> str:
    return fastjson.dumps(value, default=str).decode()


def _short_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text[:200] if text else None


def _label_text(label: Any) -> str:
    if isinstance(label, bool):
        return "true" if label else "false"
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return str(label)
