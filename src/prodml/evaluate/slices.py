"""Where the model earns less: declared segments, named edge cases and discovered weak slices.

A model can earn well on average and lose money on one group. Three views look for that, all on
the evaluation rows and all in value per decision first:

* **segments**: every level of each ``evaluation.segments`` column (numbers with many values are
  cut into quantile bins) with at least ``evaluation.min_segment_rows`` rows;
* **edge cases**: the rows each named filter of ``evaluation.edge_cases`` selects;
* **weak slices**: a search over every one-feature slice (a category, or a quantile bin of a
  number) and every two-feature combination of them, for where the model's decisions lose the
  most against perfect foresight (its *regret*: the better of acting and not acting, minus what
  the decision earned). Value per decision alone would single out small loans for earning
  little; regret points at the rows where the model's mistakes cost money.

**The test.** A group is compared with the rest of the rows by a one-sided Welch t-test on the
per-row realised value (regret, for weak slices; H1: the group does worse; unequal variances).
Segments and edge cases are flagged when the Holm-adjusted p-value is below
``evaluation.significance``: Holm controls the family-wise error over all levels tested, since a
flag is a claim about a named group. Weak slices are an exploratory search over hundreds or
thousands of slices, so the Benjamini-Hochberg procedure controls the false discovery rate
instead. A two-feature slice is listed only when it is also significantly worse than the rest of
each of its one-feature parents (Welch; the larger of the two p-values, BH-corrected over all
two-feature slices), so a slice that is merely inside a
weak parent (``Region = C and Age <= 30`` inside a weak ``Region = C``) is not reported as news.
The list is ordered by total shortfall (rows x extra loss per decision), the money at stake.

Intervals for the group's value per decision and main metric come from the shared bootstrap.
Slice statistics use ``np.bincount`` over integer codes, so the search is linear in rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prodml.evaluate.bootstrap import Bootstrap, weighted_auc
from prodml.evaluate.rows import EvaluationRows

__all__ = [
    "SliceFamily",
    "SliceResult",
    "benjamini_hochberg",
    "categorize",
    "evaluate_edge_cases",
    "evaluate_segments",
    "find_weak_slices",
    "holm",
    "welch_less",
]

MAX_SEGMENT_LEVELS = 50
MAX_SLICE_LEVELS = 20
MAX_PAIR_FEATURES = 30
DISTINCT_AS_LEVELS = 20  # a numeric segment with at most this many values keeps its values


@dataclass(frozen=True)
class SliceResult:
    """One group of rows and how the model does on it, against the rest of the rows."""

    name: str  # "Home = rent", an edge-case name, or "Age < 25 and Home = rent"
    rows: int
    share: float
    tested: bool  # enough rows to estimate and test
    column: str | None = None  # segments: the segment column
    level: str | None = None  # segments: the level
    filter: str | None = None  # edge cases: the filter text
    features: list[str] = field(default_factory=list)  # weak slices: the features
    value_per_decision: float | None = None
    ci: list[float] | None = None
    rest_value_per_decision: float | None = None
    difference: float | None = None  # group minus rest, per decision (negative: shortfall)
    regret_per_decision: float | None = None  # value lost against perfect foresight
    rest_regret_per_decision: float | None = None
    total_shortfall: float | None = None  # rows x how much worse than the rest per decision
    p_value: float | None = None
    p_adjusted: float | None = None  # Holm (segments, edge cases) or BH q-value (slices)
    flagged: bool = False
    best_trivial: str | None = None
    uplift_over_trivial: float | None = None  # group's value minus its best trivial policy
    metrics: dict[str, float] = field(default_factory=dict)
    metric_ci: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SliceFamily:
    """Groups tested together, and how (the test, the correction, the level)."""

    test: str
    tested: int
    results: list[SliceResult]

    @property
    def flagged(self) -> list[SliceResult]:
        return [r for r in self.results if r.flagged]


# -- statistics -----------------------------------------------------------------------------------


def welch_less(
    n1: np.ndarray,
    mean1: np.ndarray,
    var1: np.ndarray,
    n2: np.ndarray,
    mean2: np.ndarray,
    var2: np.ndarray,
) -> np.ndarray:
    """One-sided Welch t-test p-values for H1: mean1 < mean2 (vectorised; ddof=1 variances)."""
    from scipy.special import stdtr  # Student t CDF; scipy.stats takes seconds to import

    n1, n2 = np.asarray(n1, dtype=np.float64), np.asarray(n2, dtype=np.float64)
    a, b = np.asarray(var1) / n1, np.asarray(var2) / n2
    se2 = a + b
    diff = np.asarray(mean1, dtype=np.float64) - np.asarray(mean2, dtype=np.float64)
    p = np.where(diff < 0, 0.0, 1.0)
    ok = se2 > 0
    if ok.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            df = se2[ok] ** 2 / (a[ok] ** 2 / (n1[ok] - 1) + b[ok] ** 2 / (n2[ok] - 1))
        statistic = diff[ok] / np.sqrt(se2[ok])
        p[ok] = stdtr(np.nan_to_num(df, nan=1.0, posinf=1e9), statistic)
    return p


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control)."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (false discovery rate control)."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _moments(values: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows, mean and variance (ddof=1) of ``values`` in each mask and in the rest."""
    m = masks.astype(np.float64)
    n_in = m.sum(axis=1)
    s_in = m @ values
    q_in = m @ (values**2)
    n_all, s_all, q_all = float(len(values)), float(values.sum()), float((values**2).sum())
    return _split_moments(n_in, s_in, q_in, n_all, s_all, q_all)


