"""The maintenance record on both stores: append-only events, A/B tests, merged history."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodml.maintain.journal import (
    end_ab_test,
    history,
    last_ab_test,
    last_event,
    list_ab_tests,
    record_event,
    running_ab_test,
    start_ab_test,
)
from prodml.store import open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def metadata(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    store = open_store(tmp_path, url=url, project="journal")
    yield store.metadata
    store.close()


def test_events_tests_and_history_are_kept_in_order(metadata) -> None:  # type: ignore[no-untyped-def]
    assert history(metadata) == [] and running_ab_test(metadata) is None
    record_event(metadata, kind="policy", decision="fired", reason="max_age", actor="cron")
    record_event(
        metadata,
        kind="retrain",
        decision="registered",
        reason="v2",
        actor="cron",
        champion=1,
        challenger=2,
        details={"rows": 4018, "ratio": float("nan")},
    )
    test = start_ab_test(metadata, champion=1, challenger=2, share=0.1)
    assert running_ab_test(metadata) == test
    end_ab_test(metadata, test.id, "promoted", {"uplift": 3.5})

    entries = history(metadata)
    assert [(e.kind, e.decision) for e in entries] == [
        ("policy", "fired"),
        ("retrain", "registered"),
    ]
    assert entries[1].details == {"rows": 4018, "ratio": None}  # NaN is not JSON
    assert last_event(metadata, "retrain", "registered") == entries[1]
    assert last_event(metadata, "gate") is None
    ended = last_ab_test(metadata)
    assert ended is not None and ended.status == "promoted" and ended.result == {"uplift": 3.5}
    assert ended.ended_at is not None and running_ab_test(metadata) is None
    assert [t.id for t in list_ab_tests(metadata)] == [test.id]
