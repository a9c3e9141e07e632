"""Probability calibration: measure it (reliability, Brier, ECE) and fix it when that helps.

Value-optimal thresholds work on any score, but people read probabilities ("a 30% risk"), and
monitoring compares predicted with observed rates; so the probabilities prodml serves should mean
what they say. Two calibrators are considered, both monotone, so the ranking of applicants is
kept:

* ``sigmoid`` (Platt scaling on the log-odds): ``p' = 1 / (1 + exp(-(a * logit(p) + b)))``,
  fitted by Newton's method; two parameters, it corrects over- or under-confidence and a shift;
* ``isotonic``: the best non-decreasing step function (pool-adjacent-violators), more flexible,
  needs more rows.

The choice is made by cross-validation on the out-of-fold predictions of the chosen model (never
on held-out rows): each calibrator is fitted on four fifths of them and scored on the fifth, in
turn. A calibrator is used only when it lowers the cross-validated log loss by at least
``MIN_IMPROVEMENT`` (relative) without raising the Brier score; otherwise the model's own
probabilities are served. A calibrator is a handful of numbers stored in ``bundle.json`` (no
pickle) and applied by :meth:`prodml.ModelBundle.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "CALIBRATION_METHODS",
    "MIN_IMPROVEMENT",
    "CalibrationChoice",
    "CalibrationReport",
    "Calibrator",
    "brier_score",
    "choose_calibration",
    "expected_calibration_error",
    "fit_calibrator",
    "log_loss",
    "reliability_curve",
    "summarize_calibration",
]

CalibrationMethod = Literal["none", "sigmoid", "isotonic"]
CALIBRATION_METHODS: tuple[CalibrationMethod, ...] = ("none", "sigmoid", "isotonic")
MIN_IMPROVEMENT = 0.005  # relative log-loss improvement a calibrator must bring
_EPS = 1e-15


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from the model's probability to a calibrated one."""

    method: CalibrationMethod = "none"
    params: dict[str, Any] = field(default_factory=dict)

    def apply(self, proba: Any) -> np.ndarray:
        p = np.asarray(proba, dtype=np.float64)
        if p.size == 1 and self.method == "sigmoid":  # one API record
            return np.full(p.shape, self._sigmoid_one(float(p.flat[0])), dtype=np.float64)
        if self.method == "sigmoid":
            z = _clip(self.params["a"] * _logit(p) + self.params["b"], -30.0, 30.0)
            return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
        if self.method == "isotonic":
            x = np.asarray(self.params["x"], dtype=np.float64)
            y = np.asarray(self.params["y"], dtype=np.float64)
            return _clip(np.interp(p, x, y), self.params["low"], self.params["high"])
        return p

    def _sigmoid_one(self, p: float) -> float:
        """The sigmoid map of one probability, the same operations as on an array (IEEE
        arithmetic in Python floats, numpy's own log, log1p and exp, each called on one value
        as it is on a one-element array) without some twenty array calls' overhead."""
        q = _clip_one(p, 1e-12, 1.0 - 1e-12)
        logit = float(np.log(q)) - float(np.log1p(-q))
        z = _clip_one(self.params["a"] * logit + self.params["b"], -30.0, 30.0)
        return 1.0 / (1.0 + float(np.exp(-z)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Calibrator:
        if not data:
            return cls()
        params = {k: v for k, v in data.items() if k != "method"}
        return cls(method=data["method"], params=params)


@dataclass(frozen=True)
class CalibrationChoice:
    calibrator: Calibrator
    scores: dict[str, dict[str, float]]  # method -> cross-validated log_loss and brier
    reason: str


def _logit(p: np.ndarray) -> np.ndarray:
    p = _clip(p, 1e-12, 1.0 - 1e-12)
    return np.asarray(np.log(p) - np.log1p(-p), dtype=np.float64)


def _clip_one(value: float, low: float, high: float) -> float:
    """``_clip`` of one float: NaN stays NaN (Python's max and min return their first
    argument when the comparison is false, as np.maximum and np.minimum keep NaN)."""
    return min(max(value, low), high)


def _clip(values: Any, low: float, high: float) -> np.ndarray:
    """``np.clip`` (the same values, NaN kept) without its Python-level dispatch, which costs
    more than the arithmetic when the API calibrates one probability."""
    return np.asarray(np.minimum(np.maximum(values, low), high), dtype=np.float64)


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y, dtype=bool)
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=bool)) ** 2))


def fit_calibrator(method: CalibrationMethod, proba: np.ndarray, y: np.ndarray) -> Calibrator:
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if method == "sigmoid":
        a, b = _fit_platt(_logit(p), y)
        return Calibrator("sigmoid", {"a": a, "b": b})
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        model.fit(p, y.astype(np.float64))
        # never serve a certainty the data cannot support: at most 1 - 1/(2n), at least 1/(2n)
        floor = 0.5 / len(y)
        return Calibrator(
            "isotonic",
            {
                "x": [float(v) for v in model.X_thresholds_],
                "y": [float(v) for v in model.y_thresholds_],
                "low": floor,
                "high": 1.0 - floor,
            },
        )
    return Calibrator()


