"""Serving roles as registry aliases: champion, challenger, shadow; promotion and rollback.

* ``champion`` answers requests. Promoting a version to champion also clears the challenger and
  shadow roles if they pointed at that version (it cannot compete with itself).
* ``challenger`` answers a share of entities (sticky by a hash of the entity id); the share is
  stored with the alias and in the audit trail, so a running server picks it up with the move.
* ``shadow`` scores every request off the response path and never answers.

Rollback is an undo stack read from the audit trail: every champion move pushes a version, every
rollback pops one, so ``promote 2, promote 3, rollback, rollback`` ends on the first champion.
A rollback is an ordinary audited move whose reason starts with :data:`ROLLBACK_MARK`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from prodml.errors import NotFoundError, UserError

if TYPE_CHECKING:
    from prodml.store import AliasMove, MetadataStore, UnitOfWork

__all__ = ["ROLES", "ROLLBACK_MARK", "Role", "champion_history", "promote", "rollback", "unset"]

Role = Literal["champion", "challenger", "shadow"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLLBACK_MARK = "[rollback]"


def promote(
    metadata: MetadataStore,
    version: int,
    role: str,
    *,
    share: float | None = None,
    default_share: float = 0.1,
    reason: str | None = None,
    actor: str | None = None,
) -> list[AliasMove]:
    """Point ``role`` at ``version``; returns the audited moves (the role's first).

    ``share`` applies to the challenger only (``default_share`` when not given).
    """
    role = _check_role(role)
    if share is not None and role != "challenger":
        raise UserError(
            f"--share applies to the challenger, not the {role}",
            where="share",
            fix="drop --share, or promote with --as challenger",
        )
    with metadata.unit_of_work() as uow:
        uow.get_model_version(version)
        aliases = uow.aliases()
        moves: list[AliasMove] = []
        if role == "champion":
            moves.append(
                uow.move_alias(
                    "champion", version, reason=reason or "promoted to champion", actor=actor
                )
            )
            for other in ("challenger", "shadow"):
                if aliases.get(other) == version:
                    moves.append(
                        uow.move_alias(
                            other,
                            None,
                            reason=f"version {version} became the champion",
                            actor=actor,
                        )
                    )
            return moves
        if aliases.get("champion") == version:
            raise UserError(
                f"version {version} is the champion; it cannot also be the {role}",
                where="version",
                fix="promote another version, or roll the champion back first (prodml rollback)",
            )
        traffic = (share if share is not None else default_share) if role == "challenger" else None
        default_reason = (
            f"challenger for {traffic:.0%} of entities"
            if traffic is not None
            else "shadow: scores every request, never answers"
        )
        moves.append(
            uow.move_alias(
                role, version, reason=reason or default_reason, actor=actor, share=traffic
            )
        )
        return moves


def unset(
    metadata: MetadataStore, role: str, *, reason: str | None = None, actor: str | None = None
) -> AliasMove:
    """Stop the challenger or the shadow (the champion can only be replaced or rolled back)."""
    role = _check_role(role)
    if role == "champion":
        raise UserError(
            "the champion cannot be removed: a server must always have a model to answer with",
            where="role",
            fix="promote another version to champion, or prodml rollback",
        )
    with metadata.unit_of_work() as uow:
        return uow.move_alias(role, None, reason=reason or f"{role} stopped", actor=actor)


def rollback(
    metadata: MetadataStore, *, reason: str | None = None, actor: str | None = None
) -> AliasMove:
    """Point the champion back at the version it held before the current one."""
    with metadata.unit_of_work() as uow:
        history = champion_history(uow)
        if len(history) < 2:
            current = history[-1] if history else None
            raise NotFoundError(
                "no previous champion to roll back to"
                + (f" (version {current} is the first)" if current is not None else ""),
                where="champion",
                fix="promote a version instead: prodml promote VERSION --as champion",
            )
        target = history[-2]
        text = f"{ROLLBACK_MARK} champion back from {history[-1]} to {target}"
        if reason:
            text = f"{text}: {reason}"
        move = uow.move_alias("champion", target, reason=text, actor=actor)
        for other in ("challenger", "shadow"):
            if uow.aliases().get(other) == target:
                uow.move_alias(
                    other, None, reason=f"version {target} became the champion", actor=actor
                )
        return move


def champion_history(uow: UnitOfWork | MetadataStore) -> list[int]:
    """The undo stack of champions, oldest first; the last is the current champion."""
    stack: list[int] = []
    for move in uow.alias_moves("champion"):
        if move.reason.startswith(ROLLBACK_MARK):
            if stack:
                stack.pop()
            if move.to_version is not None and (not stack or stack[-1] != move.to_version):
                stack.append(move.to_version)  # an undo to a version the stack had lost
        elif move.to_version is None:
            stack.clear()
        elif not stack or stack[-1] != move.to_version:
            stack.append(move.to_version)
    return stack


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(
            f"{role!r} is not a serving role",
            where="--as",
            fix="use one of: " + ", ".join(ROLES),
        )
    return role
