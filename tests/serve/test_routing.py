"""Champion / challenger / shadow routing, and alias moves taking effect live."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

import prodml
from prodml.serve._router import bucket
from tests.serve.conftest import CREDIT_RECORD, Server, register_baseline, thread_server


def _record(entity: str | None) -> dict[str, object]:
    record = dict(CREDIT_RECORD)
    if entity is not None:
        record["applicant"] = entity
    return record


def _wait_for(server: Server, check: object, timeout: float = 5.0) -> float:
    """Seconds until ``check(routing)`` holds for the served routing."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        served = server.client.get("/v2/models/credit").json()["parameters"]["served"]
        if check(served):  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"routing did not change within {timeout} s: {served}")


def test_buckets_are_uniform_and_stable() -> None:
    draws = [bucket(b"salt", f"e{i}") for i in range(20_000)]
    assert abs(sum(d < 0.1 for d in draws) / len(draws) - 0.1) < 0.01
    assert bucket(b"salt", "e1") == draws[1]
    assert bucket(b"other", "e1") != draws[1]


def test_a_challenger_answers_its_share_of_entities_and_each_entity_sticks(
    credit_with_ids: Path,
) -> None:
    version = register_baseline(credit_with_ids)
    project = prodml.Project(credit_with_ids)
    with thread_server(credit_with_ids) as server:
        project.promote(version, role="challenger", share=0.3)
        _wait_for(server, lambda served: served.get("challenger") == version)
        entities = [f"a{i}" for i in range(300)]
        first = server.predict(*[_record(e) for e in entities]).json()["results"]
        again = server.predict(*[_record(e) for e in reversed(entities)]).json()["results"]
        variants = {e: r["variant"] for e, r in zip(entities, first, strict=True)}
        assert variants == {e: r["variant"] for e, r in zip(reversed(entities), again, strict=True)}
        share = Counter(variants.values())["challenger"] / len(entities)
        assert 0.2 < share < 0.4
        challenged = next(r for r in first if r["variant"] == "challenger")
        assert challenged["model_version"] == version
        # no entity id: assigned at random, and logged so
        server.predict(_record(None))
    log = project.predictions()
    assert set(log["assignment"]) == {"sticky", "random"}
    assert set(log[log["entity_id"].isna()]["assignment"]) == {"random"}
    project.store.close()


def test_a_shadow_scores_every_request_off_the_response_path_and_never_answers(
    credit_with_ids: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODML_ADMIN_TOKEN", "adm")
    version = register_baseline(credit_with_ids)
    project = prodml.Project(credit_with_ids)
    with thread_server(credit_with_ids) as server:
        project.promote(version, role="shadow")
        _wait_for(server, lambda served: served.get("shadow") == version)
        results = server.predict(_record("a1"), _record("a2")).json()["results"]
        assert {r["variant"] for r in results} == {"champion"}
        server.client.post("/admin/flush", headers={"authorization": "Bearer adm"})
    log = project.predictions()
    shadow = log[log["variant"] == "shadow"]
    assert len(shadow) == 2 and set(shadow["model_version"]) == {version}
    assert set(shadow["prediction_id"]) == {r["prediction_id"] + ".shadow" for r in results}
    assert shadow["score"].nunique() == 1  # the baseline: one probability for everyone
    project.store.close()


def test_promote_and_rollback_go_live_within_a_second_without_a_failed_request(
    credit: Path,
) -> None:
    version = register_baseline(credit)
    project = prodml.Project(credit)
    statuses: Counter[int] = Counter()
    versions: list[int] = []
    stop = threading.Event()

    def traffic(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(5000):  # bounded; stopped by the test long before
                if stop.is_set():
                    return
                response = client.post("/predict", json={"records": [CREDIT_RECORD]})
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    versions.append(response.json()["results"][0]["model_version"])

    with thread_server(credit) as server:
        worker = threading.Thread(target=traffic, args=(server.url,))
        worker.start()
        try:
            time.sleep(0.3)
            project.promote(version, role="champion", reason="test: baseline takes over")
            promoted = _wait_for(server, lambda served: served["champion"] == version)
            time.sleep(0.3)
            project.rollback(reason="test: back to the model")
            rolled_back = _wait_for(server, lambda served: served["champion"] == 1)
            time.sleep(0.3)
        finally:
            stop.set()
            worker.join(timeout=30)
    assert promoted < 1.0 and rolled_back < 1.0
    assert statuses[200] > 10 and set(statuses) == {200}, statuses
    assert version in versions and versions[-1] == 1
    project.store.close()
