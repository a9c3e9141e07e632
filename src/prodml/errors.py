"""Every error prodml raises on purpose, in one tree.

::

    ProdmlError                      exit 1 (something went wrong that the user did not cause)
    ├── IntegrityError               exit 1 (a stored artifact does not match its hash)
    ├── UserError                    exit 2 (the user can fix it: the message says how)
    │   ├── SpecError                bad project file (field path, bad value, what is allowed)
    │   │   └── ExpressionError      a value expression that is not safe arithmetic
    │   ├── DataError                bad or unreadable data (file, column, the fix)
    │   ├── StoreError               the store cannot be reached or opened
    │   └── NotFoundError            an unknown run, model version or alias
    └── NotRegisteredError           exit 3 (training finished but the success criterion failed)

The CLI maps these to exit codes in one place (``prodml.cli.main``); the HTTP API will do the same
in its own single place. Third-party errors are translated at the boundary with ``raise ... from``.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "ExpressionError",
    "IntegrityError",
    "NotFoundError",
    "NotRegisteredError",
    "ProdmlError",
    "SpecError",
    "StoreError",
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


class NotRegisteredError(ProdmlError):
    """Training completed, but the model failed the project's success criterion.

    The run is kept with its reasons; no model version is created. A distinct exit code lets
    scripts and orchestrators tell "bad model" from "broken pipeline".
    """

    exit_code = 3
