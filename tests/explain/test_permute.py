"""Permutation importance scores rows encoded once: the scores must be the pipeline's, exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline

from prodml import ModelBundle
from prodml.evaluate.calibration import fit_calibrator
from prodml.explain._permute import _PROBE_ROWS, EncodedRows, FrameRows, permutable_rows
from tests.explain.conftest import loans


def _held_out() -> pd.DataFrame:
    """Fresh rows with missing values in both kinds of feature and a category never trained on."""
    held, _, _ = loans(n=250, seed=11)
    held.loc[[3, 17, 40], "Home"] = None
    held.loc[[5, 60], "Home"] = "boat"  # unseen at training
    held.loc[[8, 9], "Noise"] = np.nan
    return held


@pytest.mark.parametrize(
    ("kind", "task"), [("linear", "binary"), ("lightgbm", "binary"), ("linear", "regression")]
)
def test_encoded_rows_score_exactly_like_the_whole_pipeline(
    make_bundle: Callable[..., ModelBundle], kind: str, task: str
) -> None:
    bundle = make_bundle(kind, task=task)
    held = _held_out()
    encoded = EncodedRows.encode(bundle, held)
    plain = FrameRows(bundle, held)
    assert encoded is not None
    assert np.array_equal(encoded.scores(), plain.scores())
    rng = np.random.default_rng(0)
    for feature in bundle.features:
        orders = [rng.permutation(len(held)) for _ in range(3)]
        assert np.array_equal(
            encoded.permuted_scores(feature, orders), plain.permuted_scores(feature, orders)
        ), feature


def test_a_calibrated_bundle_is_calibrated_on_the_encoded_path_too(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("lightgbm")
    _, y, _ = loans()
    raw = bundle.pipeline.predict_proba(loans()[0])[:, 1]
    calibrator = fit_calibrator("isotonic", raw, y)
    calibrated = dataclasses.replace(bundle, calibration=calibrator.to_dict())
    held = _held_out()
    encoded = EncodedRows.encode(calibrated, held)
    assert encoded is not None
    assert np.array_equal(encoded.scores(), calibrated.predict(held))
    assert not np.array_equal(encoded.scores(), bundle.predict(held))
    order = [np.arange(len(held))[::-1]]
    assert np.array_equal(
        encoded.permuted_scores("Income", order),
        FrameRows(calibrated, held).permuted_scores("Income", order),
    )


def test_each_feature_owns_the_encoded_columns_it_produces(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    encoded = EncodedRows.encode(make_bundle("linear"), _held_out())
    assert encoded is not None
    # Income: its scaled value and its missing indicator; Noise: its value; Home: 3 one-hot
    assert {f: len(c) for f, c in encoded.columns.items()} == {"Income": 2, "Noise": 1, "Home": 3}


def test_an_encoding_that_mixes_features_is_scored_through_the_pipeline(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("linear")
    frame, y, _ = loans()
    steps = bundle.pipeline.steps
    mixed = Pipeline([*steps[:-1], ("pca", PCA(n_components=3)), ("model", steps[-1][1])])
    mixing = dataclasses.replace(bundle, pipeline=mixed.fit(frame, y))
    held = _held_out()
    assert EncodedRows.encode(mixing, held) is None
    assert isinstance(permutable_rows(mixing, held), FrameRows)
    assert isinstance(permutable_rows(make_bundle("baseline"), held), FrameRows)


def test_a_feature_constant_on_the_first_rows_is_still_permuted(
    make_bundle: Callable[..., ModelBundle],
) -> None:
    bundle = make_bundle("linear")
    held, _, _ = loans(n=_PROBE_ROWS + 50, seed=12)
    held.loc[: _PROBE_ROWS - 1, "Noise"] = 0.5  # varies only beyond the rows probed
    rows = permutable_rows(bundle, held)
    assert isinstance(rows, EncodedRows)  # found by probing every row
    assert len(rows.columns["Noise"]) == 1
    orders = [np.random.default_rng(1).permutation(len(held))]
    assert np.array_equal(
        rows.permuted_scores("Noise", orders),
        FrameRows(bundle, held).permuted_scores("Noise", orders),
    )
    assert not np.array_equal(rows.permuted_scores("Noise", orders), rows.scores())
