"""Runs, versions and aliases: atomic writes, exact numbering, an audit that forgets nothing.

Every test here runs on SQLite and on PostgreSQL (the ``store`` fixture is parametrised).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from prodml.errors import NotFoundError, UserError
from prodml.store import Store, UnitOfWork

from .conftest import OpenStore

DATA_HASH = "d" * 64
SPEC_HASH = "5" * 64
STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _add_run(uow: UnitOfWork, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(seconds=42.5),
        "status": "registered",
        "spec_hash": SPEC_HASH,
        "data_hash": DATA_HASH,
        "params": {"candidates": ["baseline", "lightgbm"], "folds": 5},
        "metrics": {"value_per_decision": 12.5, "auc": 0.81},
        "seeds": {"evaluation.seed": 42},
        "packages": {"lightgbm": "4.7.0"},
        "platform": {"python": "3.11.7"},
        "reasons": [],
        "git_commit": "abc123",
        "git_dirty": False,
    }
    fields.update(overrides)
    return uow.add_run(**fields)


def _add_version(uow: UnitOfWork, run_id: int, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "run_id": run_id,
        "bundle_sha": "b" * 64,
        "task": "binary",
        "model_kind": "lightgbm",
        "threshold": 0.37,
        "value_per_decision": 12.5,
        "metrics": {"auc": 0.81},
        "format_version": 1,
        "data_hash": DATA_HASH,
        "spec_hash": SPEC_HASH,
    }
    fields.update(overrides)
    return uow.add_model_version(**fields)


def _train(store: Store, *, promote: bool = True) -> int:
    """What a registered training run writes, in one unit of work; returns the version."""
    with store.metadata.unit_of_work() as uow:
        uow.add_dataset(
            hash=DATA_HASH,
            rows=1000,
            columns={"Amount": "float64", "Status": "string"},
            source="data/loans.csv",
            artifact_sha="a" * 64,
        )
        run_id = _add_run(uow)
        version = _add_version(uow, run_id)
        uow.set_run_model_version(run_id, version)
        if promote:
            uow.move_alias("champion", version, actor="ana@laptop", reason="better value")
    return version


def test_a_training_run_lands_with_everything_it_recorded(store: Store) -> None:
    version = _train(store)
    meta = store.metadata

    (run,) = meta.list_runs()
    assert run.project == "credit"
    assert run.status == "registered"
    assert run.started_at == STARTED
    assert run.started_at.tzinfo is not None and run.started_at.utcoffset() == timedelta(0)
    assert run.duration_s == pytest.approx(42.5)
    assert run.params == {"candidates": ["baseline", "lightgbm"], "folds": 5}
    assert run.packages == {"lightgbm": "4.7.0"}
    assert (run.git_commit, run.git_dirty, run.model_version) == ("abc123", False, version)
    assert meta.get_run(run.id) == run

    model = meta.get_model_version(version)
    assert (model.version, model.run_id, model.threshold) == (1, run.id, 0.37)
    assert model.created_at.utcoffset() == timedelta(0)
    assert meta.list_model_versions() == [model]

    dataset = meta.get_dataset(DATA_HASH)
    assert (dataset.rows, dataset.n_columns) == (1000, 2)
    assert dataset.columns == {"Amount": "float64", "Status": "string"}
    assert meta.list_datasets() == [dataset]

    assert meta.aliases() == {"champion": 1}
    assert meta.resolve("champion") == model


def test_timestamps_in_another_zone_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    with store.metadata.unit_of_work() as uow:
        run_id = _add_run(uow, started_at=datetime(2025, 3, 1, 10, 0, tzinfo=paris), duration_s=1.0)

    assert store.metadata.get_run(run_id).started_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert store.metadata.get_run(run_id).started_at.tzinfo == UTC


def test_a_naive_timestamp_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive datetime"), store.metadata.unit_of_work() as uow:
        _add_run(uow, started_at=datetime(2025, 3, 1, 9, 0))
    assert store.metadata.list_runs() == []


def test_undefined_metrics_and_numpy_numbers_are_stored_as_json(store: Store) -> None:
    with store.metadata.unit_of_work() as uow:
        run_id = _add_run(
            uow, metrics={"auc": float("nan"), "lift": float("inf"), "value": np.float64(3.5)}
        )

    assert store.metadata.get_run(run_id).metrics == {"auc": None, "lift": None, "value": 3.5}


def test_runs_are_listed_newest_first_and_can_be_limited(store: Store) -> None:
    with store.metadata.unit_of_work() as uow:
        ids = [_add_run(uow, status="not_registered", reasons=[f"r{i}"]) for i in range(3)]

    assert [r.id for r in store.metadata.list_runs()] == ids[::-1]
    assert [r.id for r in store.metadata.list_runs(limit=2)] == ids[:0:-1]
    assert store.metadata.get_run(ids[0]).reasons == ["r0"]


def test_a_failing_unit_of_work_leaves_no_trace(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.metadata.unit_of_work() as uow:
        uow.add_dataset(
            hash=DATA_HASH, rows=1, columns={"a": "int64"}, source="x", artifact_sha="a" * 64
        )
        run_id = _add_run(uow)
        version = _add_version(uow, run_id)
        uow.set_run_model_version(run_id, version)
        uow.move_alias("champion", version, reason="first")
        raise Boom

    meta = store.metadata
    assert meta.list_runs() == []
    assert meta.list_model_versions() == []
    assert meta.list_datasets() == []
    assert meta.aliases() == {}
    assert meta.alias_moves() == []
    assert _train(store) == 1  # the rolled-back number is not burnt


def test_version_numbers_count_up_per_project_independently(open_project: OpenStore) -> None:
    credit, churn = open_project("credit"), open_project("churn")

    assert [_train(credit) for _ in range(3)] == [1, 2, 3]
    assert [_train(churn) for _ in range(2)] == [1, 2]
    assert _train(credit) == 4

    assert [m.version for m in churn.metadata.list_model_versions()] == [1, 2]
    assert len(credit.metadata.list_runs()) == 4
    assert churn.metadata.aliases() == {"champion": 2}
    assert credit.metadata.aliases() == {"champion": 4}


def test_projects_do_not_see_each_others_runs(open_project: OpenStore) -> None:
    credit, churn = open_project("credit"), open_project("churn")
    _train(credit)
    (run,) = credit.metadata.list_runs()

    assert churn.metadata.list_runs() == []
    with pytest.raises(NotFoundError, match=f"run {run.id} not found in project 'churn'"):
        churn.metadata.get_run(run.id)
    with pytest.raises(NotFoundError):
        churn.metadata.get_dataset(DATA_HASH)


def test_concurrent_registrations_never_share_a_version_number(store: Store) -> None:
    def register(_: int) -> int:
        with store.metadata.unit_of_work() as uow:
            return _add_version(uow, _add_run(uow))

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(pool.map(register, range(18)))

    assert sorted(versions) == list(range(1, 19))
    assert [m.version for m in store.metadata.list_model_versions()] == list(range(1, 19))


def test_alias_moves_are_audited_from_and_to(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODML_ACTOR", "nightly-pipeline")
    first = _train(store, promote=False)
    second = _train(store, promote=False)
    with store.metadata.unit_of_work() as uow:
        uow.move_alias("champion", first, reason="first model")
        uow.move_alias("challenger", second, reason="retrained")
    with store.metadata.unit_of_work() as uow:
        uow.move_alias("champion", second, actor="ana@laptop", reason="won the A/B test")
        uow.move_alias("challenger", None, reason="promoted")

    moves = store.metadata.alias_moves()
    assert [(m.alias, m.from_version, m.to_version, m.actor, m.reason) for m in moves] == [
        ("champion", None, 1, "nightly-pipeline", "first model"),
        ("challenger", None, 2, "nightly-pipeline", "retrained"),
        ("champion", 1, 2, "ana@laptop", "won the A/B test"),
        ("challenger", 2, None, "nightly-pipeline", "promoted"),
    ]
    assert all(m.at.utcoffset() == timedelta(0) for m in moves)
    assert [m.to_version for m in store.metadata.alias_moves("champion")] == [1, 2]
    assert store.metadata.aliases() == {"champion": 2}


def test_the_actor_defaults_to_user_at_host(store: Store) -> None:
    version = _train(store, promote=False)
    with store.metadata.unit_of_work() as uow:
        move = uow.move_alias("champion", version, reason="first")

    user, _, host = move.actor.partition("@")
    assert user and host
    assert store.metadata.alias_moves() == [move]


def test_a_move_the_unit_of_work_rolls_back_is_not_audited(store: Store) -> None:
    version = _train(store)
    with pytest.raises(RuntimeError), store.metadata.unit_of_work() as uow:
        uow.move_alias("champion", None, reason="oops")
        raise RuntimeError("abort")

    assert store.metadata.aliases() == {"champion": version}
    assert len(store.metadata.alias_moves()) == 1


def test_moving_an_alias_to_an_unknown_version_is_refused(store: Store) -> None:
    _train(store)
    with (
        pytest.raises(NotFoundError, match="model version 7 not found") as caught,
        store.metadata.unit_of_work() as uow,
    ):
        uow.move_alias("champion", 7, reason="typo")

    assert caught.value.fix == "known versions, newest first: 1; aliases: champion -> 1"
    assert store.metadata.aliases() == {"champion": 1}
    assert len(store.metadata.alias_moves()) == 1


def test_removing_an_alias_that_is_not_set_is_refused(store: Store) -> None:
    with (
        pytest.raises(NotFoundError, match="alias 'shadow' is not set"),
        store.metadata.unit_of_work() as uow,
    ):
        uow.move_alias("shadow", None, reason="cleanup")


@pytest.mark.parametrize("name", ["3", "v3", "", "-x", "has space", "x" * 65])
def test_alias_names_that_could_be_mistaken_are_refused(store: Store, name: str) -> None:
    version = _train(store, promote=False)
    with (
        pytest.raises(UserError, match="not a valid alias name"),
        store.metadata.unit_of_work() as uow,
    ):
        uow.move_alias(name, version, reason="")


def test_resolve_takes_a_number_or_an_alias(store: Store) -> None:
    _train(store)
    second = _train(store, promote=False)
    with store.metadata.unit_of_work() as uow:
        uow.move_alias("challenger", second, reason="retrained")
    meta = store.metadata

    assert meta.resolve(1).version == 1
    assert meta.resolve("2").version == 2
    assert meta.resolve("v2").version == 2
    assert meta.resolve("champion").version == 1
    assert meta.resolve("challenger").version == 2


def test_resolving_something_unknown_names_what_exists(store: Store) -> None:
    _train(store)
    _train(store, promote=False)
    meta = store.metadata

    with pytest.raises(NotFoundError, match="no alias 'shadow'") as caught:
        meta.resolve("shadow")
    assert caught.value.fix == "known versions, newest first: 2, 1; aliases: champion -> 1"
    assert caught.value.exit_code == 2

    with pytest.raises(NotFoundError, match="model version 9 not found in project 'credit'"):
        meta.resolve(9)


def test_an_empty_project_says_how_to_get_a_model(store: Store) -> None:
    with pytest.raises(NotFoundError) as caught:
        store.metadata.resolve("champion")
    assert caught.value.fix == "no model versions yet in this project: prodml train registers one"

    with pytest.raises(NotFoundError) as run_missing:
        store.metadata.get_run(1)
    assert run_missing.value.fix is not None
    assert "prodml train" in run_missing.value.fix


def test_an_unknown_run_lists_the_known_ones(store: Store) -> None:
    with store.metadata.unit_of_work() as uow:
        ids = [_add_run(uow) for _ in range(12)]

    with pytest.raises(NotFoundError) as caught:
        store.metadata.get_run(999)
    newest = ", ".join(str(i) for i in ids[::-1][:10])
    assert (
        caught.value.fix
        == f"known runs, newest first: {newest}, … (12 in all) (prodml runs lists them)"
    )


def test_a_snapshot_is_recorded_once_per_project(open_project: OpenStore) -> None:
    credit, churn = open_project("credit"), open_project("churn")
    for store in (credit, credit, churn):
        with store.metadata.unit_of_work() as uow:
            record = uow.add_dataset(
                hash=DATA_HASH,
                rows=5,
                columns={"a": "int64"},
                source="a.csv",
                artifact_sha="a" * 64,
            )
            assert record.hash == DATA_HASH

    assert len(credit.metadata.list_datasets()) == 1
    assert len(churn.metadata.list_datasets()) == 1


def test_reads_inside_a_unit_of_work_see_its_own_writes(store: Store) -> None:
    with store.metadata.unit_of_work() as uow:
        run_id = _add_run(uow)
        version = _add_version(uow, run_id)
        assert "champion" not in uow.aliases()
        uow.move_alias("champion", version, reason="first")
        assert uow.resolve("champion").version == version
        assert uow.get_run(run_id).model_version is None


def test_links_to_unknown_runs_and_versions_are_refused(store: Store) -> None:
    with (
        pytest.raises(NotFoundError, match="run 5 not found"),
        store.metadata.unit_of_work() as uow,
    ):
        _add_version(uow, run_id=5)
    with (
        pytest.raises(NotFoundError, match="model version 3"),
        store.metadata.unit_of_work() as uow,
    ):
        uow.set_run_model_version(_add_run(uow), 3)
    with pytest.raises(ValueError, match="run status"), store.metadata.unit_of_work() as uow:
        _add_run(uow, status="maybe")
    assert store.metadata.list_runs() == []
