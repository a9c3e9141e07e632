"""The API's request and response shapes, as pydantic models, for the OpenAPI document.

The hot endpoints (``/predict``, V2 ``infer``, ``/invocations``) parse and render JSON
themselves (a pydantic round trip costs more than scoring a record); these models describe
exactly what they accept and answer, and the schemathesis test holds the two together.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdminResult",
    "ErrorBody",
    "FeedbackItem",
    "FeedbackRequest",
    "FeedbackResponse",
    "PredictRequest",
    "PredictResponse",
    "PromoteRequest",
    "RecordResult",
    "RollbackRequest",
]

JsonScalar = str | float | int | bool | None


class ErrorBody(BaseModel):
    error: str = Field(description="What is wrong, in one line.")
    code: str = Field(description="Stable machine-readable reason, e.g. malformed_json.")
    where: str | None = Field(default=None, description="The field, header or record at fault.")
    fix: str | None = Field(default=None, description="What to do about it.")
    request_id: str | None = None
    results: list[RecordResult] | None = Field(
        default=None, description="Per-record errors when no record of a batch was valid."
    )


class PredictRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [{"Age": 30}]}]})

    records: list[dict[str, Any]] = Field(
        description="Feature values by column name; the entity id column routes the record."
    )
    explain: bool = Field(default=False, description="Add the top reasons of each prediction.")


class Issue(BaseModel):
    field: str | None
    check: str
    message: str | None = None
    repair: str | None = None


class RecordResult(BaseModel):
    index: int
    status: Literal["ok", "repaired", "rejected"]
    prediction_id: str
    prediction: str | float | None = Field(
        description="Binary: the predicted class at the decision threshold; regression: the value."
    )
    probability: float | None = Field(description="Binary: P(positive class), calibrated.")
    decision: bool | float | None = Field(
        description="Binary: act (true) or not; regression: the value-optimal decision."
    )
    model_version: int
    variant: Literal["champion", "challenger", "shadow"]
    source: Literal["live", "precomputed"] = Field(
        default="live",
        description="live: scored now; precomputed: the batch score of this entity id "
        "(prodml serve --precomputed)",
    )
    repairs: list[Issue]
    errors: list[Issue]
    reasons: Any | None = None


class Summary(BaseModel):
    ok: int
    repaired: int
    rejected: int


class PredictResponse(BaseModel):
    request_id: str
    results: list[RecordResult]
    summary: Summary


class FeedbackItem(BaseModel):
    prediction_id: str | None = None
    entity_id: str | int | None = None
    label: str | float | int | bool


class FeedbackRequest(BaseModel):
    feedback: list[FeedbackItem]


class FeedbackResponse(BaseModel):
    accepted: int
    feedback_ids: list[str]


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    role: Literal["champion", "challenger", "shadow"] = "champion"
    share: float | None = Field(default=None, gt=0.0, lt=1.0)
    reason: str | None = Field(default=None, max_length=1000)


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class AdminResult(BaseModel):
    aliases: dict[str, int]
    serving: dict[str, int]
    moves: list[dict[str, Any]] = []


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Malformed request (bad JSON, wrong shape)."),
        (401, "Missing bearer token."),
        (403, "Wrong bearer token, or the endpoint is disabled."),
        (404, "Unknown model or version."),
        (413, "Body or batch over the limit."),
        (415, "Unsupported content type."),
        (422, "No record could be scored, or an invalid field."),
        (503, "Not ready (model loading, shutting down) or the log cannot be written."),
    )
}


def request_body(schema: dict[str, Any], content_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body itself (a self-contained schema)."""
    return {"requestBody": {"required": True, "content": {content_type: {"schema": schema}}}}


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every ``$ref`` to its ``$defs`` replaced by the definition,
    so it can sit anywhere in the OpenAPI document."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
