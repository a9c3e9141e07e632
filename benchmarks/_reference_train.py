"""Plain scikit-learn/LightGBM reference for ``benchmarks/train.py``: no prodml code runs here.

It does the work ``prodml train`` does on the credit example, written the way a data scientist
would in one script: read the CSV, stratified 80/20 holdout split (seed 42), 5 stratified shuffled
folds (seed 42) on the training part, the same candidate configurations (dummy prior, logistic
regression C=1.0 and C=0.1, LightGBM default and prodml's second drawn configuration), folds fitted
in parallel with joblib threads (n_jobs=2, LightGBM n_jobs=1 as prodml does), out-of-fold
probabilities, the value-maximising threshold on them, the same "simplest unless complexity pays"
choice, refit of the chosen one on the training part and one evaluation on the holdout.

Usage::

    python benchmarks/_reference_train.py DATA.csv [--lightgbm-params JSON]

``--lightgbm-params`` is a JSON list of parameter dicts (``benchmarks/train.py`` reads them from
prodml's ``search_space`` in its own process and passes them, so this script imports no prodml).
``--monotone`` maps features to +1 / -1: the directions of the project's monotonic behavioural
tests, under which prodml trains LightGBM (``monotone_constraints``).
Prints one JSON line: chosen candidate, threshold, holdout ROC AUC and value per decision.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from lightgbm import LGBMClassifier
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

TARGET = "Status"
POSITIVE = "bad"
SEED = 42
HOLDOUT = 0.2
FOLDS = 5
LINEAR_C = (1.0, 0.1)
TOLERANCE = 0.01  # training.tolerance in examples/credit/prodml.yaml
# LightGBM default configuration of prodml; the second one is drawn by prodml's search_space.
LIGHTGBM_DEFAULT: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "colsample_bytree": 1.0,
    "reg_lambda": 0.0,
}
FAMILIES = ("baseline", "linear", "lightgbm")  # simplest first


def linear_pipeline(numeric: list[str], categorical: list[str], c: float) -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            ),
        ]
    )
    model = LogisticRegression(C=c, max_iter=2000, random_state=SEED)
    return Pipeline([("encode", encode), ("model", model)])


def lightgbm_pipeline(
    numeric: list[str],
    categorical: list[str],
    params: dict[str, Any],
    monotone: dict[str, int] | None = None,
) -> Any:
    encode = ColumnTransformer(
        [
            ("numeric", "passthrough", numeric),
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    dtype=np.float64,
                ),
                categorical,
            ),
        ]
    )
    constraints = [int((monotone or {}).get(c, 0)) for c in numeric] + [0] * len(categorical)
    if any(constraints):  # the project's monotonic behavioural tests, as prodml imposes them
        params = {**params, "monotone_constraints": constraints}
    model = LGBMClassifier(
        **params,
        random_state=SEED,
        deterministic=True,
        force_col_wise=True,
        n_jobs=1,
        verbose=-1,
    )
    return Pipeline([("encode", encode), ("model", model)])


def best_threshold(y: np.ndarray, proba: np.ndarray, act: np.ndarray, passed: np.ndarray) -> Any:
    """(threshold, value per decision): act on the k most likely rows, k chosen by total value."""
    order = np.argsort(-proba, kind="stable")
    p = proba[order]
    totals = passed.sum() + np.concatenate([[0.0], np.cumsum((act - passed)[order])])
    n = len(y)
    feasible = np.ones(n + 1, dtype=bool)
    feasible[1:n] = p[:-1] > p[1:]  # a cut only between distinct probabilities
    cuts = np.flatnonzero(feasible)
    k = int(cuts[np.argmax(totals[cuts])])
    if k == 0:
        threshold = float(np.nextafter(max(1.0, p[0]), np.inf))
    elif k == n:
        threshold = float(min(0.0, p[-1]))
    else:
        threshold = float((p[k - 1] + p[k]) / 2)
    return threshold, float(totals[k] / n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", help="the credit CSV")
    parser.add_argument("--lightgbm-params", help="JSON list of LightGBM parameter dicts")
    parser.add_argument("--monotone", help='JSON {"feature": 1 or -1}: LightGBM directions')
    args = parser.parse_args(argv)
    started = time.perf_counter()

    frame = pd.read_csv(args.data)
    # prodml trains on a canonical snapshot: rows sorted by every column in name order, missing
    # last. Sort the same way so that the seeded split and folds pick the very same rows.
    frame = frame.sort_values(sorted(frame.columns), na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    y = (frame[TARGET].astype(str).str.strip().str.lower() == POSITIVE).to_numpy(dtype=np.int64)
    X = frame.drop(columns=[TARGET])
    # the same columns and order as prodml's feature plan (sorted by name, numbers first)
    numeric = sorted(c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]))
    categorical = sorted(c for c in X.columns if c not in numeric)
    X = X[numeric + categorical]
    X[categorical] = X[categorical].astype(object)
    # value of each outcome when the model acts (declines) or passes (approves)
    amount = frame["Amount"].to_numpy(dtype=np.float64)
    term = frame["Time"].to_numpy(dtype=np.float64)
    tp, fp, tn, fn = 0.0, 0.0, 0.08 * amount * term / 24, -0.6 * amount
    act_value = np.where(y == 1, tp, fp)
    pass_value = np.where(y == 1, fn, tn)

    train, holdout = train_test_split(
        np.arange(len(y)), test_size=HOLDOUT, random_state=SEED, stratify=y
    )
    train, holdout = np.sort(train), np.sort(holdout)
    X_train, y_train = X.iloc[train].reset_index(drop=True), y[train]
    act_train, pass_train = act_value[train], pass_value[train]
    folds = list(
        StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(train, y_train)
    )

    monotone = json.loads(args.monotone) if args.monotone else None
    lightgbm_params = (
        json.loads(args.lightgbm_params) if args.lightgbm_params else [LIGHTGBM_DEFAULT]
    )
    candidates: list[tuple[str, str, Any]] = [
        ("baseline", "baseline", Pipeline([("model", DummyClassifier(strategy="prior"))]))
    ]
    candidates += [
        ("linear", f"linear#{i}", linear_pipeline(numeric, categorical, c))
        for i, c in enumerate(LINEAR_C, start=1)
    ]
    candidates += [
        ("lightgbm", f"lightgbm#{i}", lightgbm_pipeline(numeric, categorical, params, monotone))
        for i, params in enumerate(lightgbm_params, start=1)
    ]

    def fit_fold(pipeline: Any, fit_rows: np.ndarray, predict_rows: np.ndarray) -> np.ndarray:
        model = clone(pipeline).fit(X_train.iloc[fit_rows], y_train[fit_rows])
        return np.asarray(model.predict_proba(X_train.iloc[predict_rows])[:, 1])

    results: list[dict[str, Any]] = []
    for family, label, pipeline in candidates:
        candidate_started = time.perf_counter()
        predictions = Parallel(n_jobs=2, backend="threading")(
            delayed(fit_fold)(pipeline, fit_rows, predict_rows) for fit_rows, predict_rows in folds
        )
        oof = np.empty(len(y_train))
        for (_, predict_rows), predicted in zip(folds, predictions, strict=True):
            oof[predict_rows] = predicted
        threshold, value = best_threshold(y_train, oof, act_train, pass_train)
        results.append(
            {
                "family": family,
                "label": label,
                "pipeline": pipeline,
                "threshold": threshold,
                "value": value,
                "cv_roc_auc": float(roc_auc_score(y_train, oof)),
                "seconds": time.perf_counter() - candidate_started,
            }
        )

    # best configuration per family; a more complex family must add 1% of the headroom
    best = {}
    for result in results:
        if result["family"] not in best or result["value"] > best[result["family"]]["value"]:
            best[result["family"]] = result
    trivial = max(act_train.mean(), pass_train.mean())
    headroom = np.maximum(act_train, pass_train).mean() - trivial
    margin = TOLERANCE * max(headroom, 0.0)
    ordered = [best[family] for family in FAMILIES if family in best]
    chosen = ordered[0]
    for challenger in ordered[1:]:
        if challenger["value"] - chosen["value"] > margin:
            chosen = challenger

    final = clone(chosen["pipeline"]).fit(X_train, y_train)
    scores = final.predict_proba(X.iloc[holdout])[:, 1]
    decline = scores >= chosen["threshold"]
    holdout_value = np.where(decline, act_value[holdout], pass_value[holdout]).mean()
    print(
        json.dumps(
            {
                "chosen": chosen["label"],
                "threshold": chosen["threshold"],
                "cv": {
                    r["label"]: {
                        "value_per_decision": r["value"],
                        "roc_auc": r["cv_roc_auc"],
                        "seconds": round(r["seconds"], 3),
                    }
                    for r in results
                },
                "holdout_roc_auc": float(roc_auc_score(y[holdout], scores)),
                "holdout_value_per_decision": float(holdout_value),
                "seconds_in_script": round(time.perf_counter() - started, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
