"""Dataset versions: the snapshots in the store, found by hash prefix, shown, compared.

Every training run stores the exact data it read as a canonical, hashed snapshot; these functions
turn that into data versioning a user can drive from the command line: which snapshots exist and
which runs and models used them, one snapshot's columns, and the difference between two.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from prodml.errors import NotFoundError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.data.diff import DatasetDiff
    from prodml.data.snapshot import Snapshot
    from prodml.store import DatasetRecord, MetadataStore, Store

__all__ = [
    "MIN_PREFIX",
    "DatasetInfo",
    "dataset_frame",
    "diff_datasets",
    "find_dataset",
    "list_datasets",
    "load_snapshot",
]

MIN_PREFIX = 4
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class DatasetInfo:
    """A stored snapshot with the runs that trained on it and the versions they registered."""

    record: DatasetRecord
    runs: list[int]
    versions: list[int]

    @property
    def hash(self) -> str:
        return self.record.hash

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.record), "runs": list(self.runs), "versions": list(self.versions)}


def list_datasets(metadata: MetadataStore) -> list[DatasetInfo]:
    """Every snapshot of the project, newest first, with the runs and versions that used it."""
    runs = metadata.list_runs()
    used: dict[str, tuple[list[int], list[int]]] = {}
    for run in sorted(runs, key=lambda r: r.id):
        run_ids, versions = used.setdefault(run.data_hash, ([], []))
        run_ids.append(run.id)
        if run.model_version is not None:
            versions.append(run.model_version)
    records = sorted(metadata.list_datasets(), key=lambda d: (d.created_at, d.hash), reverse=True)
    return [DatasetInfo(d, *used.get(d.hash, ([], []))) for d in records]


def find_dataset(metadata: MetadataStore, ref: str) -> DatasetInfo:
    """The snapshot whose hash starts with ``ref`` (at least four hex digits, like git)."""
    prefix = ref.strip().lower()
    if not _HEX.fullmatch(prefix) or len(prefix) < MIN_PREFIX:
        raise UserError(
            f"{ref!r} is not a snapshot hash or prefix",
            where="HASH",
            fix=f"give at least {MIN_PREFIX} hex digits of a hash listed by prodml data list",
        )
    infos = list_datasets(metadata)
    matches = [info for info in infos if info.hash.startswith(prefix)]
    if not matches:
        known = ", ".join(info.hash[:12] for info in infos[:10])
        raise NotFoundError(
            f"no dataset snapshot starts with {prefix!r}",
            where="HASH",
            fix=f"known snapshots, newest first: {known}"
            if known
            else "no snapshots yet: prodml train records the training data",
        )
    if len(matches) > 1:
        raise UserError(
            f"{prefix!r} matches {len(matches)} snapshots: "
            + ", ".join(info.hash[:16] for info in matches[:5]),
            where="HASH",
            fix="give more hex digits of the hash",
        )
    return matches[0]


def load_snapshot(store: Store, record: DatasetRecord) -> Snapshot:
    """The stored snapshot, its file hash and its content hash both verified."""
    from prodml.data import read_snapshot_parquet

    data = store.artifacts.get_bytes(record.artifact_sha)
    return read_snapshot_parquet(data, expected_hash=record.hash)


def dataset_frame(store: Store, record: DatasetRecord) -> pd.DataFrame:
    from prodml.data import frame_from_snapshot

    return frame_from_snapshot(load_snapshot(store, record))


def diff_datasets(store: Store, a: str, b: str) -> DatasetDiff:
    """Schema and distribution differences from snapshot ``a`` to ``b`` (hashes or prefixes)."""
    from prodml.data.diff import diff_frames

    first = find_dataset(store.metadata, a).record
    second = find_dataset(store.metadata, b).record
    return diff_frames(
        dataset_frame(store, first),
        dataset_frame(store, second),
        types_a=dict(first.columns),
        types_b=dict(second.columns),
        name_a=first.hash,
        name_b=second.hash,
    )
