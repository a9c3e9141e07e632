"""The Python API twin of the CLI: ``prodml.Project(path).train()`` and friends.

Notebooks, orchestrators and the CLI all drive this facade, so there is one code path from a
project file to a registered model. Heavy libraries are imported inside methods: constructing a
``Project`` or importing ``prodml`` stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodml.errors import DataError, SpecError
from prodml.spec import SPEC_FILENAME, Spec, load_spec

if TYPE_CHECKING:
    import pandas as pd

    from prodml.registry.bundle import ModelBundle
    from prodml.store import ModelVersionRecord, RunRecord, Store
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

    # -- training ------------------------------------------------------------------------------

    def train(self, *, progress: Progress | None = None, actor: str | None = None) -> TrainReport:
        """Snapshot the data, cross-validate candidates, evaluate once, register if it pays.

        Everything is computed before anything is written; then artifacts and metadata land
        together, so a failure at any step leaves the store exactly as it was.
        """
        from prodml.data import (
            check_numeric_columns,
            frame_from_snapshot,
            infer_contract,
            infer_kinds,
            snapshot_to_parquet_bytes,
            take_snapshot,
        )
        from prodml.registry.bundle import ModelBundle
        from prodml.train.features import plan_features
        from prodml.train.trainer import train_model

        say = progress or (lambda _msg: None)
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        spec = self.spec
        spec.require_business_value(str(self.spec_path))
        say("loading data")
        raw = self.load_data()
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
        outcome = train_model(spec, frame, plan, progress=say)

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
            metrics={"holdout": outcome.holdout},
            spec_hash=spec_hash,
            data_hash=snapshot.hash,
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
        )

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
                    source=describe_source(spec.data.source, base_dir=self.root),
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
                        parent_version=None,
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
        for field_name, column in named:
            if column is not None and column not in available:
                raise SpecError(
                    f"{field_name}: column {column!r} is not in the data",
                    where=where,
                    fix="use one of: " + ", ".join(columns[:30]),
                )
        for name, expression in spec.problem.value_expressions().items():
            expression.check_columns(available, where=f"{where}: problem.value.{name}")


def _bundle_format() -> int:
    from prodml.registry.bundle import BUNDLE_FORMAT_VERSION

    return BUNDLE_FORMAT_VERSION
