"""Candidate models, simplest first, each a complete scikit-learn pipeline.

The order of ``COMPLEXITY`` is the order of preference: a more complex candidate must beat the
simpler ones by the project's tolerance to be chosen. Each pipeline starts with
:class:`~prodml.train.features.FrameCoercer` and handles missing values and unseen categories by
itself, so it never crashes on production data the contract validator let through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from prodml.train.features import FeaturePlan, FrameCoercer

__all__ = ["COMPLEXITY", "CandidateConfig", "build_pipeline", "search_space"]

COMPLEXITY = ("baseline", "linear", "lightgbm")

_LIGHTGBM_DEFAULTS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "colsample_bytree": 1.0,
    "reg_lambda": 0.0,
}
_LIGHTGBM_GRID: dict[str, list[Any]] = {
    "n_estimators": [100, 200, 400],
    "learning_rate": [0.02, 0.05, 0.1],
    "num_leaves": [7, 15, 31, 63],
    "min_child_samples": [10, 20, 50],
    "colsample_bytree": [0.7, 1.0],
    "reg_lambda": [0.0, 1.0, 5.0],
}
_LINEAR_STRENGTHS = [1.0, 0.1, 10.0, 0.01, 100.0, 0.3, 3.0, 0.03, 30.0]


@dataclass(frozen=True)
class CandidateConfig:
    name: str  # one of COMPLEXITY
    params: dict[str, Any]
    index: int = 1  # position in the family's search, 1 = the default configuration

    @property
    def label(self) -> str:
        """Short and stable, for tables and selection notes: ``lightgbm#2``."""
        return self.name if self.name == "baseline" else f"{self.name}#{self.index}"

    @property
    def description(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.label}({inner})" if inner else self.label


def search_space(name: str, task: str, budget: int, seed: int) -> list[CandidateConfig]:
    """Up to ``budget`` configurations; the first is always the well-tried default.

    Further LightGBM configurations are drawn from a small grid with a seeded generator, so the
    same project file always searches the same configurations.
    """
    if name == "baseline":
        return [CandidateConfig("baseline", {})]
    if name == "linear":
        key = "C" if task == "binary" else "alpha"
        return [
            CandidateConfig("linear", {key: c}, index=i)
            for i, c in enumerate(_LINEAR_STRENGTHS[:budget], start=1)
        ]
    configs = [CandidateConfig("lightgbm", dict(_LIGHTGBM_DEFAULTS))]
    rng = np.random.default_rng(seed)
    seen: set[tuple[tuple[str, Any], ...]] = {tuple(sorted(_LIGHTGBM_DEFAULTS.items()))}
    attempts = 0
    while len(configs) < budget and attempts < 1000:
        attempts += 1
        params = {k: values[int(rng.integers(len(values)))] for k, values in _LIGHTGBM_GRID.items()}
        drawn = tuple(sorted(params.items()))
        if drawn not in seen:
            seen.add(drawn)
            configs.append(CandidateConfig("lightgbm", params, index=len(configs) + 1))
    return configs


def build_pipeline(
    config: CandidateConfig,
    task: str,
    plan: FeaturePlan,
    seed: int,
    *,
    monotone: Mapping[str, int] | None = None,
) -> Any:
    """An unfitted pipeline: coercion, preprocessing for this model family, the model.

    ``monotone`` maps numeric features to +1 (the score may only rise with the feature) or -1
    (only fall): LightGBM candidates are trained under these constraints (from the project's
    monotonic behavioural tests). Linear models are monotone in each feature already; their
    direction is checked by the behavioural test.
    """
    from sklearn.pipeline import Pipeline

    coercer = FrameCoercer(numeric=list(plan.numeric), categorical=list(plan.categorical))
    if config.name == "baseline":
        from sklearn.dummy import DummyClassifier, DummyRegressor

        model: Any = (
            DummyClassifier(strategy="prior")
            if task == "binary"
            else DummyRegressor(strategy="mean")
        )
        return Pipeline([("coerce", coercer), ("model", model)])
    if config.name == "linear":
        return Pipeline(
            [
                ("coerce", coercer),
                ("encode", _linear_encoder(plan)),
                ("model", _linear(config, task, seed)),
            ]
        )
    if config.name == "lightgbm":
        return Pipeline(
            [
                ("coerce", coercer),
                ("encode", _tree_encoder(plan)),
                ("model", _lightgbm(config, task, seed, _constraints(plan, monotone))),
            ]
        )
    raise ValueError(f"unknown candidate {config.name!r}")


def _linear_encoder(plan: FeaturePlan) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, list(plan.numeric)),
            ("categorical", categorical, list(plan.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def _tree_encoder(plan: FeaturePlan) -> Any:
    """Numbers pass through (LightGBM handles NaN); categories become codes, unseen -> NaN."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        dtype=np.float64,
    )
    return ColumnTransformer(
        [
            ("numeric", "passthrough", list(plan.numeric)),
            ("categorical", encoder, list(plan.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def _linear(config: CandidateConfig, task: str, seed: int) -> Any:
    if task == "binary":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=config.params["C"], max_iter=2000, random_state=seed)
    from sklearn.linear_model import Ridge

    return Ridge(alpha=config.params["alpha"], random_state=seed)


def _constraints(plan: FeaturePlan, monotone: Mapping[str, int] | None) -> list[int] | None:
    """LightGBM's monotone_constraints, in the tree encoder's column order (numbers first)."""
    if not monotone:
        return None
    constraints = [int(monotone.get(c, 0)) for c in plan.numeric] + [0] * len(plan.categorical)
    return constraints if any(constraints) else None


def _lightgbm(
    config: CandidateConfig, task: str, seed: int, constraints: list[int] | None = None
) -> Any:
    import lightgbm

    params = {
        **config.params,
        "random_state": seed,
        "deterministic": True,
        "force_col_wise": True,
        # one thread per model: folds run in parallel instead, and OpenMP threads spinning
        # against each other on a busy 2-core machine made fits 10x slower (measured)
        "n_jobs": 1,
        "verbose": -1,
    }
    if constraints:
        params["monotone_constraints"] = constraints
    return (
        lightgbm.LGBMClassifier(**params) if task == "binary" else lightgbm.LGBMRegressor(**params)
    )
