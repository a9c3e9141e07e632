"""A model version ready to serve: verified bundle, compiled scorer, labels, warmed up.

Loading goes only through the store: the artifact's sha256 is checked before a byte is
unpickled. The compiled fast path is checked against the bundle's own ``predict`` on synthetic
records (missing values, unseen categories, out-of-range numbers) before the model is put in
service; if they ever differ, the model is served through its pipeline instead (slower, never
wrong) and the reason is logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.data.validation_clean import CleanRecords
from prodml.registry.fastpath import CompiledScorer, check_parity, compile_scorer, synthetic_records

if TYPE_CHECKING:
    from prodml.data.validation import Validator
    from prodml.registry.bundle import ModelBundle
    from prodml.spec import Spec
    from prodml.store import Store

__all__ = ["ServedModel", "load_served_model", "serve_bundle"]

_log = logging.getLogger("prodml.serve")


@dataclass(frozen=True)
class ServedModel:
    version: int
    bundle: ModelBundle = field(repr=False)
    scorer: CompiledScorer = field(repr=False)
    validator: Validator = field(repr=False)
    features: list[str]
    task: str
    decision_rule: float
    positive_label: str | None
    negative_label: str | None
    clean_records: CleanRecords = field(repr=False)
    load_seconds: float = 0.0
    parity_gap: float = 0.0

    @property
    def fast(self) -> bool:
        return self.scorer.compiled

    def clean(self, records: Any) -> list[dict[str, Any]] | None:
        """The records' values if the validator would pass every one untouched, else None."""
        return self.clean_records(records)

    def scores(self, columns: Any, rows: int) -> np.ndarray:
        return self.scorer.scores(columns, rows)

    def scores_of_values(self, records: list[dict[str, Any]]) -> np.ndarray:
        return self.scorer.scores_of_values(records)

    def decisions(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(self.bundle.decide(scores))

    def label(self, act: bool) -> str | None:
        return self.positive_label if act else self.negative_label


def load_served_model(store: Store, version: int, spec: Spec) -> ServedModel:
    """Fetch, verify, compile, check and warm up one registered version.

    Its validator is built from the model's contract and the project's repair policies, so a
    policy that does not fit the model fails here, before the model is put in service.
    """
    from prodml.registry.bundle import ModelBundle

    started = time.perf_counter()
    record = store.metadata.get_model_version(version)
    data = store.artifacts.get_bytes(record.bundle_sha)  # hash-verified, or IntegrityError
    bundle = ModelBundle.from_bytes(data, where=f"model version {version}")
    return serve_bundle(bundle, version, spec, started=started)


def serve_bundle(
    bundle: ModelBundle, version: int, spec: Spec, *, started: float | None = None
) -> ServedModel:
    from prodml.serve._validation import check_records, make_validator

    started = time.perf_counter() if started is None else started
    validator = make_validator(bundle.contract, bundle.features, spec)
    scorer = compile_scorer(bundle)
    gap = 0.0
    if scorer.compiled:
        try:
            gap = check_parity(scorer)
        except AssertionError as exc:
            _log.warning(
                "model version %s: fast path disagrees with the pipeline (%s); "
                "serving it through the pipeline",
                version,
                exc,
            )
            scorer = CompiledScorer(
                kind="pipeline",
                task=scorer.task,
                numeric=scorer.numeric,
                categorical=scorer.categorical,
                bundle=bundle,
                reason=str(exc),
            )
    elif scorer.reason:
        _log.info("model version %s served through its pipeline: %s", version, scorer.reason)
    _warm_up(scorer, bundle)
    check_records(validator, [dict.fromkeys(bundle.features)])  # warm the validator too
    return ServedModel(
        version=version,
        bundle=bundle,
        scorer=scorer,
        validator=validator,
        features=list(bundle.features),
        task=bundle.task,
        decision_rule=float(bundle.decision_rule),
        positive_label=bundle.positive_label,
        negative_label=_negative_label(bundle),
        clean_records=CleanRecords(validator),
        load_seconds=time.perf_counter() - started,
        parity_gap=gap,
    )


def _warm_up(scorer: CompiledScorer, bundle: ModelBundle) -> None:
    """Touch every code path once so the first real request does not pay lazy imports."""
    records = synthetic_records(bundle, rows=1)
    one = {name: values[:1] for name, values in records.items()}
    for _ in range(3):
        scorer.scores(one, 1)


def _negative_label(bundle: ModelBundle) -> str | None:
    """The other class, read from the target's categories in the contract (binary only)."""
    if bundle.task != "binary" or bundle.positive_label is None:
        return None
    for column in bundle.contract.get("columns", []):
        if column.get("name") == bundle.target:
            others = [k for k in (column.get("categories") or {}) if k != bundle.positive_label]
            if len(others) == 1:
                return str(others[0])
    return f"not {bundle.positive_label}"
