from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from prodml import IntegrityError, ModelBundle
from prodml.registry.bundle import BUNDLE_FORMAT_VERSION
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan


def fitted_bundle() -> ModelBundle:
    frame = pd.DataFrame({"Age": [20, 30, 40, 50, 60, 70], "Home": list("ababab")})
    plan = FeaturePlan(numeric=["Age"], categorical=["Home"])
    pipeline = build_pipeline(CandidateConfig("linear", {"C": 1.0}), "binary", plan, seed=0)
    pipeline.fit(frame, np.array([1, 1, 0, 1, 0, 0]))
    return ModelBundle(
        task="binary", pipeline=pipeline, decision_rule=0.4, features=["Age", "Home"],
        contract={}, model_kind="linear", params={"C": 1.0}, positive_label="bad", target="y",
    )  # fmt: skip


def test_bundle_round_trips_and_scores_the_same() -> None:
    bundle = fitted_bundle()
    data = bundle.to_bytes()
    loaded = ModelBundle.from_bytes(data)
    frame = pd.DataFrame({"Age": [25, 65], "Home": ["a", "unseen"]})
    np.testing.assert_array_equal(
        bundle.pipeline.predict_proba(frame), loaded.pipeline.predict_proba(frame)
    )
    assert loaded.format_version == BUNDLE_FORMAT_VERSION
    assert loaded.decision_rule == 0.4


def test_same_model_same_bytes() -> None:
    assert fitted_bundle().to_bytes() == fitted_bundle().to_bytes()


def test_newer_format_is_refused_with_upgrade_hint() -> None:
    data = fitted_bundle().to_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        meta = json.loads(src.read("bundle.json"))
        meta["format_version"] = BUNDLE_FORMAT_VERSION + 1
        dst.writestr("bundle.json", json.dumps(meta))
        dst.writestr("model.joblib", src.read("model.joblib"))
    with pytest.raises(IntegrityError, match="upgrade prodml"):
        ModelBundle.from_bytes(out.getvalue())


def test_garbage_is_not_a_bundle() -> None:
    with pytest.raises(IntegrityError, match="not a prodml model bundle"):
        ModelBundle.from_bytes(b"not a zip")
