"""The demo's before/after figures: every decision priced with the project's own values."""

from __future__ import annotations

import pandas as pd
import pytest

from prodml.demo.ledger import Ledger
from prodml.demo.project import ID_COLUMN, bundled_example
from prodml.demo.traffic import Applications, Drift
from prodml.spec import load_spec


def _applications(amounts: list[float], times: list[float], outcomes: list[str]) -> Applications:
    ids = [f"s{i}" for i in range(len(amounts))]
    records = pd.DataFrame({ID_COLUMN: ids, "Amount": amounts, "Time": times})
    return Applications(records=records, outcomes=pd.Series(outcomes), drift=Drift())


def _decisions(ids: list[str], declined: list[bool | None], version: int, variant: str):
    return pd.DataFrame(
        {
            ID_COLUMN: ids,
            "variant": variant,
            "model_version": version,
            "decision": declined,
        }
    )


def test_each_outcome_is_priced_as_the_project_file_says() -> None:
    ledger = Ledger(load_spec(bundled_example() / "prodml.yaml"))
    apps = _applications([1000, 1000, 2000, 500], [48, 48, 24, 12], ["good", "bad", "bad", "good"])
    # approve a good payer (+160), approve a defaulter (-600), decline a defaulter (0),
    # decline a good payer (0)
    ledger.add(
        "before drift", apps, _decisions(apps.ids, [False, False, True, True], 1, "champion")
    )

    [row] = ledger.summary()
    assert (row.phase, row.version, row.variant, row.decisions) == (
        "before drift",
        1,
        "champion",
        4,
    )
    assert row.value_per_decision == pytest.approx((160 - 600 + 0 + 0) / 4)
    assert row.declined_share == pytest.approx(0.5)


def test_rows_are_kept_apart_by_phase_and_version_and_rejected_records_earn_nothing() -> None:
    ledger = Ledger(load_spec(bundled_example() / "prodml.yaml"))
    apps = _applications([1000, 1000, 1000], [48, 48, 48], ["good", "good", "good"])
    ledger.add("under drift", apps, _decisions(apps.ids, [False, None, True], 1, "champion"))
    later = _applications([1000, 1000], [48, 48], ["good", "bad"])
    decisions = pd.concat(
        [
            _decisions(later.ids[:1], [False], 1, "champion"),
            _decisions(later.ids[1:], [True], 2, "challenger"),
        ]
    )
    ledger.add("A/B test", later, decisions)

    rows = [(r.phase, r.version, r.decisions, r.value_per_decision) for r in ledger.summary()]
    assert rows == [
        ("under drift", 1, 2, pytest.approx(80.0)),
        ("A/B test", 1, 1, pytest.approx(160.0)),
        ("A/B test", 2, 1, pytest.approx(0.0)),
    ]
