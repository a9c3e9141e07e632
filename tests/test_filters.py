"""Edge-case filters: a small safe language, refused at load time with the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodml import DataError, ExpressionError, load_spec
from prodml.filters import parse_filter

FRAME = pd.DataFrame(
    {
        "Age": [22.0, 30.0, np.nan, 19.0, 45.0],
        "Amount": [2500, 1000, 3000, 2100, 500],
        "Home": ["rent", "owner", "rent", None, "parents"],
        "Code": ["1", "2", "1", "3", "2"],
    }
)


def select(text: str) -> list[int]:
    mask = parse_filter(text, where="test").evaluate(FRAME, len(FRAME))
    return [int(i) for i in np.flatnonzero(mask)]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("Age < 25 and Amount > 2000", [0, 3]),
        ("Age < 25 or Home == 'parents'", [0, 3, 4]),
        ("not (Age < 25)", [1, 2, 4]),  # missing age: "Age < 25" is false, so not(...) is true
        ("18 <= Age < 25", [0, 3]),
        ('Home in ["rent", "parents"]', [0, 2, 4]),
        ('Home not in ["rent"]', [1, 4]),  # a missing Home is in no list, and in no "not in"
        ("Home != 'rent'", [1, 4]),
        ("Amount >= -5", [0, 1, 2, 3, 4]),
        ("Age < Amount", [0, 1, 3, 4]),
        ("Code == 1", [0, 2]),  # a category stored as text matches the number
        ("Code in [2, 3]", [1, 3, 4]),
    ],
)
def test_filters_select_the_rows_they_say(text: str, rows: list[int]) -> None:
    assert select(text) == rows


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("__import__('os').system('rm -rf /')", "call to"),
        ("Age.real > 3", "attribute access"),
        ("Amount * 2 > 100", "arithmetic"),
        ("Age", "not a condition"),
        ("True", "not a condition"),
        ("Age == None", "not allowed"),
        ("Age == True", "not allowed"),
        ("Home in Homes", "list of literals"),
        ("Home in []", "empty"),
        ("Home in [x]", "Name"),
        ("Age == [1, 2]", "only follow in"),
        ("[x for x in Age]", "ListComp"),
        ("lambda: 1", "Lambda"),
        ("Age[0] > 1", "Subscript"),
        ("Age is 3", "Is is not allowed"),
        ("Age < 25 and", "cannot parse"),
        ("", "empty"),
    ],
)
def test_unsafe_or_malformed_filters_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=r"edge_cases\.x") as caught:
        parse_filter(text, where="evaluation.edge_cases.x")
    assert reason in caught.value.message
    assert caught.value.fix


def test_type_mismatches_are_data_errors_naming_the_filter() -> None:
    with pytest.raises(DataError, match="numeric column Age"):
        select("Age == 'young'")
    with pytest.raises(DataError, match="orders text"):
        select("Home < 'z'")
    with pytest.raises(DataError, match="text 'a' in numeric column Age"):
        select("Age in ['a']")


def test_a_filter_naming_an_unknown_column_is_refused() -> None:
    with pytest.raises(ExpressionError, match="unknown column"):
        select("Agee < 25")


SPEC = """
problem:
  decision: approve or decline the loan
  task: binary
  target: Status
  positive: bad
  value: {tp: 0, fp: 0, fn: "-Amount", tn: "0.1 * Amount"}
data:
  source: data.csv
evaluation:
  edge_cases:
    young_big_loans: "Age < 25 and Amount > 2000"
    risky: %s
"""


def test_the_project_file_refuses_an_unsafe_edge_case_when_it_loads(tmp_path: Path) -> None:
    path = tmp_path / "prodml.yaml"
    path.write_text(SPEC % "\"open('x').read() == 'y'\"")
    with pytest.raises(ExpressionError, match=r"evaluation\.edge_cases\.risky.*call to open"):
        load_spec(path)
    path.write_text(SPEC % "\"Home == 'rent'\"")
    spec = load_spec(path)
    assert set(spec.evaluation.edge_case_filters()) == {"young_big_loans", "risky"}
