"""A multivariate drift check: can a classifier tell the reference rows from the current ones?

A LightGBM model is trained to separate a sample of training rows (label 0) from a sample of the
window's logged features (label 1), with 3-fold cross-validation; its out-of-fold ROC AUC is the
score. 0.5: the two are indistinguishable, even in combinations of columns that per-column tests
miss (the same marginals, a different joint distribution). 1.0: the window is a different
population. Drift is flagged at AUC >= ``threshold`` (0.6) when the AUC's lower 95% bound
(Hanley-McNeil standard error) is above 0.5, so a small sample's noise does not trip it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["domain_classifier"]


def domain_classifier(
    reference: Any,
    current: Any,
    kinds: dict[str, str],
    *,
    seed: int = 0,
    threshold: float = 0.6,
) -> dict[str, Any]:
    """Out-of-fold ROC AUC of reference (0) versus current (1) rows, with the features that
    separate them best."""
    import pandas as pd
    from lightgbm import LGBMClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    features = [f for f in kinds if f in reference.columns and f in current.columns]
    n_ref, n_cur = len(reference), len(current)
    if n_ref < 50 or n_cur < 50 or not features:
        return {"roc_auc": None, "note": "too few rows for the domain classifier"}
    both = pd.concat([reference[features], current[features]], ignore_index=True)
    for name in features:
        if kinds[name] == "numeric":
            both[name] = pd.to_numeric(both[name], errors="coerce").astype("float64")
        else:
            both[name] = both[name].astype("string").astype("category")
    y = np.concatenate([np.zeros(n_ref, dtype=int), np.ones(n_cur, dtype=int)])
    oof = np.zeros(len(y))
    gains = np.zeros(len(features))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for train, test in folds.split(both, y):
        model = LGBMClassifier(
            n_estimators=60,
            learning_rate=0.1,
            num_leaves=15,
            min_child_samples=20,
            random_state=seed,
            deterministic=True,
            verbose=-1,
            n_jobs=1,
        )
        model.fit(both.iloc[train], y[train])
        oof[test] = np.asarray(model.predict_proba(both.iloc[test]))[:, 1]
        gains += model.booster_.feature_importance(importance_type="gain")
    auc = float(roc_auc_score(y, oof))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se = float(
        np.sqrt(
            (auc * (1 - auc) + (n_cur - 1) * (q1 - auc**2) + (n_ref - 1) * (q2 - auc**2))
            / (n_ref * n_cur)
        )
    )
    share = gains / gains.sum() if gains.sum() > 0 else gains
    order = np.argsort(-share)[:5]
    return {
        "roc_auc": auc,
        "se": se,
        "threshold": threshold,
        "drifted": bool(auc >= threshold and auc - 1.96 * se > 0.5),
        "reference_rows": n_ref,
        "current_rows": n_cur,
        "top_features": [
            {"feature": features[i], "share": float(share[i])} for i in order if share[i] > 0
        ],
    }
