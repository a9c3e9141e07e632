"""``prodml maintain``: one idempotent step of the maintenance loop, for cron or an orchestrator.

Each step does the first of these that applies, records what it decided, and returns:

1. **Guard**: a champion promoted within ``guard.window`` that breaches the guard's limits is
   rolled back (and an alert sent); a guard window that ended clean is recorded once. While a
   new champion is watched, nothing is retrained (a running A/B test is still judged).
2. **A/B test**: a running test is judged with the sequential test; *promote* makes the
   challenger the champion (the guard then watches it), *stop for harm* and *expired* remove
   the challenger, *keep running* leaves everything as it is. A test whose aliases were moved
   by hand is closed as abandoned.
3. **Policies**: when one fires (and the cool-down since the last retraining has passed), a
   challenger is trained on fresh data with the same pipeline as ``prodml train`` (a new
   snapshot, lineage to the champion), gated against the champion on recent labelled decisions
   neither learned from, and, if it passes every gate, given the A/B share of traffic.

Running the step twice changes nothing the first run did not decide: a running test is only
re-judged, a fired policy waits out its cool-down. Two steps at once are refused (a lock file
beside the store), so cron overlapping itself is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodml.errors import DataError, ProdmlError, UserError
from prodml.jsonsafe import jsonable

if TYPE_CHECKING:
    from prodml.maintain.guard import GuardCheck
    from prodml.project import Project

__all__ = ["MaintainReport", "maintain"]

Say = Callable[[str], None]


@dataclass
class MaintainReport:
    """What one step looked at and did; ``actions`` in order, each a dict with ``kind``,
    ``decision``, ``reason``, ``versions`` and ``details``."""

    project: str
    at: datetime
    champion: int | None
    challenger: int | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    ab: dict[str, Any] | None = None

    def add(
        self,
        kind: str,
        decision: str,
        reason: str,
        *,
        versions: Mapping[str, int | None] | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        action = {
            "kind": kind,
            "decision": decision,
            "reason": reason,
            "versions": dict(versions or {}),
            "details": details or {},
        }
        self.actions.append(action)
        return action

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "project": self.project,
                "at": self.at,
                "champion": self.champion,
                "challenger": self.challenger,
                "actions": self.actions,
                "policies": self.policies,
                "ab": self.ab,
            }
        )

    def lines(self) -> list[str]:
        out = []
        for check in self.policies:
            mark = {True: "fired", False: "ok", None: "unknown"}[check["fired"]]
            out.append(f"policy {check['policy']}: {mark} - {check['message']}")
        for action in self.actions:
            out.append(f"{action['kind']}: {action['decision']} - {action['reason']}")
        if not self.actions:
            out.append("nothing to do: no guard, no A/B test running, no policy fired")
        return out


def maintain(
    project: Project,
    *,
    actor: str | None = None,
    now: datetime | None = None,
    progress: Say | None = None,
) -> MaintainReport:
    from prodml.store import current_actor

    now = now or datetime.now(UTC)
    who = actor or f"maintain:{current_actor()}"
    say = progress or (lambda _msg: None)
    aliases = project.aliases()
    if "champion" not in aliases:
        raise UserError(
            "no champion to maintain",
            where="champion",
            fix="train a model first (prodml train), or promote one (prodml promote V)",
        )
    report = MaintainReport(project.name, now, aliases["champion"], aliases.get("challenger"))
    with _step_lock(project):
        guarded = _guard(project, report, who, now, say)
        if guarded == "rolled_back" or _ab(project, report, who, now, say):
            return report
        if guarded != "watching":
            _policies(project, report, who, now, say)
    return report


# -- 1. the promotion guard ----------------------------------------------------------------------


def _guard(
    project: Project, report: MaintainReport, who: str, now: datetime, say: Say
) -> str | None:
    """``rolled_back`` (the step ends), ``watching`` (no retraining while a new champion is
    watched), or None."""
    from prodml.maintain.guard import active_promotion, check_guard
    from prodml.maintain.journal import last_event

    watched = active_promotion(project, now)
    if watched is None:
        return None
    move, previous = watched
    # only verdicts are recorded (cleared, rolled_back), and the newest is about the newest move
    judged = last_event(project.store.metadata, "guard")
    if judged is not None and judged.details.get("move_id") == move.id:
        return None
    say(f"checking the promotion guard of v{move.to_version}")
    check = check_guard(project, move, previous, now=now)
    versions = {"champion": check.version, "previous": previous}
    if check.breaches:
        _roll_back(project, report, check, who)
        return "rolled_back"
    if check.window_over:
        reason = (
            f"v{check.version} served {check.records} records in the guard window without a breach"
            if check.judged
            else f"the guard window ended with only {check.records} records: nothing judged"
        )
        _record(project, report, "guard", "cleared", reason, who, versions, check.to_dict())
        return None
    report.add(
        "guard",
        "watching",
        f"v{check.version}: {check.records} records since the promotion, no breach; no "
        "retraining until the guard window ends",
        versions=versions,
        details=check.to_dict(),
    )
    return "watching"


def _roll_back(project: Project, report: MaintainReport, check: GuardCheck, who: str) -> None:
    from prodml.maintain.journal import end_ab_test, running_ab_test

    reason = "; ".join(check.breaches)
    versions = {"champion": check.version, "previous": check.previous}
    rolled = project.rollback(reason=f"promotion guard: {reason}", actor=who)
    details = {**check.to_dict(), "rolled_back_to": rolled.to_version}
    _record(
        project,
        report,
        "guard",
        "rolled_back",
        f"v{check.version} breached the guard ({reason}); champion back to v{rolled.to_version}",
        who,
        versions,
        details,
    )
    test = running_ab_test(project.store.metadata)
    if test is not None:
        end_ab_test(project.store.metadata, test.id, "abandoned", {"reason": "rollback"})
    report.champion = rolled.to_version
    _alert_rollback(project, check, rolled.to_version, reason)


def _alert_rollback(project: Project, check: GuardCheck, target: int | None, reason: str) -> None:
    """A critical incident in ``prodml alerts`` and an event to every monitoring sink."""
    from prodml.monitor.alerts import event_payload, record_incident
    from prodml.monitor.sinks import deliver

    alert = record_incident(
        project.store.metadata.engine,
        project.name,
        rule=f"promotion guard v{check.version}",
        metric="guard",
        severity="critical",
        message=f"promotion guard rolled v{check.version} back to v{target}: {reason}",
        version=check.version,
        window_start=check.promoted_at,
        details=jsonable(check.to_dict()),
        resolved=True,  # the rollback resolved it; the incident stays on record
    )
    payload = event_payload("rollback", alert, project=project.name)
    deliver(list(project.spec.monitoring.sinks), payload, base_dir=project.root)


# -- 2. the A/B test ------------------------------------------------------------------------------


def _ab(project: Project, report: MaintainReport, who: str, now: datetime, say: Say) -> bool:
    """True when a test is running (or was closed in this step): no retraining then."""
    from prodml.maintain.ab import ab_status
    from prodml.maintain.journal import end_ab_test, running_ab_test, update_ab_result

    metadata = project.store.metadata
    test = running_ab_test(metadata)
    if test is None:
        return False
    aliases = project.aliases()
    versions = {"champion": test.champion, "challenger": test.challenger}
    if aliases.get("champion") != test.champion or aliases.get("challenger") != test.challenger:
        end_ab_test(metadata, test.id, "abandoned", {"aliases": aliases})
        _record(
            project,
            report,
            "ab",
            "abandoned",
            f"the aliases moved outside maintenance (now {aliases}); the test is closed",
            who,
            versions,
        )
        return True
    say(f"judging the A/B test of v{test.challenger} against v{test.champion}")
    status = ab_status(project, test, now=now)
    result = status.to_dict()
    report.ab = result
    decision = status.decision
    if decision in ("keep_running", "not_enough_data"):
        update_ab_result(metadata, test.id, result)
        report.add("ab", decision, " ".join(status.lines()[-1].split()), versions=versions)
        return True
    summary = " | ".join(line.strip() for line in status.lines()[1:])
    if decision == "promote":
        project.promote(
            test.challenger,
            role="champion",
            reason=f"won the A/B test {test.id}: uplift {status.result.uplift:+.2f} per decision, "
            f"interval [{status.result.lower:+.2f}, {status.result.upper:+.2f}]",
            actor=who,
        )
        end_ab_test(metadata, test.id, "promoted", result)
        _record(project, report, "ab", "promoted", summary, who, versions, result)
        report.champion, report.challenger = test.challenger, None
        return True
    _unset_challenger(project, f"A/B test {test.id}: {decision.replace('_', ' ')}", who)
    end_ab_test(metadata, test.id, "stopped" if decision == "stop_for_harm" else "expired", result)
    _record(project, report, "ab", decision, summary, who, versions, result)
    report.challenger = None
    return True


def _unset_challenger(project: Project, reason: str, who: str) -> None:
    from prodml.registry.aliases import unset

    unset(project.store.metadata, "challenger", reason=reason, actor=who)


# -- 3. policies, retraining, gates ---------------------------------------------------------------


def _policies(project: Project, report: MaintainReport, who: str, now: datetime, say: Say) -> None:
    from prodml.maintain.journal import last_event
    from prodml.maintain.policies import check_policies, needs_monitoring
    from prodml.monitor.logquery import parse_window

    spec = project.spec
    metadata = project.store.metadata
    champion = metadata.resolve("champion")
    monitored = None
    if needs_monitoring(project):
        say("monitoring the champion's recent windows")
        monitored = project.monitor(alerts=False, domain=False)
    checks = check_policies(project, champion, monitored, now=now)
    report.policies = [c.to_dict() for c in checks]
    fired = [c for c in checks if c.fired]
    if not fired:
        return
    versions: dict[str, int | None] = {"champion": champion.version}
    why = "; ".join(f"{c.policy}: {c.message}" for c in fired)
    cooldown = parse_window(spec.maintenance.cooldown, where="maintenance.cooldown")
    last = last_event(metadata, "retrain", "registered")
    if last is not None and now - last.at < cooldown:
        report.add(
            "policy",
            "cooling_down",
            f"{why} - but the last retraining was at {last.at:%Y-%m-%d %H:%M} UTC, within the "
            f"cool-down of {spec.maintenance.cooldown}",
            versions=versions,
        )
        return
    _record(project, report, "policy", "fired", why, who, versions, {"checks": report.policies})
    _retrain(project, report, champion.version, who, now, say)


def _retrain(
    project: Project, report: MaintainReport, champion: int, who: str, now: datetime, say: Say
) -> None:
    from prodml.maintain.fresh_data import fresh_data
    from prodml.maintain.gates import run_gates

    versions: dict[str, int | None] = {"champion": champion}
    champion_bundle = project.load_model(champion)
    try:
        fresh = fresh_data(project, champion_bundle, now=now)
    except DataError as exc:
        _record(project, report, "retrain", "skipped", exc.message, who, versions)
        return
    say(f"retraining on {fresh.description.removeprefix('maintain: ')}")
    try:
        trained = project.train(
            progress=say,
            actor=who,
            data=fresh.train,
            parent=champion,
            data_description=fresh.description,
        )
    except ProdmlError as exc:
        _record(project, report, "retrain", "failed", exc.message, who, versions)
        return
    details = {**fresh.counts, "run_id": trained.run_id, "data_hash": trained.data_hash}
    if trained.version is None:
        reasons = "; ".join(trained.outcome.reasons) or "the success criterion was not met"
        _record(project, report, "retrain", "not_registered", reasons, who, versions, details)
        return
    challenger = trained.version
    versions["challenger"] = challenger
    _record(
        project,
        report,
        "retrain",
        "registered",
        f"v{challenger} trained on {fresh.description.removeprefix('maintain: ')} "
        f"(parent v{champion})",
        who,
        versions,
        details,
    )
    say(f"gating v{challenger} against v{champion} on {len(fresh.recent)} recent decisions")
    gates = run_gates(
        project, (champion, champion_bundle), (challenger, project.load_model(challenger)),
        fresh.recent,
    )  # fmt: skip
    passed = all(g.passed for g in gates)
    summary = "; ".join(
        f"{g.name} {'passed' if g.passed else 'FAILED'}: {g.message}" for g in gates
    )
    _record(
        project,
        report,
        "gate",
        "passed" if passed else "failed",
        summary,
        who,
        versions,
        {"gates": [g.to_dict() for g in gates], "recent_rows": len(fresh.recent)},
    )
    if passed:
        _start_ab(project, report, champion, challenger, who)


def _start_ab(
    project: Project, report: MaintainReport, champion: int, challenger: int, who: str
) -> None:
    from prodml.maintain.journal import start_ab_test

    settings = project.spec
    share = settings.maintenance.ab.share or settings.serving.challenger_share
    project.promote(
        challenger,
        role="challenger",
        share=share,
        reason=f"passed the gates against v{champion}: A/B test on {share:.0%} of entities",
        actor=who,
    )
    test = start_ab_test(
        project.store.metadata, champion=champion, challenger=challenger, share=share
    )
    versions: dict[str, int | None] = {"champion": champion, "challenger": challenger}
    _record(
        project,
        report,
        "ab",
        "started",
        f"A/B test {test.id}: v{challenger} gets {share:.0%} of entities against v{champion}",
        who,
        versions,
        test.to_dict(),
    )
    report.challenger = challenger


# -- shared ---------------------------------------------------------------------------------------


def _record(
    project: Project,
    report: MaintainReport,
    kind: str,
    decision: str,
    reason: str,
    who: str,
    versions: Mapping[str, int | None],
    details: dict[str, Any] | None = None,
) -> None:
    from prodml.maintain.journal import record_event

    record_event(
        project.store.metadata,
        kind=kind,
        decision=decision,
        reason=reason,
        actor=who,
        champion=versions.get("champion"),
        challenger=versions.get("challenger"),
        details=details,
    )
    report.add(kind, decision, reason, versions=versions, details=details)


@contextmanager
def _step_lock(project: Project) -> Iterator[None]:
    """One maintenance step at a time per project folder (an exclusive, non-blocking flock)."""
    import fcntl

    folder = Path(project.root) / ".prodml"
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / "maintain.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UserError(
                "another prodml maintain is running on this project",
                where=str(folder / "maintain.lock"),
                fix="wait for it to finish; schedule maintain less often than it takes",
            ) from exc
        yield
    finally:
        os.close(handle)
