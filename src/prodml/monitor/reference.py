"""The reference a model is monitored against: its training data and held-out predictions.

Training stores the reference profile inside the model bundle (``bundle.profile``), next to the
contract. A model registered before profiles existed gets one built from the training snapshot
the store keeps (verified by hash), with the model's scores on the whole snapshot: the only
rows there are; its prediction reference is then a little optimistic (training rows included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.monitor.profiles import Profile, feature_kinds, reference_profile

if TYPE_CHECKING:
    import pandas as pd

    from prodml.registry.bundle import ModelBundle
    from prodml.store import ModelVersionRecord, Store

__all__ = ["build_reference", "importance_weights", "load_reference"]


def build_reference(
    bundle: ModelBundle,
    frame: pd.DataFrame,
    scores: Any | None,
    *,
    y: Any | None = None,
    values: Any | None = None,
    held_out: pd.DataFrame | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The profile to store in ``bundle.profile``: features of ``frame``, and ``scores``; for
    regression with held-out ``y`` and row ``values`` (and the held-out features), the error
    models monitoring estimates value with before labels arrive."""
    from prodml.monitor.estimation import error_model

    kinds = feature_kinds(bundle.contract, list(bundle.features))
    present = {name: kind for name, kind in kinds.items() if name in frame.columns}
    profile = reference_profile(frame, present, scores)
    if bundle.task == "regression" and scores is not None and y is not None and values is not None:
        profile.errors = error_model(
            bundle, np.asarray(scores, dtype=np.float64), y, values, held_out, seed=seed
        )
    return profile.to_dict()


def load_reference(store: Store, record: ModelVersionRecord, bundle: ModelBundle) -> Profile:
    """The version's stored reference profile, or one built now from its training snapshot."""
    if bundle.profile:
        return Profile.from_dict(bundle.profile)
    from prodml.registry.datasets import dataset_frame

    frame = dataset_frame(store, store.metadata.get_dataset(record.data_hash))
    features = [f for f in bundle.features if f in frame.columns]
    scores = np.asarray(bundle.predict(frame[features]), dtype=np.float64)
    profile = Profile.from_dict(build_reference(bundle, frame, scores))
    profile.source = "training snapshot (built at monitoring time)"
    return profile


def importance_weights(bundle: ModelBundle) -> tuple[dict[str, float], str]:
    """Each feature's weight in dataset drift (summing to 1) and where the weights came from.

    The global importance stored at training (mean absolute contribution on held-out rows) when
    it is there, else equal weights.
    """
    features = list(bundle.features)
    rows = ((bundle.explanation or {}).get("importance") or {}).get("features") or []
    raw = {
        str(row.get("feature")): max(float(row.get("mean_abs_contribution") or 0.0), 0.0)
        for row in rows
    }
    total = sum(raw.get(f, 0.0) for f in features)
    if total > 0:
        return {f: raw.get(f, 0.0) / total for f in features}, "feature importance"
    return {f: 1.0 / len(features) for f in features} if features else {}, "equal weights"
