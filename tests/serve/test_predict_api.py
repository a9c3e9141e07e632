"""``POST /predict`` and friends, as a client sees them over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import prodml
from tests.serve.conftest import CREDIT_RECORD, Server, thread_server


def _error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code, body
    assert isinstance(body["error"], str) and body["fix"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


def test_predict_answers_each_record_with_its_status_and_the_model_s_own_scores(
    served_credit: Server,
) -> None:
    good = dict(CREDIT_RECORD)
    bad_type = {**CREDIT_RECORD, "Age": "thirty"}
    repaired = {**CREDIT_RECORD, "Home": "castle"}
    response = served_credit.predict(good, bad_type, repaired)
    assert response.status_code == 200, response.text
    body = response.json()
    ok, rejected, fixed = body["results"]
    assert body["summary"] == {"ok": 1, "repaired": 1, "rejected": 1}

    project = prodml.Project(served_credit.project)
    bundle = project.load_model("champion")
    expected = bundle.predict(pd.DataFrame([good])[bundle.features])[0]
    assert ok["status"] == "ok" and ok["model_version"] == 1 and ok["variant"] == "champion"
    assert ok["probability"] == pytest.approx(expected, abs=1e-12)
    assert ok["decision"] == bool(expected >= bundle.decision_rule)
    assert ok["prediction"] == ("bad" if ok["decision"] else "good")
    assert ok["prediction_id"] and ok["prediction_id"] != fixed["prediction_id"]

    assert rejected["status"] == "rejected" and rejected["probability"] is None
    assert rejected["errors"][0]["field"] == "Age" and "thirty" in rejected["errors"][0]["message"]

    assert fixed["status"] == "repaired"
    assert fixed["repairs"][0]["field"] == "Home"
    assert 0.0 <= fixed["probability"] <= 1.0
    project.store.close()


def test_when_no_record_is_valid_the_answer_is_422_with_every_record_s_errors(
    served_credit: Server,
) -> None:
    response = served_credit.predict({**CREDIT_RECORD, "Age": "x"}, {**CREDIT_RECORD, "Time": "y"})
    body = _error(response, 422, "no_valid_records")
    results = body["results"]
    assert isinstance(results, list) and len(results) == 2
    assert all(r["status"] == "rejected" and r["errors"] for r in results)


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "malformed_json",
        ),
        (
            {"content": b"records=1", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"json": {"rows": []}}, 422, "invalid_request"),
        ({"json": {"records": []}}, 422, "empty_batch"),
        ({"json": {"records": [CREDIT_RECORD] * 1001}}, 413, "too_many_records"),
        ({"json": {"records": [CREDIT_RECORD], "explain": "yes"}}, 422, "invalid_request"),
        (
            {
                "content": b"[" * 100_000 + b"]" * 100_000,
                "headers": {"content-type": "application/json"},
            },
            400,
            "malformed_json",
        ),
        (
            {"content": b"\xff\xfe{}", "headers": {"content-type": "application/json"}},
            400,
            "malformed_json",
        ),
        (
            {
                "content": b'{"records": [{"Home": "\\ud800"}]}',
                "headers": {"content-type": "application/json"},
            },
            400,
            "malformed_json",
        ),
    ],
    ids=[
        "malformed",
        "content-type",
        "no-records",
        "empty",
        "10k",
        "explain",
        "deep",
        "not-utf8",
        "lone-surrogate",
    ],
)
def test_bad_requests_get_a_json_4xx_naming_the_problem(
    served_credit: Server, send: dict[str, object], status: int, code: str
) -> None:
    response = served_credit.client.post("/predict", **send)  # type: ignore[arg-type]
    _error(response, status, code)


def test_hostile_values_are_judged_per_record_never_a_500(served_credit: Server) -> None:
    records = [
        {**CREDIT_RECORD, "Income": float("nan")},
        {**CREDIT_RECORD, "Job": "x" * 200_000},
        {**CREDIT_RECORD, "Age": [1, 2]},
        {**CREDIT_RECORD, "Amount": 1e308},
        {**CREDIT_RECORD, "Home": None, "Marital": 7, "Records": True},
        "not a record",
    ]
    raw = json.dumps({"records": records}, allow_nan=True).encode()
    response = served_credit.client.post(
        "/predict", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert len(statuses) == len(records) and "rejected" in statuses
    assert "x" * 100 not in response.text  # a huge value is never echoed back whole


def test_a_body_over_the_limit_is_refused_before_it_is_read(credit: Path) -> None:
    spec = credit / "prodml.yaml"
    spec.write_text(spec.read_text() + "\nserving:\n  max_body_bytes: 2048\n")
    with thread_server(credit) as server:
        response = server.predict(*[CREDIT_RECORD] * 30)
        _error(response, 413, "too_large")
        assert server.predict(CREDIT_RECORD).status_code == 200


def test_unknown_routes_and_methods_are_json_too(served_credit: Server) -> None:
    _error(served_credit.client.get("/nope"), 404, "not_found")
    _error(served_credit.client.get("/predict"), 405, "method_not_allowed")


def test_tokens_protect_predictions_and_admin_without_ever_echoing_them(
    credit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODML_API_TOKEN", "s3cret-api")
    with thread_server(credit) as server:
        _error(server.predict(CREDIT_RECORD), 401, "unauthorized")
        wrong = server.predict(CREDIT_RECORD, authorization="Bearer guess")
        _error(wrong, 403, "forbidden")
        assert "guess" not in wrong.text and "s3cret" not in wrong.text
        assert server.predict(CREDIT_RECORD, authorization="Bearer s3cret-api").status_code == 200
        # no admin token configured: admin and feedback are disabled, not open
        denied = server.client.post("/admin/reload", headers={"authorization": "Bearer x"})
        _error(denied, 403, "admin_disabled")
        assert server.client.get("/v2/health/live").status_code == 200


def test_feedback_is_logged_and_joins_the_prediction_it_answers(
    credit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODML_ADMIN_TOKEN", "adm")
    admin = {"authorization": "Bearer adm"}
    with thread_server(credit) as server:
        answer = server.predict(CREDIT_RECORD, {**CREDIT_RECORD, "Amount": 4000}).json()
        ids = [r["prediction_id"] for r in answer["results"]]
        sent = server.client.post(
            "/feedback",
            json={"feedback": [{"prediction_id": ids[0], "label": "bad"}]},
            headers=admin,
        )
        assert sent.status_code == 200 and sent.json()["accepted"] == 1
        _error(
            server.client.post("/feedback", json={"feedback": [{"label": "bad"}]}, headers=admin),
            422,
            "invalid_request",
        )
        _error(server.client.post("/feedback", json={"feedback": []}), 401, "unauthorized")
        assert server.client.post("/admin/flush", headers=admin).status_code == 200
        from prodml.store import log_root, read_labelled_predictions

        joined = read_labelled_predictions(log_root(credit))
    assert set(joined["prediction_id"]) == set(ids)
    labels = dict(zip(joined["prediction_id"], joined["label"], strict=True))
    assert labels[ids[0]] == "bad" and pd.isna(labels[ids[1]])


def test_every_request_is_logged_with_what_monitoring_needs(credit: Path) -> None:
    with thread_server(credit) as server:
        server.predict(
            CREDIT_RECORD, {**CREDIT_RECORD, "Age": "old"}, {**CREDIT_RECORD, "Home": "castle"}
        )
    log = prodml.Project(credit).predictions()
    assert list(log["status"]) == ["ok", "rejected", "repaired"]
    assert (log["model_version"] == 1).all() and (log["variant"] == "champion").all()
    assert log["latency_ms"].gt(0).all() and log["request_id"].nunique() == 1
    ok = log.iloc[0]
    assert json.loads(ok["features"])["Income"] == 129.0
    assert ok["decision"] in (0.0, 1.0) and 0 < ok["score"] < 1
    assert "Age" in log.iloc[1]["errors"] and np.isnan(log.iloc[1]["score"])
    assert "castle" in log.iloc[2]["repairs"]


def test_metrics_count_requests_records_repairs_and_rejections(served_credit: Server) -> None:
    served_credit.predict(
        CREDIT_RECORD, {**CREDIT_RECORD, "Age": "x"}, {**CREDIT_RECORD, "Home": "?"}
    )
    text = served_credit.client.get("/metrics").text
    assert 'prodml_requests_total{endpoint="/predict",status="200"} 1.0' in text
    assert (
        'prodml_records_total{model_version="1",status="rejected",variant="champion"} 1.0' in text
    )
    assert 'prodml_repairs_total{field="Home",model_version="1",variant="champion"} 1.0' in text
    assert 'prodml_rejections_total{model_version="1",variant="champion"} 1.0' in text
    assert "prodml_request_latency_seconds_bucket" in text
    assert 'prodml_serving_model{model_version="1",variant="champion"} 1.0' in text


def test_explain_adds_the_reasons_of_each_prediction(served_credit: Server) -> None:
    response = served_credit.client.post(
        "/predict", json={"records": [CREDIT_RECORD], "explain": True}
    )
    assert response.status_code == 200, response.text
    reasons = response.json()["results"][0]["reasons"]
    assert reasons, reasons


def test_the_openapi_document_describes_the_endpoints(served_credit: Server) -> None:
    document = served_credit.client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/predict", "/feedback", "/invocations", "/v2/models/{name}/infer", "/metrics"):
        assert path in paths
    assert "records" in json.dumps(paths["/predict"]["post"]["requestBody"])
    assert served_credit.client.get("/docs").status_code == 200


def test_concurrent_requests_are_batched_yet_each_gets_its_own_answer(
    served_credit: Server,
) -> None:
    import asyncio

    import httpx

    amounts = [500 + 100 * i for i in range(24)]
    expected = {
        a: served_credit.predict({**CREDIT_RECORD, "Amount": a}).json()["results"][0]["probability"]
        for a in amounts
    }

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=served_credit.url, timeout=30) as client:
            calls = [
                client.post("/predict", json={"records": [{**CREDIT_RECORD, "Amount": a}]})
                for a in amounts
            ]
            calls.append(client.post("/predict", json={"records": []}))  # fails alone
            return await asyncio.gather(*calls)

    *answers, empty = asyncio.run(burst())
    assert empty.status_code == 422 and empty.json()["code"] == "empty_batch"
    ids = set()
    for amount, answer in zip(amounts, answers, strict=True):
        assert answer.status_code == 200, answer.text
        result = answer.json()["results"][0]
        assert result["probability"] == pytest.approx(expected[amount], abs=1e-12)
        ids.add(result["prediction_id"])
    assert len(ids) == len(amounts)
