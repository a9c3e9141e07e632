"""``GET /dashboard``: the monitoring dashboard of the served project, as one HTML page.

A monitoring pass over the prediction log's Parquet segments (rows still buffered in the
write-ahead file appear once their segment is written, within ``serving.log_segment_interval_s``),
without the domain classifier and without checking alert rules: viewing a page must not page
anyone; ``prodml monitor`` (cron) owns alerting. Query parameters: ``window`` (``1h``, ``1d``...)
and ``since`` (a date). Protected by ``PRODML_API_TOKEN`` when it is set.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from prodml.errors import RequestError
from prodml.serve._predict import service_of

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/dashboard", summary="Monitoring dashboard (HTML)", response_class=HTMLResponse)
async def dashboard(
    request: Request, window: str | None = None, since: str | None = None
) -> Response:
    service = service_of(request)
    service.tokens.check_api(request.headers.get("authorization"))
    start = None
    if since:
        try:
            start = date.fromisoformat(since)
        except ValueError as exc:
            raise RequestError(
                f"since {since!r} is not a date",
                code="invalid_request",
                where="since",
                fix="use YYYY-MM-DD",
            ) from exc
    page = await asyncio.to_thread(_render, service.config.root, window, start)
    return HTMLResponse(page)


def _render(root: Path, window: str | None, since: date | None) -> str:
    from prodml.monitor.dashboard import render_dashboard
    from prodml.project import Project

    project = Project(root)
    try:
        report = project.monitor(window=window, since=since, alerts=False, domain=False)
    finally:
        project.store.close()
    return render_dashboard(report.to_dict())
