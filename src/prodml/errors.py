"""Every error prodml raises on purpose, in one tree.

::

    ProdmlError                      exit 1 (something went wrong that the user did not cause)
    ├── IntegrityError               exit 1 (a stored artifact does not match its hash)
    ├── UserError                    exit 2 (the user can fix it: the message says how)
    │   ├── SpecError                bad project file (field path, bad value, what is allowed)
    │   │   └── ExpressionError      a value expression that is not safe arithmetic
    │   ├── DataError                bad or unreadable data (file, column, the fix)
    │   ├── StoreError               the store cannot be reached or opened
    │   ├── NotFoundError            an unknown run, model version or alias
    │   └── RequestError             an HTTP request the API cannot serve as sent (see ``code``)
    │       └── AuthError            a missing or wrong bearer token
    ├── UnavailableError             the server cannot answer yet (model loading, shutting down)
    ├── NotRegisteredError           exit 3 (training finished but the success criterion failed)
    └── DataRejectedError            exit 4 (validation finished but rejected too many rows)

The CLI maps these to exit codes in one place (``prodml.cli.main``); the HTTP API maps them to
statuses in its own single place (``prodml.serve._errors``). Third-party errors are translated at
the boundary with ``raise ... from``.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "DataError",
    "DataRejectedError",
    "ExpressionError",
    "IntegrityError",
    "NotFoundError",
    "NotRegisteredError",
    "ProdmlError",
    "RequestError",
    "SpecError",
    "StoreError",
    "UnavailableError",
    "UserError",
]


class ProdmlError(Exception):
    """Base of every deliberate prodml error.

    ``where`` names the file, field or column at fault and ``fix`` says what to do; both end up in
    the one-line message the CLI prints, so users never need a traceback to act.
    """

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text = f"{text}\n  fix: {self.fix}"
        return text


class IntegrityError(ProdmlError):
    """A stored artifact is missing, truncated or tampered with: never load it."""


class UserError(ProdmlError):
    """Caused by input the user controls; the message names the field and the fix."""

    exit_code = 2


class SpecError(UserError):
    """The project file is malformed or inconsistent."""


class ExpressionError(SpecError):
    """A value-of-outcome expression is not the safe arithmetic prodml evaluates."""


class DataError(UserError):
    """The data cannot be read or cannot train the model described by the project file."""


class StoreError(UserError):
    """The metadata store (SQLite file or PostgreSQL server) cannot be reached or opened."""


class NotFoundError(UserError):
    """A run, model version or alias that the store does not hold."""


class RequestError(UserError):
    """An HTTP request that cannot be served as sent: malformed, too large, no valid record.

    ``code`` is a short, stable, machine-readable reason (``malformed_json``, ``too_large``,
    ``no_valid_records``...) that clients can branch on; the API turns it into a status.
    """

    def __init__(
        self, message: str, *, code: str, where: str | None = None, fix: str | None = None
    ) -> None:
        self.code = code
        super().__init__(message, where=where, fix=fix)


class AuthError(RequestError):
    """A missing or wrong bearer token, or an endpoint whose token is not configured."""


class UnavailableError(ProdmlError):
    """The server is up but cannot answer yet: the model is loading, or it is shutting down."""


class NotRegisteredError(ProdmlError):
    """Training completed, but the model failed the project's success criterion.

    The run is kept with its reasons; no model version is created. A distinct exit code lets
    scripts and orchestrators tell "bad model" from "broken pipeline".
    """

    exit_code = 3


class DataRejectedError(ProdmlError):
    """Validation completed, but more rows were rejected than ``data.validation`` allows.

    The report is printed (and the quarantine file written) before this is raised; the distinct
    exit code lets a pipeline stop a bad batch before it is scored, without mistaking it for a
    broken command.
    """

    exit_code = 4
