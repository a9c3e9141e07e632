"""Bundles serve calibrated probabilities (format 2) and still load format 1."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd

from prodml import ModelBundle
from prodml.evaluate.calibration import Calibrator
from prodml.registry.bundle import BUNDLE_FORMAT_VERSION
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan

FRAME = pd.DataFrame({"Age": [20, 30, 40, 50, 60, 70], "Home": list("ababab")})
NEW = pd.DataFrame({"Age": [25, 45, 65], "Home": ["a", "b", "unseen"]})


def bundle(calibration: dict | None) -> ModelBundle:
    plan = FeaturePlan(numeric=["Age"], categorical=["Home"])
    pipeline = build_pipeline(CandidateConfig("linear", {"C": 1.0}), "binary", plan, seed=0)
    pipeline.fit(FRAME, np.array([1, 1, 0, 1, 0, 0]))
    return ModelBundle(
        task="binary", pipeline=pipeline, decision_rule=0.4, features=["Age", "Home"],
        contract={}, model_kind="linear", params={"C": 1.0}, positive_label="bad", target="y",
        calibration=calibration,
    )  # fmt: skip


def test_predict_serves_the_calibrated_probability_and_decide_uses_its_threshold() -> None:
    calibrator = Calibrator("sigmoid", {"a": 0.5, "b": -1.0})
    model = bundle(calibrator.to_dict())
    raw = model.pipeline.predict_proba(NEW)[:, 1]
    served = model.predict(NEW)
    np.testing.assert_allclose(served, calibrator.apply(raw))
    assert not np.allclose(served, raw)
    np.testing.assert_array_equal(model.decide(served), served >= 0.4)

    loaded = ModelBundle.from_bytes(model.to_bytes())
    assert loaded.format_version == BUNDLE_FORMAT_VERSION == 2
    np.testing.assert_array_equal(loaded.predict(NEW), served)


def test_a_format_1_bundle_loads_and_serves_its_own_probabilities() -> None:
    model = bundle(None)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(model.to_bytes())) as src, zipfile.ZipFile(out, "w") as dst:
        meta = json.loads(src.read("bundle.json"))
        meta["format_version"] = 1
        for key in ("calibration", "explanation"):  # format 1 had neither
            meta.pop(key, None)
        dst.writestr("bundle.json", json.dumps(meta))
        dst.writestr("model.joblib", src.read("model.joblib"))
    old = ModelBundle.from_bytes(out.getvalue())
    assert old.format_version == 1 and old.calibration is None
    np.testing.assert_array_equal(old.predict(NEW), model.pipeline.predict_proba(NEW)[:, 1])
    assert old.decide(old.predict(NEW)).dtype == bool
