"""The demo's project folder: the bundled example, split into history and held-back future."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import pytest

from prodml.demo.project import ID_COLUMN, bundled_example, create_project
from prodml.errors import UserError
from prodml.spec import load_spec
from tests.conftest import EXAMPLES

REPO = Path(__file__).resolve().parents[2]


def test_the_bundled_data_is_the_credit_example() -> None:
    shipped = bundled_example() / "data" / "credit.csv"
    assert shipped.read_bytes() == (EXAMPLES / "credit" / "data" / "credit.csv").read_bytes()


def test_every_bundled_file_is_package_data() -> None:
    """An installed wheel must carry the example, or prodml demo fails outside a checkout."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["prodml"]
    package = REPO / "src" / "prodml"
    shipped = [
        p.relative_to(package).as_posix() for p in bundled_example().rglob("*") if p.is_file()
    ]
    assert shipped
    missing = [f for f in shipped if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert missing == []


def test_history_and_future_partition_the_example(tmp_path: Path) -> None:
    made = create_project(tmp_path / "demo", seed=3)
    history = pd.read_csv(made.root / "data" / "credit.csv")
    original = pd.read_csv(bundled_example() / "data" / "credit.csv")

    assert len(history) == made.history_rows
    assert len(history) + len(made.future) == len(original)
    assert len(made.future) == round(len(original) * 0.5)
    assert history[ID_COLUMN].is_unique
    together = pd.concat([history.drop(columns=ID_COLUMN), made.future])
    key = list(original.columns)
    assert (
        together.sort_values(key)
        .reset_index(drop=True)
        .equals(original.sort_values(key).reset_index(drop=True))
    )
    spec = load_spec(made.root / "prodml.yaml")
    assert spec.data.id_column == ID_COLUMN
    assert spec.monitoring.window == "1m"


def test_the_split_follows_the_seed(tmp_path: Path) -> None:
    a = create_project(tmp_path / "a", seed=1).future
    b = create_project(tmp_path / "b", seed=1).future
    c = create_project(tmp_path / "c", seed=2).future
    assert a.equals(b)
    assert not a.equals(c)


def test_a_folder_with_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError) as error:
        create_project(tmp_path)
    assert error.value.where == "--dir"
    assert "empty" in error.value.render()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "prodml.yaml").exists()
