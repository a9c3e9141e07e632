"""The demo's plot: train, serve, drift, alert, and the summary a newcomer reads at the end.

Every step calls the same public API a user would (``Project.train``, ``prodml serve`` over
HTTP, ``POST /predict``, ``POST /feedback``, ``Project.monitor``, ``Project.report``), so the
demo shows prodml as it is, not a mock-up. Only the traffic and its outcomes are invented,
and the narrator marks them as such.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodml.demo.ledger import Ledger, ValueRow
from prodml.demo.narrator import Narrator
from prodml.demo.project import create_project
from prodml.demo.replay import decide, send_outcomes
from prodml.demo.server import FOREIGN_SETTINGS, Server, running_server
from prodml.demo.traffic import Applications, Drift, applicant_ids, simulate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from prodml.monitor.run import MonitorReport
    from prodml.project import Project

__all__ = ["DemoResult", "DemoSettings", "run_demo"]

ACTOR = "prodml demo"


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the story; the defaults fit in about three minutes on two cores."""

    seed: int = 7
    applications: int = 1500  # per round of traffic
    drift_rounds: int = 3
    batch_size: int = 500


@dataclass
class DemoResult:
    """What the demo did, for its summary and for tests."""

    root: Path
    versions: list[int] = field(default_factory=list)
    champion: int | None = None
    alerts: list[str] = field(default_factory=list)
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
        self.pending: list[Applications] = []  # scored, outcomes not yet known
        self.pool: pd.DataFrame | None = None

    # -- the plot ----------------------------------------------------------------------------

    def tell(self) -> DemoResult:
        project = self._set_up()
        self._train(project)
        self.say.chapter("Serving the champion")
        with running_server(
            project.root,
            admin_token=secrets.token_urlsafe(24),
            log_path=self.root / "server.log",
        ) as server:
            self.say.say(f"prodml serve is up at {server.url} (log: {server.log_path})")
            ledger = Ledger(project.spec)
            self._steady_traffic(server, ledger)
            self._drifting_traffic(server, ledger)
            report = self._monitor(project, server)
        self.result.values = ledger.summary()
        self._documents(project, report)
        self._summary(project)
        self.result.elapsed_s = self.say.elapsed_s
        return self.result

    def _set_up(self) -> Project:
        from prodml.project import Project

        self.say.chapter("A project from the bundled credit example")
        made = create_project(self.root, seed=self.settings.seed)
        self.pool = made.future
        self.say.say(f"project folder: {made.root}")
        self.say.say(
            f"{made.history_rows:,} past loan applications (with their outcome) to train on; "
            f"{len(made.future):,} others held back, to come back later as production traffic."
        )
        return Project(made.root)

    def _train(self, project: Project) -> None:
        self.say.chapter("Training the first model")
        report = project.train(progress=lambda step: self.say.note(f"  {step}"), actor=ACTOR)
        if report.version is None:
            from prodml.errors import ProdmlError

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

    def _steady_traffic(self, server: Server, ledger: Ledger) -> None:
        self.say.chapter("Production traffic, before any drift")
        self._round(server, ledger, "before drift", Drift())

    def _drifting_traffic(self, server: Server, ledger: Ledger) -> None:
        self.say.chapter("The world drifts")
        self.say.simulated(
            "from now on incomes are inflated (the same people, higher nominal income) and "
            "applicants in insecure jobs start calling themselves 'gig', a category the model "
            "never saw. Every application keeps its true outcome."
        )
        rounds = self.settings.drift_rounds
        for k in range(1, rounds + 1):
            self._round(server, ledger, "under drift", Drift.at(k / rounds))

    def _round(self, server: Server, ledger: Ledger, phase: str, drift: Drift) -> None:
        """One batch of traffic; the outcomes of the previous batch arrive meanwhile."""
        assert self.pool is not None
        applications = simulate(self.pool, self.settings.applications, drift, self.rng, self.ids)
        decisions = decide(server, applications, batch_size=self.settings.batch_size)
        ledger.add(phase, applications, decisions)
        scored = decisions["decision"].notna()
        by = ", ".join(f"v{v}" for v in sorted(decisions["model_version"].unique()))
        self.say.simulated(
            f"{len(applications.records):,} applications ({drift.describe()}) -> {by} declined "
            f"{decisions.loc[scored, 'decision'].astype(bool).mean():.0%}"
        )
        self._deliver_outcomes(server)
        self.pending.append(applications)

    def _deliver_outcomes(self, server: Server) -> None:
        """Post the true outcomes of the applications scored so far: a loan's outcome is known
        long after its decision, so they always arrive a round late."""
        if not self.pending:
            return
        accepted = sum(send_outcomes(server, applications) for applications in self.pending)
        self.pending = []
        self.say.simulated(f"outcomes of {accepted:,} earlier applications arrive (POST /feedback)")

    def _monitor(self, project: Project, server: Server) -> MonitorReport:
        self.say.chapter("Monitoring: what changed in production")
        self._deliver_outcomes(server)
        server.post("/admin/flush", {}, admin=True)
        report = project.monitor()
        self._print_windows(report.to_dict())
        fired = [c for c in report.checks if c["holds"]]
        for check in fired:
            self.say.alert(check["severity"], f"{check['rule']}: {check['message']}")
            self.result.alerts.append(check["rule"])
        if not fired:
            self.say.say("no alert rule holds.")
        return report

    def _print_windows(self, report: dict[str, Any]) -> None:
        unit = report["unit"]
        rows = []
        for w in report["windows"]:
            m = w["metrics"]
            drift = w["drift"] or {}
            rows.append(
                (
                    w["start"][11:16],
                    f"{w['rows']:,}",
                    _pct(m.get("labelled_share")),
                    _num(m.get("value_per_decision")),
                    _num(m.get("estimated_value_per_decision")),
                    _pct(m.get("drift_share")),
                    ", ".join(drift.get("drifted_columns", [])) or "-",
                )
            )
        self.say.table(
            f"champion v{report['version']}, one-minute windows (UTC)",
            (
                "window",
                "decisions",
                "labelled",
                f"realised {unit}/decision",
                f"estimated {unit}/decision",
                "drift share",
                "drifted columns",
            ),
            rows,
            caption=f"held-out reference: "
            f"{_num(report['reference']['held_out'].get('value_per_decision'))} {unit}/decision",
        )

    # -- the end ---------------------------------------------------------------------------

    def _documents(self, project: Project, report: MonitorReport) -> None:
        from prodml.monitor.dashboard import render_dashboard

        champion = project.aliases()["champion"]
        self.result.report = self.root / f"report-v{champion}.html"
        self.result.report.write_text(project.report(champion), encoding="utf-8")
        self.result.dashboard = self.root / "monitoring.html"
        self.result.dashboard.write_text(render_dashboard(report.to_dict()), encoding="utf-8")

    def _summary(self, project: Project) -> None:
        unit = project.spec.problem.unit
        self.say.chapter("Summary")
        self.say.table(
            f"realised value per decision ({unit}), priced with the true outcomes",
            ("phase", "version", "variant", "decisions", f"{unit}/decision", "declined"),
            [
                (
                    row.phase,
                    f"v{row.version}",
                    row.variant,
                    f"{row.decisions:,}",
                    _num(row.value_per_decision),
                    _pct(row.declined_share),
                )
                for row in self.result.values
            ],
        )
        self.say.say(
            "versions: "
            + ", ".join(f"v{v}" for v in self.result.versions)
            + f"; champion now v{self.result.champion}"
        )
        self.say.say("alerts fired: " + (", ".join(self.result.alerts) or "none"))
        self.say.say(f"model report: {self.result.report}")
        self.say.say(f"monitoring dashboard: {self.result.dashboard}")
        self.say.say(f"the project stays in {self.root}: try prodml monitor -p {self.root}")


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.0%}"
