"""The Open Inference Protocol (KServe V2) with the real ``tritonclient``, and MLflow's
``/invocations``: existing clients work unchanged and agree with ``/predict``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.serve.conftest import CREDIT_RECORD, Server

ROWS = [CREDIT_RECORD, {**CREDIT_RECORD, "Amount": 4500, "Home": "castle"}]


def _expected(server: Server) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = server.predict(*ROWS).json()["results"]
    return results


def _triton(server: Server) -> Any:
    import tritonclient.http as triton

    return triton, triton.InferenceServerClient(url=server.url.removeprefix("http://"))


def _inputs(triton: Any, binary: bool) -> list[Any]:
    tensors = []
    for name in CREDIT_RECORD:
        values = [row[name] for row in ROWS]
        if isinstance(values[0], str):
            array = np.array([v.encode() for v in values], dtype=np.object_)
            tensor = triton.InferInput(name, [len(values)], "BYTES")
        else:
            array = np.array(values, dtype=np.float64)
            tensor = triton.InferInput(name, [len(values)], "FP64")
        tensor.set_data_from_numpy(array, binary_data=binary)
        tensors.append(tensor)
    return tensors


@pytest.mark.parametrize("binary", [True, False], ids=["binary-tensors", "json-tensors"])
def test_tritonclient_infers_and_agrees_with_predict(served_credit: Server, binary: bool) -> None:
    triton, client = _triton(served_credit)
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("credit")
        metadata = client.get_model_metadata("credit")
        assert metadata["versions"] == ["1"]
        assert {i["name"] for i in metadata["inputs"]} == set(CREDIT_RECORD)
        outputs = [
            triton.InferRequestedOutput(name, binary_data=binary)
            for name in ("probability", "decision", "prediction", "status")
        ]
        result = client.infer("credit", _inputs(triton, binary), outputs=outputs)
        expected = _expected(served_credit)
        np.testing.assert_allclose(
            result.as_numpy("probability"), [r["probability"] for r in expected], atol=1e-12
        )
        assert result.as_numpy("decision").tolist() == [r["decision"] for r in expected]
        labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("prediction")]
        assert labels == [r["prediction"] for r in expected]
        statuses = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("status")]
        assert statuses == ["ok", "repaired"]
        # all outputs, binary by default, when none are named
        everything = client.infer("credit", _inputs(triton, binary))
        assert everything.as_numpy("model_version").tolist() == [1, 1]
        pinned = client.infer("credit", _inputs(triton, binary), model_version="1")
        assert pinned.as_numpy("probability").shape == (2,)
    finally:
        client.close()


def test_tritonclient_sees_errors_as_messages(served_credit: Server) -> None:
    from tritonclient.utils import InferenceServerException

    triton, client = _triton(served_credit)
    try:
        assert not client.is_model_ready("no-such-model")
        with pytest.raises(InferenceServerException, match="no model named"):
            client.infer("no-such-model", _inputs(triton, True))
        with pytest.raises(InferenceServerException, match="not being served"):
            client.infer("credit", _inputs(triton, True), model_version="7")
        bad = triton.InferInput("Age", [2], "BYTES")
        bad.set_data_from_numpy(np.array([b"old", b"young"], dtype=np.object_))
        others = [t for t in _inputs(triton, True) if t.name() != "Age"]
        with pytest.raises(InferenceServerException, match="could be scored"):
            client.infer("credit", [bad, *others])
    finally:
        client.close()


@pytest.mark.parametrize(
    "body",
    [
        {
            "dataframe_split": {
                "columns": list(CREDIT_RECORD),
                "data": [list(r.values()) for r in ROWS],
            }
        },
        {"dataframe_records": ROWS},
    ],
    ids=["dataframe_split", "dataframe_records"],
)
def test_mlflow_invocations_answer_like_a_pyfunc_model(
    served_credit: Server, body: dict[str, Any]
) -> None:
    response = served_credit.client.post("/invocations", json=body)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    expected = _expected(served_credit)
    assert [p["probability"] for p in predictions] == pytest.approx(
        [r["probability"] for r in expected], abs=1e-12
    )
    assert served_credit.client.get("/ping").status_code == 200


def test_mlflow_invocations_take_csv_and_refuse_tensors(served_credit: Server) -> None:
    header = ",".join(CREDIT_RECORD)
    line = ",".join(str(v) for v in CREDIT_RECORD.values())
    response = served_credit.client.post(
        "/invocations", content=f"{header}\n{line}\n", headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["status"] == "ok"
    refused = served_credit.client.post("/invocations", json={"instances": [[1, 2]]})
    assert refused.status_code == 422 and "instances" in refused.json()["error"]
