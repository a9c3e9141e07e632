"""Who is acting, for the alias audit trail."""

from __future__ import annotations

import getpass
import os
import socket

__all__ = ["current_actor"]


def current_actor() -> str:
    """``user@host`` of this process; ``PRODML_ACTOR`` overrides it.

    Schedulers and CI run as a service account on an anonymous host, which says nothing about
    who asked for a promotion; they set ``PRODML_ACTOR`` (e.g. to the pipeline or the approver).
    """
    override = os.environ.get("PRODML_ACTOR", "").strip()
    if override:
        return override
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # containers often run under a uid with no passwd entry
        user = "unknown"
    return f"{user}@{socket.gethostname() or 'unknown'}"