def _fit_platt(z: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Logistic regression of ``y`` on ``z`` (slope and intercept) by Newton's method."""
    target = y.astype(np.float64)
    design = np.column_stack([z, np.ones_like(z)])
    theta = np.array([1.0, 0.0])
    ridge = 1e-8 * np.eye(2)
    for _ in range(iterations):
        eta = np.clip(design @ theta, -35.0, 35.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        gradient = design.T @ (p - target)
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        theta = theta - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def choose_calibration(
    proba: np.ndarray,
    y: np.ndarray,
    *,
    requested: Literal["auto", "none", "sigmoid", "isotonic"] = "auto",
    folds: int = 5,
    seed: int = 0,
) -> CalibrationChoice:
    """Pick and fit the calibrator by cross-validation on out-of-fold probabilities."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    minority = int(min(y.sum(), (~y).sum()))
    if minority < folds * 2:
        if requested in ("sigmoid", "isotonic"):
            return CalibrationChoice(
                fit_calibrator(requested, p, y), {}, f"{requested} as requested (not validated)"
            )
        return CalibrationChoice(
            Calibrator(), {}, f"not calibrated: only {minority} rows of the rarer class"
        )
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    cross_fitted: dict[str, np.ndarray] = {m: np.empty_like(p) for m in CALIBRATION_METHODS}
    for fit_idx, score_idx in splitter.split(p.reshape(-1, 1), y):
        for candidate in CALIBRATION_METHODS:
            calibrator = fit_calibrator(candidate, p[fit_idx], y[fit_idx])
            cross_fitted[candidate][score_idx] = calibrator.apply(p[score_idx])
    scores: dict[str, dict[str, float]] = {
        m: {"log_loss": log_loss(y, q), "brier": brier_score(y, q)} for m, q in cross_fitted.items()
    }
    base = scores["none"]
    if requested != "auto":
        method: CalibrationMethod = requested
        reason = f"{requested} as set in evaluation.calibration"
    else:
        helpful: list[CalibrationMethod] = [
            m
            for m in ("sigmoid", "isotonic")
            if scores[m]["log_loss"] <= base["log_loss"] * (1.0 - MIN_IMPROVEMENT)
            and scores[m]["brier"] <= base["brier"]
        ]
        if helpful:
            method = min(helpful, key=lambda m: scores[m]["log_loss"])
            reason = (
                f"{method}: cross-validated log loss {base['log_loss']:.4f} -> "
                f"{scores[method]['log_loss']:.4f}, Brier {base['brier']:.4f} -> "
                f"{scores[method]['brier']:.4f}"
            )
        else:
            method = "none"
            best = min(("sigmoid", "isotonic"), key=lambda m: scores[m]["log_loss"])
            reason = (
                f"none: the model's probabilities are already calibrated (best, {best}, would "
                f"change log loss {base['log_loss']:.4f} -> {scores[best]['log_loss']:.4f}, "
                f"less than the {MIN_IMPROVEMENT:.1%} required)"
            )
    return CalibrationChoice(fit_calibrator(method, p, y), scores, reason)


def reliability_curve(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width probability bins: rows, mean predicted probability, observed rate.

    Same bins as ``sklearn.calibration.calibration_curve(strategy="uniform")``; empty bins are
    left out.
    """
    y = np.asarray(y, dtype=bool)
    p = np.asarray(proba, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.searchsorted(edges[1:-1], p)  # an edge value falls in the lower bin
    rows = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    observed = np.bincount(index, weights=y.astype(np.float64), minlength=bins)
    out = []
    for b in np.flatnonzero(rows):
        out.append(
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "rows": int(rows[b]),
                "mean_predicted": float(predicted[b] / rows[b]),
                "observed_rate": float(observed[b] / rows[b]),
            }
        )
    return out


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """Row-weighted mean |mean predicted - observed rate| over the reliability bins."""
    curve = reliability_curve(y, proba, bins)
    n = sum(b["rows"] for b in curve)
    return float(
        sum(b["rows"] * abs(b["mean_predicted"] - b["observed_rate"]) for b in curve) / max(n, 1)
    )


@dataclass(frozen=True)
class CalibrationReport:
    """How well the served probabilities match observed rates on the evaluation rows."""

    method: str  # the calibrator served: none | sigmoid | isotonic
    reason: str  # why it was chosen
    selection: dict[str, dict[str, float]]  # cross-validated log loss / Brier per method
    brier: float
    log_loss: float
    ece: float
    reliability: list[dict[str, Any]]
    uncalibrated: dict[str, Any] | None = None  # the model's own probabilities, same rows


def summarize_calibration(
    y: np.ndarray,
    served: np.ndarray,
    *,
    method: str,
    reason: str,
    selection: dict[str, dict[str, float]] | None = None,
    raw: np.ndarray | None = None,
) -> CalibrationReport:
    uncalibrated = None
    if raw is not None and method != "none":
        uncalibrated = {
            "brier": brier_score(y, raw),
            "log_loss": log_loss(y, raw),
            "ece": expected_calibration_error(y, raw),
            "reliability": reliability_curve(y, raw),
        }
    return CalibrationReport(
        method=method,
        reason=reason,
        selection=selection or {},
        brier=brier_score(y, served),
        log_loss=log_loss(y, served),
        ece=expected_calibration_error(y, served),
        reliability=reliability_curve(y, served),
        uncalibrated=uncalibrated,
    )
