"""How the demo reads on the terminal: A/B looks and repeated decisions."""

from __future__ import annotations

import io

from rich.console import Console

from prodml.demo.narrator import Narrator
from prodml.demo.views import ab_line, counted


def _status(decision: str, **extra: object) -> dict[str, object]:
    return {
        "champion": 1,
        "challenger": 2,
        "n_champion": 1200,
        "n_challenger": 1300,
        "value_champion": 20.0,
        "value_challenger": 35.5,
        "uplift": 15.5,
        "lower": 2.25,
        "upper": 28.75,
        "decision": decision,
        "samples_still_needed": 4000,
        "unit": "EUR",
        **extra,
    }


def test_a_running_test_says_how_many_decisions_it_still_needs() -> None:
    line = ab_line(_status("keep_running"))
    assert "champion v1: 1,200 labelled, +20.00 EUR/decision" in line
    assert "challenger v2: 1,300 labelled, +35.50 EUR/decision" in line
    assert "uplift +15.50 [+2.25, +28.75]" in line
    assert line.endswith("-> keep running (about 4,000 per variant still needed)")


def test_a_decided_test_says_only_the_decision() -> None:
    assert ab_line(_status("promote")).endswith("-> promote")


def test_a_test_without_an_interval_yet_shows_no_interval() -> None:
    line = ab_line(_status("not_enough_data", lower=float("-inf"), upper=float("inf")))
    assert "uplift" not in line
    assert "not enough data" in line


def test_repeated_decisions_are_counted() -> None:
    decisions = ["policy: fired", "ab: keep_running", "ab: keep_running", "ab: promoted"]
    assert counted(decisions) == ["policy: fired", "ab: keep_running x2", "ab: promoted"]


def test_simulated_lines_are_marked() -> None:
    out = io.StringIO()
    narrator = Narrator(Console(file=out, width=120, color_system=None))
    narrator.simulated("1,500 applications")
    narrator.say("a real line")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("SIMULATED") and "1,500 applications" in lines[0]
    assert lines[1] == "a real line"
