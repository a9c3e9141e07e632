"""The ``monitoring`` section of the project file: defaults, and mistakes named with their fix."""

from __future__ import annotations

from typing import Any

import pytest

from prodml.errors import SpecError
from prodml.spec import parse_spec

BASE: dict[str, Any] = {
    "problem": {"task": "regression", "target": "y", "value": {"over": -1, "under": -2}},
    "data": {"source": "data.csv"},
}


def _spec(monitoring: dict[str, Any]) -> Any:
    return parse_spec({**BASE, "monitoring": monitoring})


def test_monitoring_is_optional_and_does_not_change_the_spec_hash() -> None:
    plain = parse_spec(BASE)
    tuned = _spec({"window": "1h", "alerts": [{"metric": "drift_share", "above": 0.2}]})
    assert plain.monitoring.window == "1d" and plain.monitoring.alerts is None
    assert [s.type for s in plain.monitoring.sinks] == ["console"]
    assert plain.content_hash() == tuned.content_hash()  # monitoring never changes the model


@pytest.mark.parametrize(
    ("monitoring", "expected"),
    [
        ({"alerts": [{"metric": "profit", "above": 1}]}, "alert metric 'profit' is not one of"),
        ({"alerts": [{"metric": "drift_share", "above": 1, "drop": 0.2}]}, "exactly one of"),
        ({"sinks": [{"type": "webhook"}]}, "needs url"),
        ({"sinks": [{"type": "file"}]}, "needs path"),
        ({"window": "daily"}, "monitoring.window"),
        ({"drift": {"columns": {"Income": {"method": "magic"}}}}, "monitoring.drift.columns"),
        ({"alert": []}, "monitoring.alert: unknown key"),
    ],
)
def test_a_bad_monitoring_section_names_the_field(
    monitoring: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SpecError) as caught:
        _spec(monitoring)
    assert expected in caught.value.render()
    assert caught.value.exit_code == 2
