"""Bearer tokens from the environment, checked in constant time.

* ``PRODML_API_TOKEN``: when set, prediction endpoints (``/predict``, ``/invocations``, V2
  ``infer``) require ``Authorization: Bearer <token>``; when unset they are open (a private
  network or a gateway in front does the authentication).
* ``PRODML_ADMIN_TOKEN``: admin actions (promote, rollback, reload, flush) and ``/feedback``
  always require it; when it is unset they are disabled (403), never open.

Tokens come only from the environment, never from flags or the project file, and are never
echoed: messages say which variable to set, not what was sent.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from prodml.errors import AuthError

__all__ = ["Tokens"]

API_TOKEN_ENV = "PRODML_API_TOKEN"
ADMIN_TOKEN_ENV = "PRODML_ADMIN_TOKEN"


@dataclass(frozen=True)
class Tokens:
    api: bytes | None
    admin: bytes | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Tokens:
        env = os.environ if environ is None else environ
        api = env.get(API_TOKEN_ENV, "").strip()
        admin = env.get(ADMIN_TOKEN_ENV, "").strip()
        return cls(api=api.encode() or None, admin=admin.encode() or None)

    def check_api(self, authorization: str | None) -> None:
        if self.api is None:
            return
        _check(authorization, self.api, API_TOKEN_ENV)

    def check_admin(self, authorization: str | None) -> None:
        if self.admin is None:
            raise AuthError(
                "admin endpoints are disabled on this server",
                code="admin_disabled",
                fix=f"start the server with {ADMIN_TOKEN_ENV} set, and send it as "
                "Authorization: Bearer <token>",
            )
        _check(authorization, self.admin, ADMIN_TOKEN_ENV)


def _check(authorization: str | None, expected: bytes, variable: str) -> None:
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthError(
            "missing bearer token",
            code="unauthorized",
            where="Authorization header",
            fix=f"send Authorization: Bearer <token>, with the token the server has in {variable}",
        )
    if not hmac.compare_digest(given.strip().encode(), expected):
        raise AuthError(
            "wrong bearer token",
            code="forbidden",
            where="Authorization header",
            fix=f"use the token the server has in {variable}",
        )
