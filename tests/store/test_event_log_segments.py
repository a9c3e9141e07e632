"""Parquet segments of the event log: what is written is what was appended, in order, one
file per UTC day, also when a segment is built in several pieces (large segments are built a
few thousand rows at a time so that a server's requests are not kept waiting for the GIL)."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq

from prodml.store import EventLog, prediction_schema
from prodml.store._eventlog import _CHUNK_ROWS

_DAY_US = 86_400_000_000
_MIDNIGHT = 1_764_374_400_000_000  # 2025-11-29T00:00:00Z


def test_a_segment_of_several_pieces_holds_every_row_unchanged_by_day(tmp_path: Path) -> None:
    rows = []
    for i in range(2 * _CHUNK_ROWS + 123):
        rows.append(
            {
                "prediction_id": f"p{i}",
                # the first rows on the day before, the last just after midnight
                "ts": _MIDNIGHT - 1_000 + i * 10,
                "model_version": 1 + i % 2,
                "score": math.nan if i % 7 == 0 else i / 1000,
                "features": None if i % 5 else '{"Income": 1.0}',
                "status": "ok",
            }
        )
    log = EventLog(tmp_path / "predictions", prediction_schema).start()
    log.append(rows)
    log.close()

    files = sorted((tmp_path / "predictions").glob("date=*/*.parquet"))
    assert [f.parent.name for f in files] == ["date=2025-11-28", "date=2025-11-29"]
    read = [row for f in files for row in pq.read_table(f).to_pylist()]
    assert len(read) == len(rows)
    assert sum(1 for row in rows if row["ts"] < _MIDNIGHT) == 100  # ts step 10 us, 1,000 us
    assert pq.read_table(files[0]).num_rows == 100
    for sent, got in zip(rows, read, strict=True):
        assert got["prediction_id"] == sent["prediction_id"]
        assert int(got["ts"].timestamp() * 1_000_000) == sent["ts"]
        assert got["model_version"] == sent["model_version"]
        assert got["features"] == sent["features"]
        if math.isnan(sent["score"]):
            assert got["score"] is None  # JSON and Parquet readers must not meet a NaN
        else:
            assert got["score"] == sent["score"]
        assert got["entity_id"] is None  # a field no row had
