"""The demo's plot: train, serve, drift, alert, retrain, A/B test, promote, and the summary.

Every step calls the same public API a user would (``Project.train``, ``prodml serve`` over
HTTP, ``POST /predict``, ``POST /feedback``, ``Project.monitor``, ``Project.maintain``,
``Project.history``, ``Project.report``), so the demo shows prodml as it is, not a mock-up. Only
the traffic and its outcomes are invented, and the narrator marks them as such.

The held-back applications are cut in two pools: the first feeds the traffic before the A/B
test, whose labelled decisions the challenger is retrained on; the second feeds the A/B test
and what follows, so the challenger is judged on applications it never learned from.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodml.demo import views
from prodml.demo.ledger import Ledger, ValueRow
from prodml.demo.narrator import Narrator
from prodml.demo.project import create_project
from prodml.demo.replay import decide, send_outcomes
from prodml.demo.server import FOREIGN_SETTINGS, Server, running_server
from prodml.demo.traffic import Drift, applicant_ids, simulate
from prodml.errors import ProdmlError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from prodml.maintain.step import MaintainReport
    from prodml.monitor.run import MonitorReport
    from prodml.project import Project

__all__ = ["DemoResult", "DemoSettings", "run_demo"]

ACTOR = "prodml demo"
# Which applications are history and which come back as traffic is part of the scenario, like
# the bundled data: the same champion every time. The settings' seed varies the traffic only.
SPLIT_SEED = 7
FINAL = ("promote", "stop_for_harm", "expired")


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the story; the defaults fit in about three minutes on two cores."""

    seed: int = 7  # of the simulated traffic: resampling, drift draws
    applications: int = 1500  # per round of traffic
    drift_rounds: int = 4
    # Drift grows over this many rounds, then stays: the challenger must learn from decisions
    # made in the drifted world, not only from its beginnings.
    drift_ramp: int = 2
    max_ab_rounds: int = 15
    batch_size: int = 500


@dataclass
class DemoResult:
    """What the demo did, for its summary and for tests."""

    root: Path
    versions: list[int] = field(default_factory=list)
    champion: int | None = None
    challenger: int | None = None
    parent: int | None = None  # the challenger's parent version (lineage)
    alerts: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)  # "kind: decision" of every action
    ab: dict[str, Any] | None = None  # the last look at the A/B test
    values: list[ValueRow] = field(default_factory=list)
    report: Path | None = None
    dashboard: Path | None = None
    elapsed_s: float = 0.0


def run_demo(root: Path, settings: DemoSettings, narrator: Narrator) -> DemoResult:
    """Tell the whole story in ``root`` (a new or empty folder, kept afterwards)."""
    with _own_settings():
        return _Story(root.resolve(), settings, narrator).tell()


