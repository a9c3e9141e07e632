"""The Ray engine gives the local engine's output, row for row (one local Ray per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import prodml
from tests.batch.conftest import scoring_frame
from tests.batch.test_score import write_parquet

pytestmark = [
    pytest.mark.slow,
    pytest.mark.ray,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    # "local": a Ray of its own even when `ray start` runs a cluster on the machine (ray.init
    # would join that one, and refuse num_cpus for it)
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()


@pytest.mark.parametrize("fused", [True, False], ids=["reads-in-actors", "read-tasks"])
def test_ray_output_equals_local_output_row_for_row(
    trained: Path, tmp_path: Path, ray_session: None, fused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodml.batch import _ray

    # both plans: reads fused into the scoring actors (what 2 files on 2 CPUs get) and read
    # tasks splitting the files into blocks (what a larger cluster gets)
    monkeypatch.setattr(_ray, "fuses", lambda files, cpus: fused)
    project = prodml.Project(trained)
    folder = tmp_path / "customers"
    folder.mkdir()
    frame = scoring_frame(3000)
    write_parquet(frame.iloc[:1700], folder / "part-a.parquet")
    write_parquet(frame.iloc[1700:], folder / "part-b.parquet")

    local = project.score(folder, tmp_path / "local.parquet", batch_size=500)
    on_ray = project.score(folder, tmp_path / "ray.parquet", engine="ray", batch_size=500)

    assert on_ray.engine == "ray" and on_ray.rows == local.rows == 3000
    assert (on_ray.ok, on_ray.repaired, on_ray.rejected) == (
        local.ok,
        local.repaired,
        local.rejected,
    )
    assert pq.read_table(tmp_path / "ray.parquet").equals(pq.read_table(tmp_path / "local.parquet"))


def test_ray_engine_refuses_csv_with_the_fix(trained: Path, tmp_path: Path) -> None:
    from prodml.errors import UserError

    scoring_frame(20).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(UserError, match="reads Parquet") as info:
        prodml.Project(trained).score(tmp_path / "in.csv", tmp_path / "o.parquet", engine="ray")
    assert "--engine local" in (info.value.fix or "")


def test_reads_fuse_into_the_actors_when_the_files_give_every_actor_one() -> None:
    from prodml.batch._ray import fuses

    assert fuses(1, 2)  # one file on this machine's two CPUs: no read process at all
    assert not fuses(1, 16)  # one file would keep one of eight actors busy: split it
    assert fuses(8, 16) and not fuses(7, 16)
