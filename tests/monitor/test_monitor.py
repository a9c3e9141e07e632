"""Monitoring a served credit model over its prediction log: drift, quality, value, health."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodml import Project
from prodml.monitor import profile_column
from prodml.store import PREDICTIONS, EventLog, log_root, prediction_schema
from tests.monitor.conftest import day, production, write_predictions

pytestmark = pytest.mark.slow  # trains the credit model once per session (about 15 s)


def _shifted(frame):  # type: ignore[no-untyped-def]
    out = frame.copy()
    out["Income"] = out["Income"] * 1.6
    out.loc[out.index[: len(out) // 4], "Home"] = "boat"
    return out


def test_a_constructed_shift_is_detected_and_an_unshifted_window_is_not(credit: Path) -> None:
    rows = production()
    write_predictions(credit, rows.iloc[:700], at=day(1))
    write_predictions(credit, _shifted(rows.iloc[700:]), at=day(2))

    report = Project(credit).monitor(window="1d", alerts=False)

    calm, shifted = report.windows
    assert calm["rows"] == 700 and calm["drift"]["drifted_columns"] == []
    assert not calm["drift"]["dataset_drifted"]
    assert set(shifted["drift"]["drifted_columns"]) == {"Income", "Home"}
    home = next(c for c in shifted["drift"]["columns"] if c["column"] == "Home")
    assert home["new_levels"]["boat"] == pytest.approx(0.25, abs=0.01)
    assert shifted["metrics"]["drift_share"] > calm["metrics"]["drift_share"]
    assert report.domain is not None and report.domain["drifted"]
    assert {f["feature"] for f in report.domain["top_features"][:2]} == {"Income", "Home"}


def test_window_profiles_from_duckdb_equal_profiles_of_the_rows(credit: Path) -> None:
    rows = production().iloc[:400]
    write_predictions(credit, rows.iloc[:250], at=day(3))
    write_predictions(credit, rows.iloc[250:], at=day(3).replace(hour=20))
    from prodml.monitor.logquery import Scope, parse_window, window_profiles
    from prodml.monitor.reference import load_reference

    project = Project(credit)
    record = project.store.metadata.resolve("champion")
    reference = load_reference(project.store, record, project.load_model(1))
    scope = Scope(log_root(credit), 1, parse_window("1d"))
    [(start, profile)] = window_profiles(scope, reference)

    assert start == day(3).replace(hour=0) and profile.rows == 400
    for name in ("Income", "Age", "Seniority"):
        expected = profile_column(name, rows[name], "numeric", edges=reference.features[name].edges)
        got = profile.features[name]
        assert got.counts == expected.counts and got.missing == expected.missing
        assert got.total == pytest.approx(expected.total)
    assert (
        profile.features["Home"].categories
        == profile_column("Home", rows["Home"], "categorical").categories
    )


def test_cbpe_lands_within_the_realised_value_interval_on_an_unshifted_window(
    credit: Path, tmp_path: Path
) -> None:
    rows = production()
    write_predictions(credit, rows, at=day(5))
    labels = tmp_path / "labels.csv"
    rows[["applicant", "Status"]].to_csv(labels, index=False)
    project = Project(credit)
    receipt = project.feedback(labels, id_column="applicant")
    assert receipt.written == len(rows) and receipt.by == "entity"

    [window] = project.monitor(window="1d", alerts=False).windows

    realised, estimated = window["performance"], window["estimate"]
    assert realised["labelled_share"] == 1.0
    low, high = realised["value_ci"]
    assert low < estimated["value_per_decision"] < high
    assert low < realised["value_per_decision"] < high
    assert estimated["roc_auc"] == pytest.approx(realised["metrics"]["roc_auc"], abs=0.06)
    segments = {(s["column"], s["level"]) for s in realised["segments"]}
    assert ("Home", "owner") in segments


def test_quality_and_health_count_rejections_repairs_and_latency(credit: Path) -> None:
    write_predictions(credit, production().iloc[:300], at=day(7), latency_ms=4.0)
    log = EventLog(log_root(credit) / PREDICTIONS, prediction_schema).start()
    ts = int(day(7).timestamp() * 1e6)
    bad = {"field": "Age", "check": "wrong_type", "message": "Age: 'x' is not a number"}
    fixed = {"field": "Home", "check": "unseen", "repair": "Home: 'boat' -> unknown"}
    log.append(
        [
            {
                "prediction_id": f"r{i}",
                "request_id": f"r{i}",
                "ts": ts,
                "model_version": 1,
                "variant": "champion",
                "status": "rejected",
                "latency_ms": 40.0,
                "errors": json.dumps([bad]),
            }
            for i in range(30)
        ]
        + [
            {
                "prediction_id": "dup",
                "request_id": "q",
                "ts": ts,
                "model_version": 1,
                "variant": "champion",
                "status": "repaired",
                "latency_ms": 40.0,
                "score": 0.2,
                "decision": 0.0,
                "features": json.dumps({"Home": "__unknown__"}),
                "repairs": json.dumps([fixed]),
            }
        ]
        * 2
    )
    log.close()

    [window] = Project(credit).monitor(window="1d", alerts=False).windows

    quality = window["quality"]
    assert window["rows"] == 332
    assert quality["rejected_share"] == pytest.approx(30 / 332)
    assert quality["checks"] == {"wrong_type": 30, "unseen": 2}
    assert quality["by_field"]["Age"] == {"rejected:wrong_type": 30}
    assert quality["duplicate_ids"] >= 1
    assert window["metrics"]["latency_p50_ms"] == pytest.approx(4.0)
    assert window["metrics"]["latency_p99_ms"] > 30.0
    assert np.isclose(window["metrics"]["rejected_share"], 30 / 332)


@pytest.mark.parametrize("batch_rows", [64, 1 << 17])
def test_one_pass_profiles_each_window_exactly_however_the_log_is_batched(
    credit: Path, tmp_path: Path, batch_rows: int
) -> None:
    from prodml.monitor.logquery import Scope, parse_window
    from prodml.monitor.reference import load_reference
    from prodml.monitor.scan import scan_log

    rows = production().iloc[:500].reset_index(drop=True)
    rows.loc[::7, "Income"] = np.nan  # missing numbers are counted apart, not binned
    rows.loc[::11, "Home"] = None
    first, second = rows.iloc[:300], rows.iloc[300:]
    write_predictions(credit, first, at=day(3))
    ids = write_predictions(credit, second, at=day(3).replace(hour=20))
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"prediction_id": ids[:50], "Status": "bad"}).to_csv(labels, index=False)
    project = Project(credit)
    project.feedback(labels, id_column="prediction_id")
    record = project.store.metadata.resolve("champion")
    reference = load_reference(project.store, record, project.load_model(1))
    scope = Scope(log_root(credit), 1, parse_window("1h"))

    scan = scan_log(scope, reference, ["Amount"], ["Home"], batch_rows=batch_rows)

    assert list(scan.profiles) == [day(3), day(3).replace(hour=20)]
    for part, profile in zip((first, second), scan.profiles.values(), strict=True):
        assert profile.rows == len(part)
        for name in ("Income", "Age"):
            edges = reference.features[name].edges
            expected = profile_column(name, part[name], "numeric", edges=edges)
            got = profile.features[name]
            assert (got.counts, got.missing) == (expected.counts, expected.missing)
            assert (got.minimum, got.maximum) == (expected.minimum, expected.maximum)
            assert got.total_sq == pytest.approx(expected.total_sq)
        expected_home = profile_column("Home", part["Home"], "categorical")
        assert profile.features["Home"].categories == expected_home.categories
        assert profile.features["Home"].missing == expected_home.missing
    late = scan.rows[day(3).replace(hour=20)]
    assert len(late.score) == 200 and (late.label != None).sum() == 50  # noqa: E711
    assert np.array_equal(np.sort(late.columns["Amount"]), np.sort(second["Amount"].to_numpy()))
    # segments are kept on labelled rows only: unlabelled rows carry no text
    unlabelled = np.asarray([lab is None for lab in late.label])
    assert all(v is None for v in late.columns["Home"][unlabelled])


def test_failed_records_give_the_error_share_and_can_alert(credit: Path) -> None:
    rows = production()
    write_predictions(credit, rows.iloc[:300], at=day(3))
    write_predictions(credit, rows.iloc[300:315], at=day(3), status="error")
    text = (credit / "prodml.yaml").read_text()
    assert "\nmonitoring:" not in text
    rules = "monitoring:\n  alerts:\n    - {metric: error_share, above: 0.01, severity: critical}\n"
    (credit / "prodml.yaml").write_text(text + rules)
    report = Project(credit).monitor(window="1d", since=day(1), domain=False)
    [window] = report.windows
    assert window["metrics"]["error_share"] == pytest.approx(15 / 315)
    assert [c["holds"] for c in report.checks] == [True]
    assert "error_share" in report.open_alerts[0]["rule"]
