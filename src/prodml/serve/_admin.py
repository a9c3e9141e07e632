"""Admin endpoints: promote, rollback, reload, flush (``PRODML_ADMIN_TOKEN`` required).

Promote and rollback are the registry's own audited moves (:mod:`prodml.registry.aliases`), the
same as ``prodml promote`` / ``prodml rollback``; the server then re-reads the aliases at once
instead of waiting for its next poll. Other replicas pick the move up at their next poll.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from prodml.serve._body import json_response
from prodml.serve._predict import service_of
from prodml.serve._schemas import ERROR_RESPONSES, AdminResult, PromoteRequest, RollbackRequest
from prodml.serve._service import Service

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])


def _actor(request: Request) -> str:
    client = request.client.host if request.client else "unknown"
    return f"prodml-serve admin API from {client}"


async def _state(service: Service, moves: list[Any]) -> Response:
    routing = await asyncio.to_thread(service.watcher.refresh_now)
    aliases = await asyncio.to_thread(service.watcher.store.metadata.aliases)
    return json_response(
        {
            "aliases": aliases,
            "serving": routing.versions if routing else {},
            "moves": [{**asdict(m), "at": m.at.isoformat()} for m in moves],
        }
    )


@router.post(
    "/promote",
    summary="Point champion, challenger or shadow at a version",
    response_model=AdminResult,
    responses=ERROR_RESPONSES,
)
async def promote(body: PromoteRequest, request: Request) -> Response:
    from prodml.registry.aliases import promote as move

    service = service_of(request)
    service.tokens.check_admin(request.headers.get("authorization"))
    moves = await asyncio.to_thread(
        move,
        service.watcher.store.metadata,
        body.version,
        body.role,
        share=body.share,
        default_share=service.config.serving.challenger_share,
        reason=body.reason,
        actor=_actor(request),
    )
    return await _state(service, moves)


@router.post(
    "/rollback",
    summary="Champion back to the previous champion",
    response_model=AdminResult,
    responses=ERROR_RESPONSES,
)
async def rollback(body: RollbackRequest, request: Request) -> Response:
    from prodml.registry.aliases import rollback as move

    service = service_of(request)
    service.tokens.check_admin(request.headers.get("authorization"))
    done = await asyncio.to_thread(
        move, service.watcher.store.metadata, reason=body.reason, actor=_actor(request)
    )
    return await _state(service, [done])


@router.post(
    "/reload",
    summary="Re-read the aliases now",
    response_model=AdminResult,
    responses=ERROR_RESPONSES,
)
async def reload(request: Request) -> Response:
    service = service_of(request)
    service.tokens.check_admin(request.headers.get("authorization"))
    return await _state(service, [])


@router.post(
    "/flush", summary="Write buffered log rows to Parquet segments now", responses=ERROR_RESPONSES
)
async def flush(request: Request) -> Response:
    service = service_of(request)
    service.tokens.check_admin(request.headers.get("authorization"))
    if service.shadow is not None:
        await asyncio.to_thread(service.shadow.drain)
    await asyncio.to_thread(service.predictions.flush)
    await asyncio.to_thread(service.feedback.flush)
    return json_response({"flushed": True})
