"""Send simulated applications to the server and, later, their true outcomes.

Records go in batches (one ``POST /predict`` per ``batch_size`` records), as a production client
batching its calls would, so thousands of applications take seconds. Outcomes go to
``POST /feedback`` by applicant id, with the admin token, like a loan system reporting defaults
months after the decision.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from prodml.demo.project import ID_COLUMN

if TYPE_CHECKING:
    import pandas as pd

    from prodml.demo.server import Server
    from prodml.demo.traffic import Applications

__all__ = ["decide", "send_outcomes"]


def decide(server: Server, applications: Applications, *, batch_size: int = 500) -> pd.DataFrame:
    """The server's answer for every application: id, variant, version, decision, status."""
    import pandas as pd

    records = applications.records
    answers: list[dict[str, Any]] = []
    for start in range(0, len(records), batch_size):
        chunk = records.iloc[start : start + batch_size]
        reply = server.post("/predict", {"records": [_jsonable(r) for r in _rows(chunk)]})
        for offset, result in enumerate(reply["results"]):
            answers.append(
                {
                    ID_COLUMN: chunk[ID_COLUMN].iloc[result.get("index", offset)],
                    "variant": result["variant"],
                    "model_version": result["model_version"],
                    "status": result["status"],
                    "decision": bool(result["decision"])
                    if result["decision"] is not None
                    else None,
                    "probability": result["probability"],
                }
            )
    return pd.DataFrame(answers)


def send_outcomes(server: Server, applications: Applications, *, batch_size: int = 5000) -> int:
    """Post each application's true outcome as feedback by applicant id; the count accepted."""
    items = [
        {"entity_id": entity, "label": label}
        for entity, label in zip(applications.ids, applications.outcomes, strict=True)
    ]
    accepted = 0
    for start in range(0, len(items), batch_size):
        reply = server.post(
            "/feedback", {"feedback": items[start : start + batch_size]}, admin=True
        )
        accepted += int(reply["accepted"])
    return accepted


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a missing value is sent as null, which the server treats as missing."""
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in record.items()
    }
