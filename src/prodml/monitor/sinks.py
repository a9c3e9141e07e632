"""Where alert events go: the console, a JSON-lines file, a webhook.

Every event is one JSON object (``event``: ``firing`` or ``resolved``, the rule, severity,
metric, value, threshold, window, model version, message). The webhook POSTs it with a
timeout, retrying connection errors and 5xx answers with exponential backoff
(``backoff_s``, ``2 * backoff_s``, ...); a 4xx answer is not retried (the receiver refused
the payload). ``PRODML_WEBHOOK_TOKEN``, when set, is sent as ``Authorization: Bearer``: secrets
come from the environment, never from the project file. A sink that fails never stops the
others, and never loses the incident, which is in the store either way.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from prodml.spec import AlertSink

__all__ = ["deliver"]


def deliver(sinks: list[AlertSink], event: dict[str, Any], *, base_dir: Path) -> list[str]:
    """Send ``event`` to every sink; returns the failures, one line each (empty: all sent)."""
    failures = []
    for sink in sinks:
        try:
            if sink.type == "console":
                _console(event)
            elif sink.type == "file":
                _file(base_dir / str(sink.path), event)
            else:
                _webhook(sink, event)
        except Exception as exc:
            failures.append(f"{sink.type} sink: {exc}")
    return failures


def _console(event: dict[str, Any]) -> None:
    mark = "FIRING" if event["event"] == "firing" else "resolved"
    sys.stderr.write(f"alert {mark} [{event['severity']}] {event['rule']}: {event['message']}\n")


def _file(path: Path, event: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, default=str, sort_keys=True) + "\n")


def _webhook(sink: AlertSink, event: dict[str, Any]) -> None:
    payload = json.dumps(event, default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "prodml-monitor"}
    token = os.environ.get("PRODML_WEBHOOK_TOKEN", "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    last = ""
    for attempt in range(sink.retries + 1):
        if attempt:
            time.sleep(sink.backoff_s * 2 ** (attempt - 1))
        request = urllib.request.Request(str(sink.url), data=payload, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=sink.timeout_s) as answer:
                answer.read()
                return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
    raise RuntimeError(f"POST {sink.url} failed after {attempt + 1} attempt(s): {last}")
