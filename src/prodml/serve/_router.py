"""Which model answers which record: champion, challenger (sticky share), shadow.

A :class:`Routing` is immutable. The registry watcher builds a new one when an alias moves and
swaps a single reference; a request reads that reference once and uses the same routing for
all its records, so a swap never mixes models inside a request and never fails one.

Assignment is sticky: an entity (the project's ``data.id_column``) goes to the challenger when
``hash(salt, entity) < share``, with a 64-bit BLAKE2b hash salted by the project and the
challenger's version. The same entity therefore sees the same variant for the whole life of a
challenger, whichever worker or replica answers; raising the share only moves entities from the
champion to the challenger, never back; a new challenger draws a fresh split. A record without
an entity id is assigned at random and logged with ``assignment = "random"``; with no challenger
every record is ``"fixed"`` to the champion.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodml.serve._model import ServedModel

__all__ = ["Routing", "bucket"]

_SCALE = float(2**64)


def bucket(salt: bytes, entity: str) -> float:
    """A uniform number in [0, 1) that depends only on the salt and the entity id."""
    digest = hashlib.blake2b(entity.encode("utf-8", "surrogatepass"), digest_size=8, key=salt)
    return int.from_bytes(digest.digest(), "big") / _SCALE


@dataclass(frozen=True)
class Routing:
    champion: ServedModel
    challenger: ServedModel | None = None
    share: float = 0.0
    shadow: ServedModel | None = None
    project: str = ""
    generation: int = 0
    _salt: bytes = field(default=b"", repr=False)

    _rules: dict[int, float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.challenger is not None and not self._salt:
            salt = f"{self.project}:challenger:{self.challenger.version}".encode()
            object.__setattr__(self, "_salt", hashlib.blake2b(salt, digest_size=16).digest())
        for model in (self.champion, self.challenger, self.shadow):
            if model is not None:
                self._rules[model.version] = model.decision_rule

    @property
    def decision_rules(self) -> dict[int, float]:
        """Each served version's decision rule (threshold or offset), which every log row
        records; computed once per routing, not per request."""
        return self._rules

    @property
    def versions(self) -> dict[str, int]:
        out = {"champion": self.champion.version}
        if self.challenger is not None:
            out["challenger"] = self.challenger.version
        if self.shadow is not None:
            out["shadow"] = self.shadow.version
        return out

    def model(self, variant: str) -> ServedModel:
        found = {"champion": self.champion, "challenger": self.challenger, "shadow": self.shadow}
        model = found.get(variant)
        if model is None:
            raise KeyError(variant)
        return model

    def by_version(self, version: int) -> ServedModel | None:
        for model in (self.champion, self.challenger, self.shadow):
            if model is not None and model.version == version:
                return model
        return None

    def assign(self, entities: Sequence[str | None]) -> tuple[list[str], list[str]]:
        """Variant (champion or challenger) and assignment (sticky or random) of each record."""
        n = len(entities)
        if self.challenger is None or self.share <= 0.0:
            return ["champion"] * n, ["fixed"] * n
        variants: list[str] = []
        assignments: list[str] = []
        for entity in entities:
            if entity is None:
                draw = random.random()
                assignments.append("random")
            else:
                draw = bucket(self._salt, entity)
                assignments.append("sticky")
            variants.append("challenger" if draw < self.share else "champion")
        return variants, assignments
