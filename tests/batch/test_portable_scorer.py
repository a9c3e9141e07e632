"""What the Ray engine ships to its actors: the driver's scorer without the fitted pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import prodml
from prodml.batch import BatchScorer
from prodml.data.repair import Policies
from tests.batch.conftest import SPEC, loans, scoring_frame
from tests.batch.test_score import write_parquet

cloudpickle = pytest.importorskip("ray.cloudpickle")  # what Ray serialises actor arguments with

# in a fresh interpreter: unpickle the scorer, score the batch, say which heavy modules came in
_LOAD_AND_SCORE = """
import pickle, sys
import pyarrow.parquet as pq
scorer = pickle.loads(open(sys.argv[1], "rb").read())
pq.write_table(scorer(pq.read_table(sys.argv[2])), sys.argv[3])
print(sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "joblib", "lightgbm"}))
"""


def _scorer(root: Path) -> BatchScorer:
    project = prodml.Project(root)
    record = project.store.metadata.resolve("champion")
    return BatchScorer(
        project.store.artifacts.get_bytes(record.bundle_sha),
        version=record.version,
        policies=Policies.from_spec(project.spec.data),
        id_column="customer_id",
    )


@pytest.fixture(scope="module")
def linear_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("linear-project")
    loans(1500).to_csv(root / "data.csv", index=False)
    # the test is about scoring, not about the model's worth: register it whatever its value
    spec = SPEC.replace("candidates: [lightgbm]", "candidates: [baseline, linear]")
    spec += "success: {min_uplift_over_trivial: -1000000}\n"
    (root / "prodml.yaml").write_text(spec)
    report = prodml.Project(root).train()
    assert report.registered, report.outcome.reasons
    return root


@pytest.mark.parametrize(
    ("kind", "project"), [("lightgbm", "trained"), ("linear", "linear_project")]
)
def test_portable_scorer_scores_like_the_driver_without_the_pipeline(
    kind: str, project: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    scorer = _scorer(request.getfixturevalue(project))
    assert scorer.fast and scorer.bundle.model_kind == kind
    portable = scorer.portable()
    assert portable.bundle.pipeline is None and scorer.bundle.pipeline is not None
    batch = write_parquet(scoring_frame(700), tmp_path / "batch.parquet")
    (tmp_path / "scorer.pkl").write_bytes(cloudpickle.dumps(portable))

    files = [str(tmp_path / name) for name in ("scorer.pkl", "batch.parquet", "out.parquet")]
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_SCORE, *files],
        capture_output=True,
        text=True,
        check=True,
    )

    expected = scorer(pq.read_table(batch))
    assert pq.read_table(tmp_path / "out.parquet").equals(expected)
    assert expected.column("status").to_pylist().count("rejected") > 0  # hostile rows kept
    assert pa.compute.sum(expected.column("probability").is_valid()).as_py() > 600
    heavy = done.stdout.strip()
    # LightGBM's booster brings lightgbm (which imports scikit-learn); a linear model nothing
    assert heavy == ("['joblib', 'lightgbm', 'sklearn']" if kind == "lightgbm" else "[]")


def test_portable_without_a_fast_path_is_the_scorer_itself(trained: Path) -> None:
    scorer = _scorer(trained)
    scorer.scorer = None  # as when the pipeline does not compile
    assert scorer.portable() is scorer
