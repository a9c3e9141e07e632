"""Serving roles as audited alias moves: promote, stop, and rollback as an undo stack."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from prodml.errors import NotFoundError, UserError
from prodml.registry.aliases import champion_history, promote, rollback, unset
from prodml.store import MetadataStore, Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(tmp_path, project="loans")
    now = datetime.now(UTC)
    with opened.metadata.unit_of_work() as uow:
        run = uow.add_run(
            started_at=now,
            finished_at=now,
            status="registered",
            spec_hash="s",
            data_hash="d",
            params={},
            metrics={},
            seeds={},
            packages={},
            platform={},
        )
        for _ in range(4):
            uow.add_model_version(
                run_id=run,
                bundle_sha="0" * 64,
                task="binary",
                model_kind="linear",
                threshold=0.5,
                value_per_decision=1.0,
                metrics={},
                format_version=1,
                data_hash="d",
                spec_hash="s",
            )
    return opened


def _champion(metadata: MetadataStore) -> int:
    return metadata.aliases()["champion"]


def test_rollback_undoes_promotions_one_by_one(store: Store) -> None:
    metadata = store.metadata
    for version in (1, 2, 3):
        promote(metadata, version, "champion", actor="tester")
    rollback(metadata, actor="tester", reason="value dropped")
    assert _champion(metadata) == 2
    rollback(metadata, actor="tester")
    assert _champion(metadata) == 1
    with pytest.raises(NotFoundError, match="no previous champion"):
        rollback(metadata)
    promote(metadata, 4, "champion")
    rollback(metadata)
    assert _champion(metadata) == 1 and champion_history(metadata) == [1]
    moves = metadata.alias_moves("champion")
    assert moves[3].reason.startswith("[rollback] champion back from 3 to 2: value dropped")
    assert moves[3].actor == "tester"


def test_a_challenger_carries_its_share_in_the_registry_and_the_audit(store: Store) -> None:
    metadata = store.metadata
    promote(metadata, 1, "champion")
    promote(metadata, 2, "challenger", share=0.25)
    assert metadata.alias_states()["challenger"].share == 0.25
    assert metadata.alias_moves("challenger")[-1].share == 0.25
    promote(metadata, 3, "challenger")  # the project's default share
    assert metadata.alias_states()["challenger"].share == 0.1
    promote(metadata, 3, "champion")  # the challenger won: it stops being one
    assert "challenger" not in metadata.aliases()
    promote(metadata, 4, "shadow")
    unset(metadata, "shadow")
    assert "shadow" not in metadata.aliases()


@pytest.mark.parametrize(
    ("version", "role", "share", "message"),
    [
        (1, "champion", 0.2, "applies to the challenger"),
        (1, "challenger", None, "is the champion"),
        (2, "leader", None, "not a serving role"),
        (2, "challenger", 1.5, "outside"),
        (9, "shadow", None, "version 9 not found"),
    ],
)
def test_impossible_moves_are_refused_with_the_fix(
    store: Store, version: int, role: str, share: float | None, message: str
) -> None:
    promote(store.metadata, 1, "champion")
    with pytest.raises(UserError, match=message) as raised:
        promote(store.metadata, version, role, share=share)
    assert raised.value.fix
    assert store.metadata.aliases() == {"champion": 1}
