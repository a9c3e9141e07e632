"""Everything a report or model card says, gathered in one object before anything is drawn.

A :class:`ReportContext` is built from the store (version, run, dataset snapshot, aliases), the
model bundle (metrics, evaluation, importance, contract) and the project file. At training it
also carries the held-out scores, from which the charts are drawn; a report rendered later
without them (for a version trained before reports existed) simply leaves those charts out.
Readers of optional data (the evaluation, importance) go through the accessors here, which
return ``None`` when the data is absent, so a section is drawn only when its data is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prodml.explain._local import DEFAULT_ROWS_NOUN
from prodml.explain._reasons import plural

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle
    from prodml.report._curves import HeldOutScores
    from prodml.spec import Spec
    from prodml.store import DatasetRecord, ModelVersionRecord, RunRecord

__all__ = ["ReportContext", "context_from_store"]


@dataclass(frozen=True)
class ReportContext:
    project: str
    bundle: ModelBundle
    version: ModelVersionRecord
    run: RunRecord
    spec: Spec | None = None
    aliases: list[str] = field(default_factory=list)
    dataset: DatasetRecord | None = None
    held: HeldOutScores | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    at_training: bool = True

    # -- what the model is for ------------------------------------------------------------------

    @property
    def task(self) -> str:
        return self.bundle.task

    @property
    def binary(self) -> bool:
        return self.bundle.task == "binary"

    @property
    def unit(self) -> str:
        return self.spec.problem.unit if self.spec else "value"

    @property
    def decision(self) -> str:
        text = (self.spec.problem.decision or "").strip() if self.spec else ""
        return text or "(the project file states no decision)"

    @property
    def rows_noun(self) -> str:
        entity = self.spec.problem.entity if self.spec else None
        return plural(entity) if entity else DEFAULT_ROWS_NOUN

    @property
    def row_noun(self) -> str:
        """What one row is, singular: ``applicant``, or ``case``."""
        entity = self.spec.problem.entity if self.spec else None
        return entity or DEFAULT_ROWS_NOUN.removesuffix("s")

    @property
    def positive(self) -> str:
        return self.bundle.positive_label or "positive"

    @property
    def spec_current(self) -> bool:
        """Whether the project file still means what it meant when this version was trained."""
        return self.spec is not None and self.spec.content_hash() == self.version.spec_hash

    # -- results --------------------------------------------------------------------------------

    @property
    def holdout(self) -> dict[str, Any]:
        stored = self.bundle.metrics.get("holdout") or self.run.metrics.get("holdout") or {}
        return dict(stored)

    @property
    def evaluation(self) -> dict[str, Any] | None:
        """The full evaluation (intervals, segments, ...) when training produced one."""
        for source in (self.bundle.metrics, self.run.metrics):
            found = source.get("evaluation")
            if isinstance(found, dict) and found:
                return found
        return None

    def section(self, *names: str) -> Any:
        """An evaluation section by its first present name, or None."""
        evaluation = self.evaluation or {}
        for name in names:
            value = evaluation.get(name)
            if value:
                return value
        return None

    @property
    def importance(self) -> dict[str, Any] | None:
        stored = (self.bundle.explanation or {}).get("importance")
        return stored if isinstance(stored, dict) and stored.get("features") else None

    @property
    def candidates(self) -> dict[str, Any]:
        return dict(self.run.metrics.get("cv") or {})

    @property
    def model_label(self) -> str:
        return str(self.run.metrics.get("chosen") or self.bundle.model_kind)


def context_from_store(
    reader: Any,
    version: int,
    *,
    project: str,
    bundle: ModelBundle,
    spec: Spec | None,
    held: HeldOutScores | None = None,
    at_training: bool = True,
) -> ReportContext:
    """Gather a context from a metadata reader (a ``MetadataStore`` or an open unit of work)."""
    from prodml.errors import NotFoundError

    record = reader.get_model_version(version)
    run = reader.get_run(record.run_id)
    try:
        dataset = reader.get_dataset(record.data_hash)
    except NotFoundError:
        dataset = None
    aliases = sorted(name for name, v in reader.aliases().items() if v == version)
    return ReportContext(
        project=project,
        bundle=bundle,
        version=record,
        run=run,
        spec=spec,
        aliases=aliases,
        dataset=dataset,
        held=held,
        at_training=at_training,
    )
