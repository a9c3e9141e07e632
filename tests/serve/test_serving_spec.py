"""The ``serving:`` section of prodml.yaml: optional, checked, and not part of the model."""

from __future__ import annotations

import pytest

from prodml.errors import SpecError
from prodml.spec import parse_spec

BASE = {
    "problem": {
        "decision": "approve",
        "task": "binary",
        "target": "Status",
        "positive": "bad",
        "value": {"tp": 0, "fp": 0, "tn": 1, "fn": -1},
    },
    "data": {"source": "data.csv"},
}


def test_serving_is_optional_with_defaults() -> None:
    serving = parse_spec(BASE).serving
    assert serving.challenger_share == 0.1 and serving.shadow is True
    assert serving.max_batch_size == 1000 and serving.alias_poll_interval_s == 0.25


def test_serving_settings_do_not_change_the_spec_hash() -> None:
    tuned = {**BASE, "serving": {"challenger_share": 0.3, "log_flush_interval_s": 0.2}}
    assert parse_spec(tuned).content_hash() == parse_spec(BASE).content_hash()


@pytest.mark.parametrize(
    ("serving", "field"),
    [
        ({"challenger_share": 1.5}, "serving.challenger_share"),
        ({"max_batch_size": 0}, "serving.max_batch_size"),
        ({"max_body_bytes": 10}, "serving.max_body_bytes"),
        ({"shadw": True}, "serving.shadw"),
    ],
)
def test_a_bad_serving_value_names_the_field(serving: dict[str, object], field: str) -> None:
    with pytest.raises(SpecError, match=field.replace(".", r"\.")) as raised:
        parse_spec({**BASE, "serving": serving})
    assert raised.value.fix
