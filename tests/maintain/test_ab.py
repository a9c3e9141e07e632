"""A/B decisions through ``prodml maintain``: a better challenger is promoted, a worse one never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from prodml import Project
from prodml.maintain.journal import last_ab_test, start_ab_test
from tests.maintain.conftest import log_and_label, production, set_maintenance

pytestmark = pytest.mark.slow


def traffic(copies: int = 3) -> pd.DataFrame:
    """Production rows repeated as new applicants (distinct ids), shuffled."""
    rows = production()
    frames = []
    for k in range(copies):
        part = rows.copy()
        part["applicant"] = part["applicant"] + f"-{k}"
        frames.append(part)
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=5)


def start_test(root: Path, champion: int, challenger: int) -> None:
    project = Project(root)
    project.promote(challenger, role="challenger", share=0.5)
    start_ab_test(project.store.metadata, champion=champion, challenger=challenger, share=0.5)
    project.store.close()


def split_traffic(root: Path, champion: int, challenger: int) -> None:
    rows = traffic()
    half = len(rows) // 2
    log_and_label(root, rows.iloc[:half], version=champion, variant="champion")
    log_and_label(root, rows.iloc[half:], version=challenger, variant="challenger")


def test_a_better_challenger_is_promoted_and_then_guarded(pair: Path) -> None:
    set_maintenance(pair, "  ab: {min_samples: 50}\n")
    start_test(pair, champion=1, challenger=2)
    split_traffic(pair, champion=1, challenger=2)

    project = Project(pair)
    status = project.ab()
    assert status is not None and status.decision == "promote"
    assert status.result.lower > 0 and status.result.n_challenger > 1000

    report = project.maintain(actor="test")
    assert [(a["kind"], a["decision"]) for a in report.actions] == [("ab", "promoted")]
    assert project.aliases() == {"champion": 2}
    assert last_ab_test(project.store.metadata).status == "promoted"
    entries = project.history()
    assert entries[-1].kind == "ab" and entries[-1].decision == "promoted"
    promoted = [e for e in entries if e.kind == "move" and e.decision == "champion -> 2"]
    assert len(promoted) == 1 and "won the A/B test" in promoted[0].reason

    # the new champion is now watched by the guard: no retraining while it is
    again = project.maintain(actor="test")
    assert [(a["kind"], a["decision"]) for a in again.actions] == [("guard", "watching")]


def test_a_worse_challenger_is_stopped_for_harm_and_never_promoted(pair: Path) -> None:
    set_maintenance(pair, "  ab: {min_samples: 50}\n  guard: {window: 1m, min_records: 10}\n")
    project = Project(pair)
    project.promote(2, role="champion")  # the good model serves; the noise model challenges
    log_and_label(pair, production().iloc[:200], version=2)
    later = datetime.now(UTC) + timedelta(minutes=2)
    cleared = project.maintain(now=later)  # the guard window of v2 ends clean
    assert [(a["kind"], a["decision"]) for a in cleared.actions] == [("guard", "cleared")]

    start_test(pair, champion=2, challenger=1)
    split_traffic(pair, champion=2, challenger=1)
    report = project.maintain(now=later)

    assert [(a["kind"], a["decision"]) for a in report.actions] == [("ab", "stop_for_harm")]
    assert project.aliases() == {"champion": 2}
    assert last_ab_test(project.store.metadata).status == "stopped"
    moves = [e for e in project.history() if e.kind == "move"]
    assert all(not (m.alias == "champion" and m.to_version == 1) for m in moves[1:])
    assert moves[-1].alias == "challenger" and moves[-1].to_version is None


def test_an_undecided_test_keeps_running_then_expires(pair: Path) -> None:
    set_maintenance(pair, "  ab: {min_samples: 50, max_duration: 1d}\n")
    start_test(pair, champion=1, challenger=2)
    rows = traffic(1)
    log_and_label(pair, rows.iloc[:30], version=1)
    log_and_label(pair, rows.iloc[30:60], version=2, variant="challenger")

    project = Project(pair)
    first = project.maintain()
    assert [(a["kind"], a["decision"]) for a in first.actions] == [("ab", "not_enough_data")]
    assert project.aliases() == {"champion": 1, "challenger": 2}
    assert last_ab_test(project.store.metadata).result["n_champion"] == 30

    expired = project.maintain(now=datetime.now(UTC) + timedelta(days=2))
    assert [(a["kind"], a["decision"]) for a in expired.actions] == [("ab", "expired")]
    assert project.aliases() == {"champion": 1}
    assert last_ab_test(project.store.metadata).status == "expired"


def test_aliases_moved_by_hand_abandon_the_test(pair: Path) -> None:
    start_test(pair, champion=1, challenger=2)
    project = Project(pair)
    project.promote(2, role="champion", reason="the risk team decided")
    report = project.maintain()
    assert [(a["kind"], a["decision"]) for a in report.actions] == [
        ("guard", "watching"),
        ("ab", "abandoned"),
    ]
    assert last_ab_test(project.store.metadata).status == "abandoned"
