"""The demo's own project folder: the bundled credit example, split into past and future.

The example ships inside the package (``prodml/demo/credit``) so that ``prodml demo`` works from
an installed wheel, with no repository checkout. Its rows are shuffled with the demo's seed and
cut in two: the *history* becomes the project's training data (``data/credit.csv``, each row
with an ``applicant_id``), the *future* is never written to the project and comes back later as
simulated production traffic. The model therefore never sees, at training, an application it is
later asked about: what the demo reports is out-of-sample, as in production.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from prodml.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ID_COLUMN", "TARGET", "DemoProject", "bundled_example", "create_project"]

ID_COLUMN = "applicant_id"
TARGET = "Status"
DATA_FILE = Path("data") / "credit.csv"


@dataclass(frozen=True)
class DemoProject:
    """A freshly written demo project and the applications held back from it."""

    root: Path
    future: pd.DataFrame  # features and the true Status; never in the training data
    history_rows: int


def bundled_example() -> Path:
    """The folder of the example shipped as package data (project file and data)."""
    return Path(str(resources.files("prodml.demo").joinpath("credit")))


def create_project(root: Path, *, future_share: float = 0.5, seed: int = 0) -> DemoProject:
    """Write the demo project into ``root`` (created; must be absent or empty)."""
    import numpy as np
    import pandas as pd

    _require_empty(root)
    example = bundled_example()
    rows = pd.read_csv(example / DATA_FILE)
    order = np.random.default_rng(seed).permutation(len(rows))
    cut = len(rows) - round(len(rows) * future_share)
    history = rows.iloc[order[:cut]].reset_index(drop=True)
    future = rows.iloc[order[cut:]].reset_index(drop=True)
    history.insert(0, ID_COLUMN, [f"h{i:05d}" for i in range(len(history))])

    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(example / "prodml.yaml", root / "prodml.yaml")
    (root / DATA_FILE).parent.mkdir(parents=True, exist_ok=True)
    history.to_csv(root / DATA_FILE, index=False)
    return DemoProject(root=root.resolve(), future=future, history_rows=len(history))


def _require_empty(root: Path) -> None:
    """The demo writes a store and logs: never into a folder that already holds something."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UserError(
            f"{root} is not an empty folder",
            where="--dir",
            fix="give a new or empty folder (the demo writes a whole project into it)",
        )
