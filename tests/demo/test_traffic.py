"""Simulated traffic: resampled held-back rows, drift as announced, true outcomes kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prodml.demo.project import ID_COLUMN, TARGET, bundled_example
from prodml.demo.traffic import GIG, GIG_SOURCES, Drift, applicant_ids, simulate


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    frame = pd.read_csv(bundled_example() / "data" / "credit.csv")
    frame.insert(0, "row", range(len(frame)))  # to find each simulated row's source
    return frame


def test_drift_grows_from_nothing_to_the_full_amount() -> None:
    assert Drift.at(0.0) == Drift(1.0, 0.0)
    assert Drift.at(1.0, max_income_factor=2.0, max_gig_share=0.3) == Drift(2.0, 0.3)
    assert Drift.at(0.5, max_income_factor=2.0, max_gig_share=0.3) == Drift(1.5, 0.15)
    assert Drift.at(7.0) == Drift.at(1.0)


def test_without_drift_the_rows_are_the_pool_rows(pool: pd.DataFrame) -> None:
    apps = simulate(pool, 500, Drift(), np.random.default_rng(0), applicant_ids())
    source = pool.set_index("row").loc[apps.records["row"]]
    features = [c for c in pool.columns if c not in ("row", TARGET)]
    assert (
        apps.records[features]
        .reset_index(drop=True)
        .equals(source[features].reset_index(drop=True))
    )
    assert list(apps.outcomes) == list(source[TARGET])
    assert TARGET not in apps.records.columns


def test_drift_inflates_income_and_turns_insecure_jobs_into_gig(pool: pd.DataFrame) -> None:
    apps = simulate(pool, 4000, Drift(2.0, 0.3), np.random.default_rng(1), applicant_ids())
    source = pool.set_index("row").loc[apps.records["row"]].reset_index(drop=True)
    records = apps.records.reset_index(drop=True)

    known = source["Income"].notna()
    assert np.allclose(records.loc[known, "Income"], source.loc[known, "Income"] * 2.0)
    assert records.loc[~known, "Income"].isna().all()
    gig = records["Job"] == GIG
    assert 0.25 < gig.mean() < 0.35
    assert source.loc[gig, "Job"].isin(GIG_SOURCES).all()
    assert (records.loc[~gig, "Job"].fillna("?") == source.loc[~gig, "Job"].fillna("?")).all()
    # Outcomes are the real ones: gig applicants default as often as the jobs they came from.
    assert list(apps.outcomes) == list(source[TARGET])


def test_ids_are_new_for_every_application(pool: pd.DataFrame) -> None:
    ids = applicant_ids()
    rng = np.random.default_rng(2)
    first = simulate(pool, 300, Drift(), rng, ids)
    second = simulate(pool, 300, Drift(), rng, ids)
    every = first.ids + second.ids
    assert len(set(every)) == 600
    assert first.records[ID_COLUMN].iloc[0] == "s000001"


def test_the_same_seed_replays_the_same_traffic(pool: pd.DataFrame) -> None:
    a = simulate(pool, 200, Drift(1.5, 0.2), np.random.default_rng(5), applicant_ids())
    b = simulate(pool, 200, Drift(1.5, 0.2), np.random.default_rng(5), applicant_ids())
    assert a.records.equals(b.records)
    assert a.outcomes.equals(b.outcomes)
