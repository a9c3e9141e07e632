"""Small trained projects (binary and regression) for the explain and report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prodml import Project

SPEC = """
name: {name}
problem:
  decision: {decision}
  task: {task}
  target: {target}
{positive}  unit: EUR
  entity: applicant
  value:
{values}
data:
  source: data.csv
evaluation:
  folds: 3
  bootstrap: 200
  weak_slices: 3
  segments: [Home]
training:
  candidates: [baseline, linear, lightgbm]
  search_budget: 1
"""


def applications(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.gamma(4.0, 30.0, n).round()
    home = rng.choice(["rent", "owner", "parents"], n, p=[0.4, 0.4, 0.2])
    age = rng.integers(18, 75, n)
    amount = rng.integers(500, 5000, n)
    logit = 1.0 - income / 50 + np.where(home == "rent", 0.8, 0.0)
    status = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "bad", "good")
    price = 2000 + 5 * income - 300 * (home == "rent") + rng.normal(0, 50, n)
    return pd.DataFrame(
        {
            "Status": status,
            "Income": income,
            "Home": home,
            "Age": age,
            "Amount": amount,
            "Price": price.round(2),
        }
    )


def make_project(root: Path, task: str) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    frame = applications()
    if task == "binary":
        frame = frame.drop(columns=["Price"])
        spec = SPEC.format(
            name="loans",
            decision="approve or decline the loan",
            task="binary",
            target="Status",
            positive='  positive: "bad"\n',
            values='    tp: 0\n    fp: 0\n    tn: "0.1 * Amount"\n    fn: "-0.6 * Amount"',
        )
    else:
        frame = frame.drop(columns=["Status"])
        spec = SPEC.format(
            name="prices",
            decision="the price to offer",
            task="regression",
            target="Price",
            positive="",
            values="    over: -1.0\n    under: -0.25",
        )
    frame.to_csv(root / "data.csv", index=False)
    (root / "prodml.yaml").write_text(spec)
    project = Project(root)
    assert project.train().registered
    return project
