"""Follow the registry's aliases and swap the routing when they move, without a restart.

A background thread reads the project's aliases (one small indexed query) every
``serving.alias_poll_interval_s`` (0.25 s by default). When champion, challenger (or its share)
or shadow changed, it loads the models it does not hold yet (hash-verified, compiled, checked,
warmed up: see ``_model``), builds a new :class:`~prodml.serve._router.Routing` and publishes
it with one reference assignment. Requests in flight finish on the routing they started with;
the next request uses the new one. A promotion or rollback is therefore live within about
poll interval + load time (well under a second for the bundled examples) and no request fails.

If a model cannot be loaded (a tampered artifact, the store unreachable) the server keeps
serving the routing it has, counts the error and tries again at the next poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from prodml.errors import ProdmlError
from prodml.serve._router import Routing

if TYPE_CHECKING:
    from prodml.serve._model import ServedModel
    from prodml.store import AliasState, Store

__all__ = ["RoutingWatcher"]

_log = logging.getLogger("prodml.serve")
_KEEP_LOADED = 4  # versions kept in memory beyond the ones routed: instant rollbacks


class RoutingWatcher:
    """Owns the current routing; ``routing`` is None until the champion is loaded."""

    def __init__(
        self,
        store: Store,
        *,
        project: str,
        interval_s: float,
        default_share: float,
        load: Callable[[Store, int], ServedModel],
        on_change: Callable[[Routing], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.store = store
        self._project = project
        self._interval = interval_s
        self._default_share = default_share
        self._load = load
        self._on_change = on_change
        self._on_error = on_error
        self._models: dict[int, ServedModel] = {}
        self._key: tuple[object, ...] | None = None
        self._generation = 0
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self._attempted = threading.Event()
        self.routing: Routing | None = None
        self.error: str | None = None  # why there is no routing yet, for readiness probes

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prodml-routing", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wait_first(self, timeout: float) -> bool:
        """Block until the first load attempt finished; True if a routing is in service."""
        self._attempted.wait(timeout)
        return self.routing is not None

    def refresh_now(self) -> Routing | None:
        """Check the registry at once (after an admin move) and return the routing in force."""
        self.refresh()
        return self.routing

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._poke.wait(self._interval)
            self._poke.clear()

    def refresh(self) -> None:
        try:
            states = self.store.metadata.alias_states()
            self._apply(states)
            self._last_error = None
        except ProdmlError as exc:
            self._report(exc, exc.render())
        except Exception as exc:  # a bug must not kill the thread that keeps models fresh
            self._report(exc, f"{type(exc).__name__}: {exc}")
            _log.exception("routing refresh failed")
        finally:
            self._attempted.set()

    def _report(self, exc: BaseException, text: str) -> None:
        if self.routing is None:
            self.error = text
        if text != self._last_error:
            _log.error("cannot refresh the routing from the registry: %s", text)
            self._last_error = text
        if self._on_error is not None:
            self._on_error(exc)

    def _apply(self, states: dict[str, AliasState]) -> None:
        champion = states.get("champion")
        challenger = states.get("challenger")
        shadow = states.get("shadow")
        share = 0.0
        if challenger is not None:
            share = challenger.share if challenger.share is not None else self._default_share
        key = (
            champion.version if champion else None,
            challenger.version if challenger else None,
            share,
            shadow.version if shadow else None,
        )
        if key == self._key:
            return
        if champion is None:
            self.error = (
                "the registry has no champion: train a model (prodml train) or promote one "
                "(prodml promote VERSION --as champion)"
            )
            if self.routing is None:
                return
            _log.error("the champion alias was removed; still serving version %s", key)
            return
        wanted = [s.version for s in (champion, challenger, shadow) if s is not None]
        for version in wanted:
            if version not in self._models:
                self._models[version] = self._load(self.store, version)
        self._generation += 1
        routing = Routing(
            champion=self._models[champion.version],
            challenger=self._models[challenger.version] if challenger else None,
            share=share,
            shadow=self._models[shadow.version] if shadow else None,
            project=self._project,
            generation=self._generation,
        )
        previous = self.routing
        self.routing = routing  # the swap: one reference assignment
        self._key = key
        self.error = None
        self._evict(set(wanted))
        if previous is not None:
            _log.info("routing changed: %s", routing.versions)
        if self._on_change is not None:
            self._on_change(routing)

    def _evict(self, routed: set[int]) -> None:
        spare = [v for v in self._models if v not in routed]
        for version in spare[:-_KEEP_LOADED] if len(spare) > _KEEP_LOADED else []:
            del self._models[version]
