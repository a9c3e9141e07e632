"""A small trained project (LightGBM champion, id column) shared by batch and export tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SPEC = """
problem:
  decision: decline the loan
  task: binary
  target: Status
  positive: bad
  value: {tp: 0, fp: "-0.1 * Amount", fn: "-Amount", tn: "0.1 * Amount"}
data:
  source: data.csv
  id_column: customer_id
evaluation: {folds: 2, holdout: 0.25}
training: {candidates: [lightgbm], search_budget: 1}
"""


def loans(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 70, n)
    income = rng.normal(100, 30, n).round(1)
    home = rng.choice(["rent", "owner", "parents"], n)
    risk = 0.15 + 0.35 * (age < 30) + 0.25 * (home == "rent") + 0.2 * (income < 80)
    return pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "Status": np.where(rng.random(n) < risk, "bad", "good"),
            "Age": age,
            "Income": income,
            "Home": home,
            "Amount": rng.integers(500, 3000, n),
        }
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder with a registered champion (version 1); tests must not write in it."""
    import prodml

    root = tmp_path_factory.mktemp("batch-project")
    loans(1500).to_csv(root / "data.csv", index=False)
    (root / "prodml.yaml").write_text(SPEC)
    report = prodml.Project(root).train()
    assert report.registered, report.outcome.reasons
    return root


def scoring_frame(n: int = 500, seed: int = 1) -> pd.DataFrame:
    """New customers without the target, with a few hostile values."""
    frame = loans(n, seed).drop(columns=["Status"])
    frame["Income"] = frame["Income"].astype(object)
    frame.loc[3, "Income"] = "lots"  # not a number: rejected
    frame.loc[5, "Home"] = "castle"  # unseen category: repaired
    frame.loc[7, "Age"] = 500  # out of range: clipped
    frame.loc[9, "Amount"] = None  # missing
    return frame
