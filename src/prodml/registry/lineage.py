"""Lineage: everything behind a model version, from the store, in one object.

"What exactly is version 3?" must be answerable months later, when the person who trained it has
left: the data snapshot it was trained on (hash, rows, source), the project file's meaning (spec
hash), the code (git commit, dirty or not), the packages and platform, the seeds, the version it
was derived from, and every alias move that concerned it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodml.store import AliasMove, DatasetRecord, MetadataStore, ModelVersionRecord, RunRecord

__all__ = ["Lineage", "lineage"]


@dataclass(frozen=True)
class Lineage:
    """A version, the run that produced it, its data snapshot, its aliases and their history.

    ``dataset`` is None only for a store whose snapshot record was lost; the data hash is still
    on the version.
    """

    version: ModelVersionRecord
    run: RunRecord
    dataset: DatasetRecord | None
    aliases: list[str]
    moves: list[AliasMove]

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "version": self.version.version,
            "created_at": self.version.created_at,
            "model_kind": self.version.model_kind,
            "bundle_sha": self.version.bundle_sha,
            "format_version": self.version.format_version,
            "parent_version": self.version.parent_version,
            "aliases": list(self.aliases),
            "data": asdict(self.dataset)
            if self.dataset is not None
            else {"hash": self.version.data_hash},
            "spec_hash": self.version.spec_hash,
            "run": {
                "id": run.id,
                "status": run.status,
                "started_at": run.started_at,
                "duration_s": run.duration_s,
                "chosen": run.params.get("chosen"),
            },
            "code": {"git_commit": run.git_commit, "git_dirty": run.git_dirty},
            "seeds": dict(run.seeds),
            "packages": dict(run.packages),
            "platform": dict(run.platform),
            "alias_moves": [asdict(move) for move in self.moves],
        }


def lineage(metadata: MetadataStore, ref: str | int) -> Lineage:
    """The lineage of a version given by number (``3``, ``v3``) or alias (``champion``)."""
    from prodml.errors import NotFoundError

    version = metadata.resolve(ref)
    run = metadata.get_run(version.run_id)
    try:
        dataset: DatasetRecord | None = metadata.get_dataset(version.data_hash)
    except NotFoundError:
        dataset = None
    aliases = sorted(name for name, v in metadata.aliases().items() if v == version.version)
    moves = [
        move
        for move in metadata.alias_moves()
        if version.version in (move.from_version, move.to_version)
    ]
    return Lineage(version=version, run=run, dataset=dataset, aliases=aliases, moves=moves)
