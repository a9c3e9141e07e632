"""Ground truth from a file: ``prodml feedback labels.csv --id-column application_id``.

Each row of the file names a decision (by entity id, the project's ``data.id_column`` value the
server logged, or by the ``prediction_id`` the server answered) and its observed outcome (by
default the project's target column). Rows go to the feedback log through the store's event log
(write-ahead file, then a Parquet segment), exactly as ``POST /feedback`` writes them; monitoring
joins them to predictions, the latest label winning when a decision is labelled twice.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from prodml.errors import DataError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.project import Project

__all__ = ["FeedbackReceipt", "record_feedback"]

IdKind = Literal["entity", "prediction"]


@dataclass(frozen=True)
class FeedbackReceipt:
    """What was written: rows, rows skipped (no id or no label) and how they will be joined."""

    written: int
    skipped: int
    by: IdKind
    id_column: str
    label_column: str


def record_feedback(
    project: Project,
    source: str | Path | pd.DataFrame,
    *,
    id_column: str,
    label_column: str | None = None,
    by: IdKind | None = None,
) -> FeedbackReceipt:
    """Append the labels of ``source`` (CSV/Parquet path or a frame) to the feedback log."""
    import pandas as pd

    from prodml.data import load_source
    from prodml.store import FEEDBACK, EventLog, feedback_schema, log_root

    if isinstance(source, pd.DataFrame):
        frame, where = source, "feedback frame"
    else:
        frame, where = load_source(str(source), base_dir=Path.cwd()), str(source)
    label_column = label_column or project.spec.problem.target
    for option, column in (("--id-column", id_column), ("--label-column", label_column)):
        if column not in frame.columns:
            raise DataError(
                f"no column {column!r}",
                where=where,
                fix=f"name the column with {option}; the file has: "
                + ", ".join(map(str, frame.columns[:30])),
            )
    kind: IdKind = by or ("prediction" if id_column == "prediction_id" else "entity")
    if kind not in ("entity", "prediction"):
        raise UserError(f"unknown id kind {kind!r}", where="--by", fix="use entity or prediction")
    ids = [_text(v) for v in frame[id_column].tolist()]
    labels = [_label(v) for v in frame[label_column].tolist()]
    ts = int(time.time() * 1_000_000)
    rows: list[dict[str, Any]] = []
    for identifier, (text, number) in zip(ids, labels, strict=True):
        if identifier is None or text is None:
            continue
        rows.append(
            {
                "feedback_id": secrets.token_hex(12),
                "ts": ts,
                "prediction_id": identifier if kind == "prediction" else None,
                "entity_id": identifier if kind == "entity" else None,
                "label": text[:1000],
                "label_value": number,
            }
        )
    log = EventLog(log_root(project.root) / FEEDBACK, feedback_schema).start()
    try:
        log.append(rows)
    finally:
        log.close()
    return FeedbackReceipt(len(rows), len(frame) - len(rows), kind, id_column, label_column)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[:200] or None


def _label(value: Any) -> tuple[str | None, float | None]:
    """The label as the server stores it: text (``1.0`` -> ``1``, booleans lower case) and the
    number when it is one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return None, None
        return (str(int(number)) if number.is_integer() else str(number)), number
    text = str(value).strip()
    return (text or None), None
