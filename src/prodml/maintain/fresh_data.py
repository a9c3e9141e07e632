"""The data a retraining learns from, and the recent window champion and challenger are judged on.

Labelled decisions come from the prediction log joined with feedback (the features the model
saw, after repair, and the observed outcome). They are ordered by time and cut in two: the
newest ``gates.recent_share`` is kept out of retraining, so that champion and challenger are
compared on the same recent decisions neither of them learned from; the older part joins the
training data when ``maintenance.data.source`` is ``log`` or ``both``. Shadow predictions are
left out (nothing was decided on them) and so are rejected records (nothing was scored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from prodml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from prodml.project import Project
    from prodml.registry.bundle import ModelBundle

__all__ = ["LOG_META", "FreshData", "fresh_data", "labelled_log_rows"]

LOG_TIME = "__logged_at__"
LOG_META = (LOG_TIME, "__version__", "__variant__", "__decision__")


@dataclass
class FreshData:
    """``train``: the rows to retrain on; ``recent``: the comparison window (features+target)."""

    train: pd.DataFrame
    recent: pd.DataFrame
    description: str
    counts: dict[str, int | str] = field(default_factory=dict)


def labelled_log_rows(
    project: Project, bundle: ModelBundle, since: datetime | None
) -> pd.DataFrame:
    """Labelled, scored, non-shadow log rows since ``since``, oldest first, as training rows.

    Columns: the logged features, the target (as the project's data holds it), the id column
    when the project has one, and :data:`LOG_META`: when the decision was made, by which
    version and variant, and what it decided (binary: 1 acted, 0 did not).
    """
    import pandas as pd

    from prodml.store import log_root, read_labelled_predictions

    log = read_labelled_predictions(log_root(project.root), since=since)
    if len(log):
        keep = (
            log["label"].notna()
            & (log["variant"] != "shadow")
            & (log["status"] != "rejected")
            & log["features"].notna()
        )
        log = log[keep]
    spec = project.spec
    if len(log) == 0:
        return pd.DataFrame(columns=[*bundle.features, spec.problem.target, *LOG_META])
    rows = pd.DataFrame.from_records([json.loads(text) for text in log["features"]])
    frame = rows.reindex(columns=list(bundle.features))
    if spec.problem.task == "binary":
        frame[spec.problem.target] = log["label"].astype(str).to_numpy()
    else:
        frame[spec.problem.target] = pd.to_numeric(log["label_value"]).to_numpy()
    if spec.data.id_column:
        frame[spec.data.id_column] = log["entity_id"].to_numpy()
    if spec.data.time_column:
        frame[spec.data.time_column] = log["ts"].to_numpy()
    frame[LOG_TIME] = log["ts"].to_numpy()
    frame["__version__"] = log["model_version"].to_numpy()
    frame["__variant__"] = log["variant"].to_numpy()
    frame["__decision__"] = log["decision"].to_numpy()
    for column in spec.data.exclude:
        if column not in frame.columns:
            frame[column] = None  # excluded anyway; present so the project file still fits
    return frame.sort_values(LOG_TIME, kind="stable").reset_index(drop=True)


def fresh_data(project: Project, bundle: ModelBundle, *, now: datetime) -> FreshData:
    """The retraining data and the recent comparison window, as ``maintenance`` says."""
    import pandas as pd

    from prodml.monitor.logquery import parse_window

    settings = project.spec.maintenance
    window = parse_window(settings.data.window, where="maintenance.data.window")
    logged = labelled_log_rows(project, bundle, now - window)
    n_recent = round(len(logged) * settings.gates.recent_share)
    if n_recent < settings.gates.min_rows:
        raise DataError(
            f"{len(logged)} labelled decisions in the last {settings.data.window}: the newest "
            f"{settings.gates.recent_share:.0%} ({n_recent}) are too few to compare champion "
            f"and challenger (gates.min_rows = {settings.gates.min_rows})",
            where="maintenance.gates.min_rows",
            fix="wait for more feedback (prodml feedback), or lower gates.min_rows",
        )
    older, recent = logged.iloc[: len(logged) - n_recent], logged.iloc[len(logged) - n_recent :]
    parts: list[pd.DataFrame] = []
    described: list[str] = []
    if settings.data.source in ("source", "both"):
        source = project.load_data()
        parts.append(source)
        described.append(f"the data source ({len(source)} rows)")
    if settings.data.source in ("log", "both"):
        if len(older) < settings.data.min_rows and settings.data.source == "log":
            raise DataError(
                f"{len(older)} labelled decisions to retrain on (older than the comparison "
                f"window); maintenance.data.min_rows is {settings.data.min_rows}",
                where="maintenance.data.min_rows",
                fix="wait for more feedback, lengthen maintenance.data.window, or use "
                "data.source: both",
            )
        parts.append(older.drop(columns=list(LOG_META)))
        described.append(f"{len(older)} labelled decisions of the last {settings.data.window}")
    train = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    first = recent[LOG_TIME].iloc[0]
    return FreshData(
        train=train.reset_index(drop=True),
        recent=recent.drop(columns=list(LOG_META)).reset_index(drop=True),
        description="maintain: " + " + ".join(described),
        counts={
            "train_rows": len(train),
            "log_rows": len(older) if settings.data.source != "source" else 0,
            "recent_rows": len(recent),
            "recent_since": first.isoformat() if hasattr(first, "isoformat") else str(first),
        },
    )
