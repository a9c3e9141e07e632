"""The Python API twin of the CLI: ``prodml.Project(path).train()`` and friends.

Notebooks, orchestrators and the CLI all drive this facade, so there is one code path from a
project file to a registered model. Heavy libraries are imported inside methods: constructing a
``Project`` or importing ``prodml`` stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from prodml.errors import DataError, SpecError, UserError
from prodml.spec import SPEC_FILENAME, Spec, SqlSource, load_spec

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from prodml.batch import ScoreSummary
    from prodml.data import Records, SourceDigest, ValidationResult
    from prodml.data.diff import DatasetDiff
    from prodml.evaluate.report import EvaluationReport
    from prodml.explain import Explanation, HeldOut
    from prodml.export import ExportReport
    from prodml.maintain.ab import ABStatus
    from prodml.maintain.journal import ABTest, HistoryEntry
    from prodml.maintain.step import MaintainReport
    from prodml.monitor.alerts import Alert
    from prodml.monitor.feedback import FeedbackReceipt
    from prodml.monitor.run import MonitorReport
    from prodml.registry.bundle import ModelBundle
    from prodml.registry.datasets import DatasetInfo
    from prodml.registry.lineage import Lineage
    from prodml.report import HeldOutScores
    from prodml.store import AliasMove, ModelVersionRecord, RunRecord, Store
    from prodml.train.trainer import TrainingOutcome

__all__ = ["Project", "TrainReport"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainReport:
    """What ``train`` did: the run, the version it registered (if any) and why."""

    run_id: int
    version: int | None
    champion: bool
    data_hash: str
    spec_hash: str
    outcome: TrainingOutcome = field(repr=False)
    duration_s: float = 0.0

    @property
    def registered(self) -> bool:
        return self.version is not None


class Project:
    """A folder holding ``prodml.yaml``; its store lives in ``.prodml/`` unless a URL says else."""

    def __init__(self, path: str | Path = ".") -> None:
        self.root = Path(path).resolve()
        self.spec_path = self.root / SPEC_FILENAME

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"

    @cached_property
    def spec(self) -> Spec:
        return load_spec(self.spec_path)

    @property
    def name(self) -> str:
        return self.spec.name or self.root.name

    @cached_property
    def store(self) -> Store:
        from prodml.store import open_store

        return open_store(self.root, url=self.spec.store.url, project=self.name)

    # -- reading -------------------------------------------------------------------------------

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        return self.store.metadata.list_runs(limit=limit)

    def models(self) -> list[ModelVersionRecord]:
        return self.store.metadata.list_model_versions()

    def aliases(self) -> dict[str, int]:
        return self.store.metadata.aliases()

    def load_model(self, ref: str | int = "champion") -> ModelBundle:
        """A registered model by version number or alias; its bytes are hash-verified first."""
        from prodml.registry.bundle import ModelBundle

        record = self.store.metadata.resolve(ref)
        data = self.store.artifacts.get_bytes(record.bundle_sha)
        return ModelBundle.from_bytes(data, where=f"model version {record.version}")

    def load_data(self) -> pd.DataFrame:
        from prodml.data import load_source

        return load_source(self.spec.data.source, base_dir=self.root)

    # -- registry moves and serving ----------------------------------------------------------------

    def promote(
        self,
        version: int,
        *,
        role: str = "champion",
        share: float | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> list[AliasMove]:
        """Make ``version`` the champion, the challenger (``share`` of entities) or the shadow.

        A running ``prodml serve`` picks the move up within a second, without a restart.
        """
        from prodml.registry.aliases import promote

        return promote(
            self.store.metadata,
            version,
            role,
            share=share,
            default_share=self.spec.serving.challenger_share,
            reason=reason,
            actor=actor,
        )

    def rollback(self, *, reason: str | None = None, actor: str | None = None) -> AliasMove:
        """Point the champion back at the previous champion (an audited move, live in servers)."""
        from prodml.registry.aliases import rollback

        return rollback(self.store.metadata, reason=reason, actor=actor)

    def serve(self, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
        """Serve the champion (and challenger, shadow) over HTTP until interrupted."""
        from prodml.serve import run_server

        run_server(self.root, host=host, port=port, workers=workers)

    def predictions(self, since: Any = None, until: Any = None) -> pd.DataFrame:
        """The prediction log between ``since`` and ``until`` (UTC datetimes or dates)."""
        from prodml.store import log_root, read_predictions

        return read_predictions(log_root(self.root), since, until)

    @overload
    def feedback(
        self, source: None = None, *, since: Any = None, until: Any = None
    ) -> pd.DataFrame: ...

    @overload
    def feedback(
        self,
        source: str | Path | pd.DataFrame,
        *,
        id_column: str,
        label_column: str | None = None,
        by: Literal["entity", "prediction"] | None = None,
    ) -> FeedbackReceipt: ...

    def feedback(
        self,
        source: str | Path | pd.DataFrame | None = None,
        *,
        id_column: str | None = None,
        label_column: str | None = None,
        by: Literal["entity", "prediction"] | None = None,
        since: Any = None,
        until: Any = None,
    ) -> pd.DataFrame | FeedbackReceipt:
        """Record ground truth from ``source`` (``prodml feedback``), joined to decisions by
        entity id or prediction id from ``id_column``; without a source, read the feedback log
        (labels from ``POST /feedback`` and from files) between ``since`` and ``until``."""
        if source is None:
            from prodml.store import log_root, read_feedback

            return read_feedback(log_root(self.root), since, until)
        from prodml.monitor.feedback import record_feedback

        if not id_column:
            raise UserError(
                "feedback needs the column that names each decision",
                where="id_column",
                fix="pass id_column (the entity id column, or prediction_id)",
            )
        return record_feedback(self, source, id_column=id_column, label_column=label_column, by=by)

    def monitor(
        self,
        *,
        window: str | None = None,
        since: Any = None,
        until: Any = None,
        model: str | int | None = None,
        alerts: bool = True,
        domain: bool | None = None,
    ) -> MonitorReport:
        """Drift, data quality, realised and estimated value, health of a served version, per
        window of the prediction log (``prodml monitor``); alert rules are checked and sinks
        notified unless ``alerts`` is False; ``domain`` turns the domain classifier on or off
        (default: ``monitoring.drift.domain_classifier``)."""
        from prodml.monitor.run import run_monitor

        return run_monitor(
            self,
            window=window,
            since=since,
            until=until,
            model=model,
            alerts=alerts,
            domain=domain,
        )

    def alerts(self, *, firing_only: bool = False) -> list[Alert]:
        """Monitoring incidents, newest first (``prodml alerts``)."""
        from prodml.monitor.alerts import list_alerts

        return list_alerts(self.store.metadata.engine, self.name, firing_only=firing_only)

    # -- maintenance ---------------------------------------------------------------------------

    def maintain(
        self,
        *,
        actor: str | None = None,
        now: datetime | None = None,
        progress: Progress | None = None,
    ) -> MaintainReport:
        """One idempotent maintenance step (``prodml maintain``): the promotion guard, the
        running A/B test, or the retraining policies, whichever applies first."""
        from prodml.maintain.step import maintain

        return maintain(self, actor=actor, now=now, progress=progress)

    def ab(self, *, now: datetime | None = None) -> ABStatus | None:
        """The running A/B test judged now (``prodml ab``); None when no test is running."""
        from prodml.maintain.ab import ab_status
        from prodml.maintain.journal import running_ab_test

        test = running_ab_test(self.store.metadata)
        if test is None:
            return None
        return ab_status(self, test, now=now or datetime.now(UTC))

    def ab_tests(self) -> list[ABTest]:
        """Every A/B test, newest first, with its last result."""
        from prodml.maintain.journal import list_ab_tests

        return list_ab_tests(self.store.metadata)

    def history(self, *, limit: int | None = None) -> list[HistoryEntry]:
        """Every alias move, policy firing, retraining, gate, A/B decision and rollback, oldest
        first (``prodml history``); nothing is ever deleted from it."""
        from prodml.maintain.journal import history

        return history(self.store.metadata, limit=limit)

    # -- batch scoring and export -----------------------------------------------------------

    def score(
        self,
        source: str | Path,
        output: str | Path,
        *,
        model: str | int = "champion",
        engine: str = "local",
        ray_address: str | None = None,
        batch_size: int = 65_536,
        workers: int | None = None,
        query: str | None = None,
        overwrite: bool = False,
        progress: Callable[[int, int | None], None] | None = None,
        say: Progress | None = None,
    ) -> ScoreSummary:
        """Score a CSV/Parquet file, a Parquet folder, an fsspec URL or (with ``query``) a SQL
        URL into a Parquet or CSV file or a folder, streaming in ``batch_size`` row batches.

        Rows are validated by the project's repair policies; rejected rows are kept with their
        reason. An interrupted run resumes from its last completed part; ``output`` appears
        only once complete. ``engine="ray"`` scores on Ray Data (``pip install 'prodml[ray]'``).
        """
        from prodml.batch import score

        return score(
            self,
            str(source),
            str(output),
            model=model,
            engine=engine,
            ray_address=ray_address,
            batch_size=batch_size,
            workers=workers,
            query=query,
            overwrite=overwrite,
            progress=progress,
            say=say,
        )

    def export(
        self,
        out: str | Path,
        *,
        model: str | int = "champion",
        format: str = "onnx",
        tolerance: float | None = None,
        overwrite: bool = False,
    ) -> ExportReport:
        """Write an offline/edge bundle of a version: ONNX model (preprocessing, model,
        calibration, threshold), contract, standalone scorer ``prodml_edge`` and a README.

        Parity with ``ModelBundle.predict`` is checked on the held-out rows first; the export
        is refused above ``tolerance`` (``pip install 'prodml[export]'``).
        """
        from prodml.export import export_model

        return export_model(
            self, Path(out), model=model, format=format, tolerance=tolerance, overwrite=overwrite
        )

    # -- explaining and documenting ----------------------------------------------------------

    def explain(self, ref: str | int, record: Mapping[str, Any], *, top: int = 5) -> Explanation:
        """Prediction, decision and the top reasons, in words, for one record of a version.

        ``record`` maps column names to values (e.g. parsed JSON); unknown columns and values of
        the wrong type are refused with the column and the fix, absent features count as missing.
        """
        from prodml.explain import explain_record

        bundle = self.load_model(ref)
        return explain_record(bundle, record, top=top, rows_noun=self._rows_noun(), where="record")

    def report(self, ref: str | int = "champion") -> str:
        """The HTML report of a version, as stored at training (one self-contained page)."""
        return self._document(ref, "report.html")

    def card(self, ref: str | int = "champion", *, format: str = "md") -> str:
        """The model card of a version: ``format`` is ``md`` (Markdown) or ``html``."""
        if format not in ("md", "html"):
            raise UserError(
                f"unknown model card format {format!r}",
                where="format",
                fix="use md (Markdown) or html",
            )
        return self._document(ref, f"card.{format}")

    def _document(self, ref: str | int, kind: str) -> str:
        """A stored document; for a version trained before documents existed, drawn now."""
        from prodml.report import context_from_store, render_card, render_report

        record = self.store.metadata.resolve(ref)
        stored = self.store.metadata.model_documents(record.version)
        if kind in stored:
            return self.store.artifacts.get_bytes(stored[kind]).decode("utf-8")
        context = context_from_store(
            self.store.metadata,
            record.version,
            project=self.name,
            bundle=self.load_model(record.version),
            spec=self.spec,
            at_training=False,
        )
        if kind == "report.html":
            return render_report(context)
        return render_card(context, kind.removeprefix("card."))

    def _rows_noun(self) -> str:
        from prodml.explain import DEFAULT_ROWS_NOUN, plural

        entity = self.spec.problem.entity
        return plural(entity) if entity else DEFAULT_ROWS_NOUN

    # -- data: validation, versions, lineage -----------------------------------------------

    def validate(
        self,
        records: Records | str | Path | SqlSource | None = None,
        *,
        model: str | int = "champion",
    ) -> ValidationResult:
        """Check records against a model's contract and repair or reject each value.

        ``records`` is a frame, an Arrow table, a list of mappings, a CSV/Parquet path (relative
        to the project folder) or a SQL source; ``None`` validates the project's own data
        source. Policies come from ``data.repairs`` and ``data.validation``. The result's
        ``frame`` is ready for ``load_model(model).predict``.
        """
        from prodml.data import Policies, Validator, load_source

        bundle = self.load_model(model)
        validator = Validator(
            bundle.contract, Policies.from_spec(self.spec.data), features=bundle.features
        )
        if records is None:
            records = self.spec.data.source
        if isinstance(records, str | Path | SqlSource):
            source = records if isinstance(records, SqlSource) else str(records)
            records = load_source(source, base_dir=self.root)
        return validator(records)

    def datasets(self) -> list[DatasetInfo]:
        """Stored training-data snapshots, newest first, with the runs and versions using them."""
        from prodml.registry.datasets import list_datasets

        return list_datasets(self.store.metadata)

    def dataset(self, ref: str) -> DatasetInfo:
        """One snapshot by hash or unambiguous hash prefix (at least four hex digits)."""
        from prodml.registry.datasets import find_dataset

        return find_dataset(self.store.metadata, ref)

    def dataset_frame(self, ref: str) -> pd.DataFrame:
        """A stored snapshot's rows (canonical order), after verifying both its hashes."""
        from prodml.registry.datasets import dataset_frame

        return dataset_frame(self.store, self.dataset(ref).record)

    def diff_datasets(self, a: str, b: str) -> DatasetDiff:
        """Columns added, removed, retyped, and per-column shift from snapshot ``a`` to ``b``."""
        from prodml.registry.datasets import diff_datasets

        return diff_datasets(self.store, a, b)

    def hash_data(self, source: str | Path | SqlSource | None = None) -> SourceDigest:
        """The snapshot hash of a file (streamed, bounded memory) or of the project's source.

        Equal to the hash ``train`` records for the same data, whatever its row order or format.
        """
        from prodml.data import hash_source

        chosen = self.spec.data.source if source is None else source
        return hash_source(
            chosen if isinstance(chosen, SqlSource) else str(chosen), base_dir=self.root
        )

    def lineage(self, ref: str | int = "champion") -> Lineage:
        """Data snapshot, spec hash, code, packages, seeds and aliases behind a version."""
        from prodml.registry.lineage import lineage

        return lineage(self.store.metadata, ref)

    # -- evaluating ----------------------------------------------------------------------------

    def evaluate(
        self, ref: str | int = "champion", data: str | Path | pd.DataFrame | None = None
    ) -> EvaluationReport:
        """Evaluate a registered version on labelled data, as training evaluated it.

        ``data`` is a CSV/Parquet path (relative to the current directory) or a frame holding
        the features and the true outcome; by default the project's own data source. Values,
        segments, edge cases and behavioural tests come from the project file as it is now.
        """
        import pandas as pd

        from prodml.data import load_source
        from prodml.evaluate.labelled import evaluate_labelled
        from prodml.train.target import prepare_target

        record = self.store.metadata.resolve(ref)
        bundle = self.load_model(record.version)
        if data is None:
            frame, where = self.load_data(), "the project's data source"
        elif isinstance(data, pd.DataFrame):
            frame, where = data, "data frame"
        else:
            frame = load_source(str(data), base_dir=Path.cwd())
            where = str(data)
        if bundle.target not in frame.columns:
            raise DataError(
                f"no {bundle.target!r} column: evaluating needs the true outcome of each row",
                where=where,
                fix=f"add the {bundle.target} column, or score the data instead",
            )
        problem = self.spec.problem.model_copy(
            update={"target": bundle.target, "positive": bundle.positive_label}
        )
        labels = prepare_target(frame, problem)
        coercer = bundle.pipeline.named_steps.get("coerce")
        stored = bundle.metrics.get("evaluation") or {}
        return evaluate_labelled(
            frame.iloc[labels.rows],
            labels.y,
            spec=self.spec,
            predict=bundle.predict,
            task=bundle.task,
            decision_rule=bundle.decision_rule,
            features=bundle.features,
            numeric=set(getattr(coercer, "numeric", [])),
            calibration_method=(bundle.calibration or {}).get("method", "none"),
            baseline=stored.get("baseline"),
            data=f"{where} (version {record.version})",
            notes=labels.notes,
        )

    # -- training ------------------------------------------------------------------------------

    def train(
        self,
        *,
        progress: Progress | None = None,
        actor: str | None = None,
        data: pd.DataFrame | None = None,
        parent: int | None = None,
        data_description: str | None = None,
    ) -> TrainReport:
        """Snapshot the data, cross-validate candidates, evaluate once, register if it pays.

        Everything is computed before anything is written; then artifacts and metadata land
        together, so a failure at any step leaves the store exactly as it was. ``data`` (with
        ``data_description``) replaces the project's data source, and ``parent`` names the
        version this one retrains: ``prodml maintain`` retrains on fresh data that way.
        """
        from prodml.train.collector import fewer_collections

        with fewer_collections():
            return self._train(
                progress=progress,
                actor=actor,
                data=data,
                parent=parent,
                data_description=data_description,
            )

    def _train(
        self,
        *,
        progress: Progress | None,
        actor: str | None,
        data: pd.DataFrame | None,
        parent: int | None,
        data_description: str | None,
    ) -> TrainReport:
        spec = self.spec  # a bad project file is reported before the heavy imports below
        spec.require_business_value(str(self.spec_path))
        from prodml.data import (
            check_numeric_columns,
            frame_from_snapshot,
            infer_contract,
            infer_kinds,
            snapshot_to_parquet_bytes,
            take_snapshot,
        )
        from prodml.registry.bundle import ModelBundle
        from prodml.registry.preload import preload_registration
        from prodml.train.features import plan_features
        from prodml.train.trainer import train_model

        say = progress or (lambda _msg: None)
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        say("loading data")
        raw = self.load_data() if data is None else data
        self._check_columns(spec, list(map(str, raw.columns)))
        say(f"snapshotting {len(raw)} rows")
        snapshot = take_snapshot(raw)
        frame = frame_from_snapshot(snapshot)
        kinds = infer_kinds(frame)
        plan = plan_features(
            kinds,
            target=spec.problem.target,
            id_column=spec.data.id_column,
            time_column=spec.data.time_column,
            include=spec.data.include,
            exclude=spec.data.exclude,
        )
        if not plan.columns:
            raise DataError(
                "no usable feature columns",
                where=str(self.spec_path),
                fix="check data.include / data.exclude; skipped: "
                + "; ".join(f"{c}: {why}" for c, why in plan.skipped.items()),
            )
        check_numeric_columns(frame, kinds, plan.numeric)
        contract = infer_contract(
            frame,
            kinds,
            target=spec.problem.target,
            id_column=spec.data.id_column,
            time_column=spec.data.time_column,
        )
        outcome = train_model(spec, frame, plan, progress=say, while_fitting=preload_registration)

        say("registering" if outcome.success else "recording the run")
        spec_hash = spec.content_hash()
        bundle = ModelBundle(
            task=spec.problem.task,
            pipeline=outcome.pipeline,
            decision_rule=outcome.decision_rule,
            features=plan.columns,
            contract=contract.to_dict(),
            model_kind=outcome.chosen.config.name,
            params=outcome.chosen.config.params,
            positive_label=outcome.positive_label,
            target=spec.problem.target,
            metrics=outcome.bundle_metrics(),
            spec_hash=spec_hash,
            data_hash=snapshot.hash,
            calibration=outcome.calibrator.to_dict() if spec.problem.task == "binary" else None,
        )
        documents = None
        if outcome.success:
            from prodml.explain import held_out_data
            from prodml.report import held_out_scores

            say("explaining the model on held-out rows")
            held = held_out_data(spec, frame, outcome.splits)
            scores = held_out_scores(bundle, held)  # once, for the report and the profile
            documents = self._explain_for_registry(spec, bundle, held, scores)
            say("profiling the training data for monitoring")
            bundle.profile = _reference_profile(
                bundle, frame, held, scores.scores, seed=spec.evaluation.seed
            )
        return self._record(
            spec=spec,
            snapshot=snapshot,
            snapshot_bytes=snapshot_to_parquet_bytes(snapshot),
            bundle_bytes=bundle.to_bytes() if outcome.success else None,
            outcome=outcome,
            plan_summary={
                "numeric": plan.numeric,
                "categorical": plan.categorical,
                "skipped": plan.skipped,
            },
            started=started,
            started_at=started_at,
            actor=actor,
            documents=documents,
            parent=parent,
            data_description=data_description,
        )

    def _explain_for_registry(
        self, spec: Spec, bundle: ModelBundle, held: HeldOut, scores: HeldOutScores
    ) -> Callable[[Any, int], dict[str, bytes]]:
        """Store global importance in ``bundle``; return the renderer of the version's documents.

        The documents (HTML report, model card) name the version number, which exists only once
        the version is registered, so they are drawn inside the registration transaction.
        """
        from prodml.explain import explain_at_training
        from prodml.report import context_from_store, render_documents

        bundle.explanation = explain_at_training(bundle, held, seed=spec.evaluation.seed)

        def documents(reader: Any, version: int) -> dict[str, bytes]:
            context = context_from_store(
                reader, version, project=self.name, bundle=bundle, spec=spec, held=scores
            )
            return render_documents(context)

        return documents

    def _record(
        self,
        *,
        spec: Spec,
        snapshot: Any,
        snapshot_bytes: bytes,
        bundle_bytes: bytes | None,
        outcome: TrainingOutcome,
        plan_summary: dict[str, Any],
        started: float,
        started_at: datetime,
        actor: str | None,
        documents: Callable[[Any, int], dict[str, bytes]] | None = None,
        parent: int | None = None,
        data_description: str | None = None,
    ) -> TrainReport:
        from prodml.data import describe_source
        from prodml.store import current_actor
        from prodml.train.environment import git_state, package_versions, platform_info

        store = self.store
        commit, dirty = git_state(self.root)
        spec_hash = spec.content_hash()
        who = actor or current_actor()
        params = {
            "candidates": list(spec.training.candidates),
            "search_budget": spec.training.search_budget,
            "tolerance": spec.training.tolerance,
            "holdout": spec.evaluation.holdout,
            "folds": spec.evaluation.folds,
            "time_ordered": outcome.splits.time_ordered,
            "chosen": outcome.chosen.config.label,
            "chosen_params": outcome.chosen.config.params,
            "decision_rule": outcome.decision_rule,
            "features": plan_summary,
            "rows": {"train": len(outcome.splits.train), "holdout": len(outcome.splits.holdout)},
        }
        metrics = outcome.metrics()
        metrics["selection_notes"] = outcome.selection_notes
        metrics["notes"] = outcome.notes
        with store.artifacts.transaction():
            data_sha = store.artifacts.put_bytes(snapshot_bytes)
            bundle_sha = store.artifacts.put_bytes(bundle_bytes) if bundle_bytes else None
            duration = time.perf_counter() - started
            with store.metadata.unit_of_work() as uow:
                uow.add_dataset(
                    hash=snapshot.hash,
                    rows=snapshot.rows,
                    columns=snapshot.columns,
                    source=data_description
                    or describe_source(spec.data.source, base_dir=self.root),
                    artifact_sha=data_sha,
                )
                run_id = uow.add_run(
                    started_at=started_at,
                    finished_at=datetime.now(UTC),
                    duration_s=duration,
                    status="registered" if bundle_sha else "not_registered",
                    spec_hash=spec_hash,
                    data_hash=snapshot.hash,
                    params=params,
                    metrics=metrics,
                    seeds={"evaluation.seed": spec.evaluation.seed},
                    git_commit=commit,
                    git_dirty=dirty,
                    packages=package_versions(),
                    platform=platform_info(),
                    reasons=outcome.reasons,
                )
                version = None
                champion = False
                if bundle_sha:
                    version = uow.add_model_version(
                        run_id=run_id,
                        bundle_sha=bundle_sha,
                        task=spec.problem.task,
                        model_kind=outcome.chosen.config.name,
                        threshold=outcome.decision_rule if spec.problem.task == "binary" else None,
                        value_per_decision=outcome.holdout["value_per_decision"],
                        metrics=outcome.holdout,
                        format_version=_bundle_format(),
                        data_hash=snapshot.hash,
                        spec_hash=spec_hash,
                        parent_version=parent,
                    )
                    uow.set_run_model_version(run_id, version)
                    if "champion" not in uow.aliases():
                        uow.move_alias(
                            "champion",
                            version,
                            actor=who,
                            reason="first registered version of the project",
                        )
                        champion = True
                    for kind, payload in (documents(uow, version) if documents else {}).items():
                        uow.set_model_document(version, kind, store.artifacts.put_bytes(payload))
        return TrainReport(
            run_id=run_id,
            version=version,
            champion=champion,
            data_hash=snapshot.hash,
            spec_hash=spec_hash,
            outcome=outcome,
            duration_s=duration,
        )

    def _check_columns(self, spec: Spec, columns: list[str]) -> None:
        """Every column the project file names must exist, before any work is done."""
        available = set(columns)
        where = str(self.spec_path)
        named: list[tuple[str, str | None]] = [
            ("problem.target", spec.problem.target),
            ("data.id_column", spec.data.id_column),
            ("data.time_column", spec.data.time_column),
        ]
        named += [(f"data.include[{i}]", c) for i, c in enumerate(spec.data.include or [])]
        named += [(f"data.exclude[{i}]", c) for i, c in enumerate(spec.data.exclude)]
        named += [(f"evaluation.segments[{i}]", c) for i, c in enumerate(spec.evaluation.segments)]
        named += [(f"data.repairs.{c}", c) for c in spec.data.repairs]
        for field_name, column in named:
            if column is not None and column not in available:
                raise SpecError(
                    f"{field_name}: column {column!r} is not in the data",
                    where=where,
                    fix="use one of: " + ", ".join(columns[:30]),
                )
        for name, expression in spec.problem.value_expressions().items():
            expression.check_columns(available, where=f"{where}: problem.value.{name}")
        for name, condition in spec.evaluation.edge_case_filters().items():
            condition.check_columns(available, where=f"{where}: evaluation.edge_cases.{name}")


def _reference_profile(
    bundle: ModelBundle, frame: pd.DataFrame, held: HeldOut, scores: np.ndarray, *, seed: int
) -> dict[str, Any]:
    """Monitoring's reference: the training rows' features, the held-out rows' scores."""
    from prodml.monitor.reference import build_reference

    return build_reference(
        bundle,
        frame,
        scores,
        y=held.y,
        values=held.values,
        held_out=held.X,
        seed=seed,
    )


def _bundle_format() -> int:
    from prodml.registry.bundle import BUNDLE_FORMAT_VERSION

    return BUNDLE_FORMAT_VERSION
