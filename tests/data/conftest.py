"""Small frames shaped like the credit example, built in memory (tests never read shared data)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def make_credit_like(rows: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    comments = [
        "called twice about the late payment",
        "asked for a longer term on the loan",
        "customer moved house last spring",
        "no contact since the application",
        "wants to increase the amount later",
    ]
    return pd.DataFrame(
        {
            "application_id": [f"APP-{i:05d}" for i in range(rows)],
            "Status": rng.choice(["good", "bad"], rows, p=[0.7, 0.3]),
            "Age": rng.integers(18, 70, rows),
            "Home": rng.choice(["rent", "owner", "parents", "other"], rows),
            "Records": rng.choice(["yes", "no"], rows),
            "Income": np.round(rng.normal(140.0, 40.0, rows), 1),
            "applied_on": pd.date_range("2024-01-01", periods=rows, freq="D"),
            "comment": [f"{comments[i % 5]} (case {i})" for i in range(rows)],
        }
    )


@pytest.fixture
def credit_like() -> pd.DataFrame:
    return make_credit_like()


@pytest.fixture
def credit_like_factory() -> Callable[..., pd.DataFrame]:
    return make_credit_like