def _split_moments(
    n_in: np.ndarray, s_in: np.ndarray, q_in: np.ndarray, n_all: float, s_all: float, q_all: float
) -> tuple[np.ndarray, ...]:
    n_out, s_out, q_out = n_all - n_in, s_all - s_in, q_all - q_in
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in, mean_out = s_in / n_in, s_out / n_out
        var_in = np.maximum(q_in - n_in * mean_in**2, 0.0) / (n_in - 1)
        var_out = np.maximum(q_out - n_out * mean_out**2, 0.0) / (n_out - 1)
    return n_in, mean_in, var_in, n_out, mean_out, var_out


# -- grouping ------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.6g}"


def categorize(
    series: pd.Series, *, bins: int, max_levels: int, numeric: bool | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Integer codes (-1: not in any level), level labels and conditions ("Age < 25").

    Numbers with more than ``DISTINCT_AS_LEVELS`` distinct values are cut at their quantiles;
    other columns keep their most frequent ``max_levels`` values. Missing values form a level.
    """
    name = str(series.name)
    values = series.reset_index(drop=True)
    missing = values.isna().to_numpy()
    is_number = (
        pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values)
        if numeric is None
        else numeric
    )
    codes = np.full(len(values), -1, dtype=np.int64)
    labels: list[str] = []
    conditions: list[str] = []
    present = values[~missing]
    if is_number and present.nunique() > DISTINCT_AS_LEVELS:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        finite = x[np.isfinite(x)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))[1:-1])
        ok = np.isfinite(x)
        # right-closed bins, so a number that is mostly zero splits into "<= 0" and "> 0"
        codes[ok] = np.searchsorted(edges, x[ok], side="left")
        for b in range(len(edges) + 1):
            if b == 0:
                text = f"{name} <= {_number(edges[0])}" if len(edges) else f"{name} (all)"
                level = f"<= {_number(edges[0])}" if len(edges) else "all"
            elif b == len(edges):
                text, level = f"{name} > {_number(edges[-1])}", f"> {_number(edges[-1])}"
            else:
                low, high = _number(edges[b - 1]), _number(edges[b])
                text, level = f"{low} < {name} <= {high}", f"({low}, {high}]"
            labels.append(level)
            conditions.append(text)
    else:
        keys = _level_keys(present)
        counts = keys.value_counts(sort=False)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_levels]
        lookup = {key: i for i, (key, _) in enumerate(ordered)}
        all_keys = _level_keys(values)
        mapped = all_keys.map(lookup)
        known = mapped.notna().to_numpy() & ~missing
        codes[known] = mapped[known].to_numpy(dtype=np.int64)
        labels = [str(key) for key, _ in ordered]
        conditions = [f"{name} = {key}" for key in labels]
    if missing.any():
        codes[missing] = len(labels)
        labels.append("(missing)")
        conditions.append(f"{name} is missing")
    used = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
    if not used.all():  # drop empty levels (tied quantiles), renumbering the others
        renumber = np.cumsum(used) - 1
        codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
        labels = [label for label, u in zip(labels, used, strict=True) if u]
        conditions = [c for c, u in zip(conditions, used, strict=True) if u]
    return codes, labels, conditions


def _level_keys(values: pd.Series) -> pd.Series:
    """Level text, so 1 and 1.0 are one level; missing values stay missing."""
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        text = np.where(
            whole, np.where(whole, numbers, 0).astype(np.int64).astype(str), numbers.astype(str)
        )
        out = pd.Series(text, index=values.index, dtype=object)
        return out.where(values.notna(), None)
    return values.astype(object).where(values.isna(), values.astype(str))


# -- declared groups -----------------------------------------------------------------------------


def _group_results(
    rows: EvaluationRows,
    boot: Bootstrap,
    masks: np.ndarray,
    *,
    min_rows: int,
    significance: float,
    describe: list[dict[str, Any]],
) -> list[SliceResult]:
    """Value, interval, main metric and Holm-adjusted test for each mask (one family)."""
    values = rows.row_values
    regret = rows.regret
    n = rows.n
    sizes = masks.sum(axis=1)
    tested = (sizes >= min_rows) & (n - sizes >= 2)
    out_index = np.flatnonzero(tested)
    stats: dict[str, np.ndarray] = {}
    if len(out_index):
        chosen = masks[out_index]
        n_in, mean_in, var_in, n_out, mean_out, var_out = _moments(values, chosen)
        p = welch_less(n_in, mean_in, var_in, n_out, mean_out, var_out)
        value_ci = boot.interval(boot.means(values, chosen))
        metric_ci = _metric_intervals(rows, boot, chosen)
        stats = {
            "mean_in": mean_in,
            "mean_out": mean_out,
            "p": p,
            "p_adj": holm(p),
            "value_ci": value_ci,
            "metric_ci": metric_ci,
        }
    results: list[SliceResult] = []
    position = {int(j): i for i, j in enumerate(out_index)}
    for k, info in enumerate(describe):
        size = int(sizes[k])
        if k not in position:
            results.append(SliceResult(rows=size, share=size / n, tested=False, **info))
            continue
        i = position[k]
        mask = masks[k]
        vpd = float(stats["mean_in"][i])
        rest = float(stats["mean_out"][i])
        trivial = {name: float(v[mask].mean()) for name, v in rows.trivial.items()}
        best = max(trivial, key=lambda name: trivial[name])
        metric_low, metric_high = stats["metric_ci"][:, i]
        results.append(
            SliceResult(
                rows=size,
                share=size / n,
                tested=True,
                value_per_decision=vpd,
                ci=[float(stats["value_ci"][0, i]), float(stats["value_ci"][1, i])],
                rest_value_per_decision=rest,
                difference=vpd - rest,
                regret_per_decision=float(regret[mask].mean()),
                rest_regret_per_decision=float(regret[~mask].mean()),
                total_shortfall=max(rest - vpd, 0.0) * size,
                p_value=float(stats["p"][i]),
                p_adjusted=float(stats["p_adj"][i]),
                flagged=bool(stats["p_adj"][i] < significance),
                best_trivial=best,
                uplift_over_trivial=vpd - trivial[best],
                metrics=rows.metrics(mask),
                metric_ci={rows.main_metric: [float(metric_low), float(metric_high)]},
                **info,
            )
        )
    return results


def _metric_intervals(rows: EvaluationRows, boot: Bootstrap, masks: np.ndarray) -> np.ndarray:
    """Interval of the main metric (ROC AUC or MAE) in each mask: shape (2, k)."""
    if rows.binary:
        y = np.asarray(rows.y, dtype=bool)
        index = [np.flatnonzero(m) for m in masks]

        def aucs(w: np.ndarray) -> np.ndarray:
            return np.stack([weighted_auc(w[:, i], y[i], rows.scores[i]) for i in index], axis=1)

        return boot.interval(boot.apply(aucs))
    error = np.abs(rows.decisions - np.asarray(rows.y, dtype=np.float64))
    return boot.interval(boot.means(error, masks))


def _family_test(kind: str, count: int, significance: float, min_rows: int) -> str:
    return (
        f"{kind}: one-sided Welch t-test of value per decision, group vs the rest of the rows; "
        f"Holm-adjusted over the {count} groups with at least {min_rows} rows; flagged when the "
        f"adjusted p-value is below {significance:g}"
    )


def evaluate_segments(
    rows: EvaluationRows,
    boot: Bootstrap,
    columns: list[str],
    *,
    min_rows: int,
    significance: float,
    bins: int = 4,
) -> SliceFamily:
    masks: list[np.ndarray] = []
    describe: list[dict[str, Any]] = []
    for column in columns:
        codes, labels, conditions = categorize(
            rows.column(column), bins=bins, max_levels=MAX_SEGMENT_LEVELS
        )
        for code, (label, condition) in enumerate(zip(labels, conditions, strict=True)):
            masks.append(codes == code)
            describe.append({"name": condition, "column": column, "level": label})
    matrix = np.asarray(masks, dtype=bool).reshape(len(masks), rows.n)
    results = _group_results(
        rows, boot, matrix, min_rows=min_rows, significance=significance, describe=describe
    )
    tested = sum(r.tested for r in results)
    return SliceFamily(_family_test("segments", tested, significance, min_rows), tested, results)


def evaluate_edge_cases(
    rows: EvaluationRows,
    boot: Bootstrap,
    masks: dict[str, tuple[str, np.ndarray]],
    *,
    min_rows: int,
    significance: float,
) -> SliceFamily:
    """``masks``: edge-case name -> (filter text, boolean mask over the evaluation rows)."""
    describe = [{"name": name, "filter": text} for name, (text, _) in masks.items()]
    matrix = np.asarray([m for _, m in masks.values()], dtype=bool).reshape(len(masks), rows.n)
    results = _group_results(
        rows, boot, matrix, min_rows=min_rows, significance=significance, describe=describe
    )
    tested = sum(r.tested for r in results)
    return SliceFamily(_family_test("edge cases", tested, significance, min_rows), tested, results)


# -- discovered slices ---------------------------------------------------------------------------


@dataclass
class _Candidates:
    """Summed statistics of every slice searched, in parallel arrays."""

    n: list[np.ndarray] = field(default_factory=list)
    s: list[np.ndarray] = field(default_factory=list)
    q: list[np.ndarray] = field(default_factory=list)
    key: list[list[tuple[int, ...]]] = field(default_factory=list)  # (feature, level, ...)

    def add(
        self, codes: np.ndarray, size: int, values: np.ndarray, key: list[tuple[int, ...]]
    ) -> None:
        ok = codes >= 0
        c = codes[ok]
        v = values[ok]
        self.n.append(np.bincount(c, minlength=size).astype(np.float64))
        self.s.append(np.bincount(c, weights=v, minlength=size))
        self.q.append(np.bincount(c, weights=v * v, minlength=size))
        self.key.append(key)


def find_weak_slices(
    rows: EvaluationRows,
    boot: Bootstrap,
    features: list[str],
    *,
    numeric: set[str],
    min_rows: int,
    significance: float,
    bins: int,
    top: int,
) -> SliceFamily:
    """Search one- and two-feature slices for the largest significant value shortfalls.

    The shortfall of a row is the value its decision lost against perfect foresight (the
    better of acting and not acting, or an exact prediction): unlike the value itself, it does
    not single out small loans for earning little, but the rows where the model's decisions cost
    money. A slice is weak when its shortfall per decision is significantly above the rest's.
    """
    regret = np.asarray(rows.regret, dtype=np.float64)
    score = -regret  # higher is better, as for value
    n = rows.n
    coded: list[tuple[str, np.ndarray, list[str]]] = []
    for name in features:
        codes, _, conditions = categorize(
            rows.column(name), bins=bins, max_levels=MAX_SLICE_LEVELS, numeric=name in numeric
        )
        if len(conditions) > 1:
            coded.append((name, codes, conditions))
    candidates = _Candidates()
    for f, (_, codes, conditions) in enumerate(coded):
        singles: list[tuple[int, ...]] = [(f, level) for level in range(len(conditions))]
        candidates.add(codes, len(conditions), score, singles)
    one = _summaries(candidates, score)
    # pairs among the features whose own slices fall furthest below the rest
    t_one = np.where(one["n"] >= min_rows, one["t"], np.nan)
    strength = np.array(
        [np.nanmin(np.append(t, 0.0)) for t in _split(t_one, candidates.n)], dtype=np.float64
    )
    keep = np.sort(np.argsort(strength, kind="stable")[:MAX_PAIR_FEATURES])
    for i_pos, i in enumerate(keep):
        for j in keep[i_pos + 1 :]:
            _, codes_i, cond_i = coded[i]
            _, codes_j, cond_j = coded[j]
            k_j = len(cond_j)
            both = (codes_i >= 0) & (codes_j >= 0)
            combined = np.where(both, codes_i * k_j + codes_j, -1)
            pairs: list[tuple[int, ...]] = [
                (int(i), a, int(j), b) for a in range(len(cond_i)) for b in range(k_j)
            ]
            candidates.add(combined, len(cond_i) * k_j, score, pairs)
    stats = _summaries(candidates, score)
    keys = [k for block in candidates.key for k in block]
    index = np.flatnonzero((stats["n"] >= min_rows) & (n - stats["n"] >= min_rows))
    p = welch_less(
        stats["n"][index],
        stats["mean"][index],
        stats["var"][index],
        stats["n_out"][index],
        stats["mean_out"][index],
        stats["var_out"][index],
    )
    q = benjamini_hochberg(p)
    parents = {keys[i]: i for i in range(len(keys)) if len(keys[i]) == 2}
    news = _worse_than_parents(index, keys, stats, parents, significance)
    weak: list[tuple[float, str, tuple[int, ...], float, float]] = []
    for position, i in enumerate(index):
        key = keys[i]
        mean, rest, size = float(stats["mean"][i]), float(stats["mean_out"][i]), int(stats["n"][i])
        if q[position] >= significance or mean >= rest:
            continue
        if len(key) == 4 and not news.get(int(i), False):
            continue
        text = coded[key[0]][2][key[1]]
        if len(key) == 4:
            text += f" and {coded[key[2]][2][key[3]]}"
        weak.append(((rest - mean) * size, text, key, float(p[position]), float(q[position])))
    weak.sort(key=lambda w: (-w[0], w[1]))
    weak = weak[:top]
    masks = np.zeros((len(weak), n), dtype=bool)
    for k, (_, _, key, _, _) in enumerate(weak):
        masks[k] = coded[key[0]][1] == key[1]
        if len(key) == 4:
            masks[k] &= coded[key[2]][1] == key[3]
    intervals = boot.interval(boot.means(rows.row_values, masks)) if len(weak) else None
    found: list[SliceResult] = []
    for k, (total, text, key, p_value, q_value) in enumerate(weak):
        mask = masks[k]
        size = int(mask.sum())
        vpd = float(rows.row_values[mask].mean())
        rest_vpd = float(rows.row_values[~mask].mean())
        assert intervals is not None
        found.append(
            SliceResult(
                name=text,
                rows=size,
                share=size / n,
                tested=True,
                features=[coded[key[0]][0]] + ([coded[key[2]][0]] if len(key) == 4 else []),
                value_per_decision=vpd,
                ci=[float(intervals[0, k]), float(intervals[1, k])],
                rest_value_per_decision=rest_vpd,
                difference=vpd - rest_vpd,
                regret_per_decision=float(regret[mask].mean()),
                rest_regret_per_decision=float(regret[~mask].mean()),
                total_shortfall=total,
                p_value=p_value,
                p_adjusted=q_value,
                flagged=True,
            )
        )
    test = (
        "weak slices: one-sided Welch t-test of the value lost against perfect foresight per "
        f"decision, slice vs the rest, over {len(index)} one- and two-feature slices with at "
        f"least {min_rows} rows (numbers cut into {bins} quantile bins); Benjamini-Hochberg "
        f"false discovery rate {significance:g}; two-feature slices only when also worse than the "
        "rest of each one-feature parent (Welch, the larger p of the two Benjamini-Hochberg "
        "corrected over two-feature slices); ordered by total "
        "shortfall (rows x extra loss per decision)"
    )
    return SliceFamily(test, len(index), found)


def _worse_than_parents(
    index: np.ndarray,
    keys: list[tuple[int, ...]],
    stats: dict[str, np.ndarray],
    parents: dict[tuple[int, ...], int],
    significance: float,
) -> dict[int, bool]:
    """For each two-feature slice: is it worse than the rest of each of its parents?

    Welch tests of the slice against its parent minus itself, for both parents; the larger p
    (both must hold) is corrected by Benjamini-Hochberg over all two-feature slices.
    """
    children = np.asarray([i for i in index if len(keys[i]) == 4], dtype=np.int64)
    if not len(children):
        return {}
    p_both = np.zeros(len(children))
    n_c, s_c, q_c = stats["n"][children], stats["s"][children], stats["q"][children]
    for side in (0, 1):
        parent = np.asarray(
            [parents[(keys[c][2 * side], keys[c][2 * side + 1])] for c in children], dtype=np.int64
        )
        n_p, s_p, q_p = stats["n"][parent], stats["s"][parent], stats["q"][parent]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_c, mean_r = s_c / n_c, (s_p - s_c) / (n_p - n_c)
            var_c = np.maximum(q_c - n_c * mean_c**2, 0.0) / (n_c - 1)
            var_r = np.maximum((q_p - q_c) - (n_p - n_c) * mean_r**2, 0.0) / (n_p - n_c - 1)
        p = welch_less(n_c, mean_c, var_c, n_p - n_c, mean_r, var_r)
        p = np.where(n_p - n_c >= 2, p, 1.0)
        p_both = np.maximum(p_both, p)
    q = benjamini_hochberg(p_both)
    return {int(c): bool(v < significance) for c, v in zip(children, q, strict=True)}


def _summaries(candidates: _Candidates, values: np.ndarray) -> dict[str, np.ndarray]:
    n_in = np.concatenate(candidates.n) if candidates.n else np.zeros(0)
    s_in = np.concatenate(candidates.s) if candidates.s else np.zeros(0)
    q_in = np.concatenate(candidates.q) if candidates.q else np.zeros(0)
    n_in_, mean, var, n_out, mean_out, var_out = _split_moments(
        n_in, s_in, q_in, float(len(values)), float(values.sum()), float((values**2).sum())
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (mean - mean_out) / np.sqrt(var / n_in_ + var_out / n_out)
    return {
        "n": n_in_,
        "s": s_in,
        "q": q_in,
        "mean": mean,
        "var": var,
        "n_out": n_out,
        "mean_out": mean_out,
        "var_out": var_out,
        "t": t,
    }


def _split(array: np.ndarray, blocks: list[np.ndarray]) -> list[np.ndarray]:
    sizes = np.cumsum([len(b) for b in blocks])[:-1]
    return np.split(array, sizes) if len(blocks) else []
