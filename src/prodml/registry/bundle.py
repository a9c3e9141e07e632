"""The model bundle: everything needed to score, in one versioned, content-addressed file.

A bundle is a zip with ``bundle.json`` (format version, task, decision rule, contract, features,
metrics) and ``model.joblib`` (the fitted pipeline). It carries an integer ``format_version``;
loaders refuse a newer format with an actionable message and keep reading older ones (format 1
had no calibration: its bundles serve the model's own probabilities). The artifact store
verifies the sha256 before we get the bytes, so we only ever unpickle what prodml itself wrote.
Zip timestamps are fixed so the same model always gives the same hash.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from prodml.errors import IntegrityError

__all__ = ["BUNDLE_FORMAT_VERSION", "ModelBundle"]

BUNDLE_FORMAT_VERSION = 2  # 2: calibration (a few numbers in bundle.json)
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass
class ModelBundle:
    task: str
    pipeline: Any
    decision_rule: float  # threshold on the calibrated probability, or an offset (regression)
    features: list[str]
    contract: dict[str, Any]
    model_kind: str
    params: dict[str, Any]
    positive_label: str | None
    target: str
    metrics: dict[str, Any] = field(default_factory=dict)
    spec_hash: str = ""
    data_hash: str = ""
    format_version: int = BUNDLE_FORMAT_VERSION
    # written at training by prodml.explain: global importance on held-out rows and the state
    # local explanations need; optional, so bundles without it load (and explain) as before
    explanation: dict[str, Any] = field(default_factory=dict)
    # the probability calibrator predict applies (prodml.evaluate.calibration.Calibrator.to_dict);
    # None for regression and for format-1 bundles. The full evaluation is metrics["evaluation"].
    calibration: dict[str, Any] | None = None
    # the reference profile monitoring compares windows of the prediction log with
    # (prodml.monitor.profiles.Profile.to_dict); empty in bundles trained before it existed
    profile: dict[str, Any] = field(default_factory=dict)

    def predict(self, frame: Any) -> Any:
        """Scores for a frame of feature columns: P(positive) for binary, the value for regression.

        The one scoring entry point (CLI, API, batch, monitoring), so that every consumer gets
        the same post-processing of the fitted pipeline.
        """
        import numpy as np

        if self.task == "binary":
            proba = np.asarray(self.pipeline.predict_proba(frame)[:, 1], dtype=np.float64)
            return self.postprocess(proba)
        return self.postprocess(np.asarray(self.pipeline.predict(frame), dtype=np.float64))

    def postprocess(self, raw: Any) -> Any:
        """What :meth:`predict` applies to the fitted pipeline's own output (the calibrator, for
        a binary task). The serving fast path computes the pipeline's output without pandas and
        calls this, so the API and ``predict`` can never drift apart."""
        import numpy as np

        raw = np.asarray(raw, dtype=np.float64)
        if self.task == "binary" and self.calibration:
            return np.asarray(self._calibrator.apply(raw), dtype=np.float64)
        return raw

    @cached_property
    def _calibrator(self) -> Any:
        from prodml.evaluate.calibration import Calibrator

        return Calibrator.from_dict(self.calibration)

    def decide(self, scores: Any) -> Any:
        """The business action: act when P(positive) reaches the threshold (binary), or the
        prediction shifted by the value-optimal offset (regression)."""
        import numpy as np

        scores = np.asarray(scores, dtype=np.float64)
        if self.task == "binary":
            return scores >= self.decision_rule
        return scores + self.decision_rule

    def to_bytes(self) -> bytes:
        import joblib

        meta = {
            "format_version": self.format_version,
            "task": self.task,
            "decision_rule": self.decision_rule,
            "features": self.features,
            "contract": self.contract,
            "model_kind": self.model_kind,
            "params": self.params,
            "positive_label": self.positive_label,
            "target": self.target,
            "metrics": self.metrics,
            "spec_hash": self.spec_hash,
            "data_hash": self.data_hash,
            "explanation": self.explanation,
            "calibration": self.calibration,
            "profile": self.profile,
        }
        model = io.BytesIO()
        joblib.dump(self.pipeline, model, compress=3)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, payload in (
                ("bundle.json", json.dumps(meta, sort_keys=True, indent=1).encode()),
                ("model.joblib", model.getvalue()),
            ):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, payload)
        return out.getvalue()

    @classmethod
    def from_bytes(
        cls, data: bytes, *, where: str = "model bundle", pipeline: bool = True
    ) -> ModelBundle:
        """Load a bundle whose bytes the artifact store has already verified.

        ``pipeline=False`` reads only ``bundle.json`` (contract, profile, metrics...) and leaves
        ``pipeline`` None: no unpickling, no scikit-learn import (monitoring needs no model).
        """
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                meta = json.loads(archive.read("bundle.json"))
                model = archive.getinfo("model.joblib")  # KeyError when absent, as before
                model_bytes = archive.read(model) if pipeline else b""
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
            raise IntegrityError(
                f"not a prodml model bundle ({exc})",
                where=where,
                fix="retrain the model; the stored file is not one prodml wrote",
            ) from exc
        version = int(meta.get("format_version", 0))
        if version > BUNDLE_FORMAT_VERSION:
            raise IntegrityError(
                f"bundle format {version} is newer than this prodml understands "
                f"({BUNDLE_FORMAT_VERSION})",
                where=where,
                fix="upgrade prodml (pip install -U prodml)",
            )
        fitted = None
        if pipeline:
            import joblib  # only to unpickle: a profile-only load (monitoring) skips ~0.2 s

            fitted = joblib.load(io.BytesIO(model_bytes))
        return cls(
            task=meta["task"],
            pipeline=fitted,
            decision_rule=float(meta["decision_rule"]),
            features=list(meta["features"]),
            contract=meta["contract"],
            model_kind=meta["model_kind"],
            params=meta["params"],
            positive_label=meta["positive_label"],
            target=meta["target"],
            metrics=meta.get("metrics", {}),
            spec_hash=meta.get("spec_hash", ""),
            data_hash=meta.get("data_hash", ""),
            format_version=version,
            explanation=meta.get("explanation") or {},
            calibration=meta.get("calibration"),  # absent in format 1
            profile=meta.get("profile") or {},
        )