@contextmanager
def _own_settings() -> Iterator[None]:
    """The demo's project keeps its store and logs in its own folder, whatever the caller's
    environment names for their own project; the caller's settings come back afterwards."""
    saved = {name: os.environ.pop(name) for name in FOREIGN_SETTINGS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


class _Story:
    def __init__(self, root: Path, settings: DemoSettings, narrator: Narrator) -> None:
        import numpy as np

        self.root = root
        self.settings = settings
        self.say = narrator
        self.rng: np.random.Generator = np.random.default_rng(settings.seed)
        self.ids = applicant_ids()
        self.result = DemoResult(root=root)
        self.pools: tuple[pd.DataFrame, pd.DataFrame] | None = None

    # -- the plot ----------------------------------------------------------------------------

    def tell(self) -> DemoResult:
        project = self._set_up()
        self._train(project)
        ledger = Ledger(project.spec)
        self.say.chapter("Serving the champion")
        with running_server(
            project.root,
            admin_token=secrets.token_urlsafe(24),
            log_path=self.root / "server.log",
        ) as server:
            self.say.say(f"prodml serve is up at {server.url} (log: {server.log_path})")
            self.say.chapter("Production traffic, before any drift")
            self._round(server, ledger, "before drift", Drift(), pool=0)
            self._drift(server, ledger)
            self._monitor(project, server)
            self._maintain(project, server, ledger)
            self._flush(server)
            final = project.monitor(alerts=False)
        self.say.chapter("The audit trail")
        views.history_table(self.say, project.history())
        self.result.values = ledger.summary()
        self._documents(project, final)
        self._summary(project)
        self.result.elapsed_s = self.say.elapsed_s
        return self.result

    def _set_up(self) -> Project:
        from prodml.project import Project

        self.say.chapter("A project from the bundled credit example")
        made = create_project(self.root, seed=SPLIT_SEED)
        half = len(made.future) // 2
        self.pools = (made.future.iloc[:half], made.future.iloc[half:])
        self.say.say(f"project folder: {made.root}")
        self.say.say(
            f"{made.history_rows:,} past loan applications (with their outcome) to train on; "
            f"{len(made.future):,} others held back, to come back as production traffic: "
            f"{half:,} before the A/B test, {len(made.future) - half:,} during and after it."
        )
        return Project(made.root)

    def _train(self, project: Project) -> None:
        self.say.chapter("Training the first model")
        report = project.train(progress=lambda step: self.say.note(f"  {step}"), actor=ACTOR)
        if report.version is None:
            raise ProdmlError(
                "the demo's model did not meet its success criterion: "
                + "; ".join(report.outcome.reasons),
                where=str(project.spec_path),
            )
        record = project.store.metadata.resolve(report.version)
        self.result.versions.append(report.version)
        self.result.champion = report.version
        self.say.say(
            f"version {report.version} ({record.model_kind}) registered as champion in "
            f"{report.duration_s:.0f} s: {record.value_per_decision:,.2f} "
            f"{project.spec.problem.unit} per decision on held-out applications."
        )

    def _drift(self, server: Server, ledger: Ledger) -> None:
        self.say.chapter("The world drifts")
        self.say.simulated(
            "from now on incomes are inflated (the same people, higher nominal income) and "
            "applicants in insecure jobs start calling themselves 'gig', a category the model "
            "never saw. Every application keeps its true outcome."
        )
        for k in range(1, self.settings.drift_rounds + 1):
            drift = Drift.at(k / self.settings.drift_ramp)
            self._round(server, ledger, "under drift", drift, pool=0)

    def _round(
        self,
        server: Server,
        ledger: Ledger,
        phase: str,
        drift: Drift,
        *,
        pool: int,
        quiet: bool = False,
    ) -> pd.DataFrame:
        """One batch of simulated applications, scored by the server; their true outcomes
        come back afterwards (a loan's outcome is known long after its decision)."""
        assert self.pools is not None
        applications = simulate(
            self.pools[pool], self.settings.applications, drift, self.rng, self.ids
        )
        decisions = decide(server, applications, batch_size=self.settings.batch_size)
        ledger.add(phase, applications, decisions)
        accepted = send_outcomes(server, applications)
        if not quiet:
            scored = decisions[decisions["decision"].notna()]
            by = ", ".join(
                f"v{v} {group['decision'].astype(bool).mean():.0%}"
                for v, group in scored.groupby("model_version")
            )
            self.say.simulated(
                f"{len(applications.records):,} applications ({drift.describe()}), declined: "
                f"{by}; later, their {accepted:,} true outcomes (POST /feedback)"
            )
        return decisions

    def _flush(self, server: Server) -> None:
        """Ask the server to write its buffered log rows, so monitoring sees every decision."""
        server.post("/admin/flush", {}, admin=True)

    # -- monitoring and maintenance ----------------------------------------------------------

    def _monitor(self, project: Project, server: Server) -> None:
        self.say.chapter("Monitoring: what changed in production")
        self._flush(server)
        report = project.monitor()
        views.monitor_table(self.say, report.to_dict())
        fired = [c for c in report.checks if c["holds"]]
        for check in fired:
            self.say.alert(check["severity"], f"{check['rule']}: {check['message']}")
            self.result.alerts.append(check["rule"])
        if not fired:
            self.say.say("no alert rule holds.")

    def _maintain(self, project: Project, server: Server, ledger: Ledger) -> None:
        self.say.chapter("Maintenance: prodml maintain retrains and starts an A/B test")
        first = self._step(project, show_policies=True)
        server.follow_registry()
        if first.challenger is None:
            self.say.say("no challenger got traffic: the champion stays, the story ends here.")
            return
        record = project.store.metadata.resolve(first.challenger)
        self.result.challenger = record.version
        self.result.parent = record.parent_version
        self.result.versions.append(record.version)
        self.say.say(
            f"challenger v{record.version} (parent v{record.parent_version}) now answers "
            f"{self._share(project):.0%} of applicants, chosen by a hash of their applicant id."
        )
        self.say.chapter("The A/B test, judged after every batch of outcomes")
        decision = self._ab_rounds(project, server, ledger)
        if decision == "promote":
            self.say.chapter("After the promotion: the guard watches the new champion")
            self._round(server, ledger, "after promotion", Drift.at(1.0), pool=1)
            self._flush(server)
            self._step(project)
            server.follow_registry()
            # A breach rolls the champion back: the summary names whoever serves now.
            self.result.champion = project.aliases()["champion"]

    def _ab_rounds(self, project: Project, server: Server, ledger: Ledger) -> str:
        """Traffic, outcomes, one ``maintain`` step; again, until the test decides."""
        decision = "keep_running"
        for k in range(1, self.settings.max_ab_rounds + 1):
            self._round(server, ledger, "A/B test", Drift.at(1.0), pool=1, quiet=True)
            self._flush(server)
            report = project.maintain(actor=ACTOR)
            server.follow_registry()
            self._remember(report)
            self.say.simulated(f"{self.settings.applications:,} applications and their outcomes")
            if report.ab is None:  # the test was closed without a look (aliases moved by hand)
                self.say.say(f"look {k}: " + "; ".join(report.lines()))
                return "abandoned"
            self.result.ab = report.ab
            decision = str(report.ab["decision"])
            self.say.say(f"look {k}: " + views.ab_line(report.ab))
            if decision in FINAL:
                for action in report.actions:
                    self.say.say(f"{action['kind']}: {action['decision']} - {action['reason']}")
                break
        if decision == "promote":
            self.result.champion = project.aliases()["champion"]
        elif decision not in FINAL:
            self.say.say(
                f"no decision after {self.settings.max_ab_rounds} looks: the test keeps running; "
                "prodml maintain goes on judging it, and prodml ab shows it:"
            )
            status = project.ab()
            for line in status.lines() if status is not None else []:
                self.say.say(line)
        return decision

    def _step(self, project: Project, *, show_policies: bool = False) -> MaintainReport:
        report = project.maintain(actor=ACTOR, progress=lambda step: self.say.note(f"  {step}"))
        self._remember(report)
        lines = report.lines()
        # Each policy check has its own line; the action that says they fired repeats them.
        drop = "policy: fired" if show_policies else "policy "
        lines = [line for line in lines if not line.startswith(drop)]
        for line in lines:
            self.say.say(line)
        return report

    def _remember(self, report: MaintainReport) -> None:
        self.result.decisions += [f"{a['kind']}: {a['decision']}" for a in report.actions]

    def _share(self, project: Project) -> float:
        spec = project.spec
        return spec.maintenance.ab.share or spec.serving.challenger_share

    # -- the end ---------------------------------------------------------------------------

    def _documents(self, project: Project, report: MonitorReport) -> None:
        from prodml.monitor.dashboard import render_dashboard

        champion = project.aliases()["champion"]
        self.result.report = self.root / f"report-v{champion}.html"
        self.result.report.write_text(project.report(champion), encoding="utf-8")
        self.result.dashboard = self.root / "monitoring.html"
        self.result.dashboard.write_text(render_dashboard(report.to_dict()), encoding="utf-8")

    def _summary(self, project: Project) -> None:
        r = self.result
        self.say.chapter("Summary")
        views.value_table(self.say, r.values, project.spec.problem.unit)
        lineage = f" (challenger v{r.challenger}, parent v{r.parent})" if r.challenger else ""
        self.say.say(
            "versions: " + ", ".join(f"v{v}" for v in r.versions) + lineage
            + f"; champion now v{r.champion}"
        )  # fmt: skip
        self.say.say("alerts fired: " + (", ".join(r.alerts) or "none"))
        self.say.say("maintenance decisions: " + (", ".join(views.counted(r.decisions)) or "none"))
        if r.ab is not None:
            self.say.say("A/B test: " + views.ab_line(r.ab))
        self.say.say(f"model report (v{r.champion}): {r.report}")
        self.say.say(f"monitoring dashboard: {r.dashboard}")
        self.say.say(
            f"the project stays in {self.root}: try prodml history -p {self.root}, "
            f"prodml monitor -p {self.root}, prodml serve -p {self.root}"
        )
        self.say.note(f"the demo took {self.say.elapsed_s:.0f} s")
