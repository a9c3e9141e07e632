"""Trained example projects and real HTTP servers (uvicorn on 127.0.0.1), always stopped.

Training is the slow part, so each bundled example is trained once per session and copied (the
project folder with its store) for every test that changes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES, PRODML

CREDIT_RECORD: dict[str, Any] = {
    "Seniority": 9,
    "Home": "rent",
    "Time": 60,
    "Age": 30,
    "Marital": "married",
    "Records": "no",
    "Job": "freelance",
    "Expenses": 73,
    "Income": 129.0,
    "Assets": 0.0,
    "Debt": 0.0,
    "Amount": 800,
    "Price": 846,
}
_ENV = ("PRODML_STORE_URL", "PRODML_ARTIFACTS_DIR", "PRODML_LOG_DIR", "PRODML_ACTOR")
_TOKENS = ("PRODML_API_TOKEN", "PRODML_ADMIN_TOKEN")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_ENV, *_TOKENS, "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)


class TrainedExamples:
    """Each bundled example trained once, on demand; ``copy`` gives a private project."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._trained: dict[str, Path] = {}
        self._lock = threading.Lock()

    def path(self, name: str, *, id_column: bool = False) -> Path:
        key = f"{name}-id" if id_column else name
        with self._lock:
            if key not in self._trained:
                target = self.root / key
                shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".prodml"))
                if id_column:
                    _add_id_column(target)
                import prodml

                with _clean_env():
                    project = prodml.Project(target)
                    report = project.train()
                    assert report.registered, f"{name} did not register a model"
                    project.store.close()
                self._trained[key] = target
            return self._trained[key]

    def copy(self, name: str, destination: Path, *, id_column: bool = False) -> Path:
        source = self.path(name, id_column=id_column)
        target = destination / name
        shutil.copytree(source, target)
        return target


def _add_id_column(project: Path) -> None:
    """Credit with an applicant id column, so routing can be sticky per entity."""
    import pandas as pd

    data = project / "data" / "credit.csv"
    frame = pd.read_csv(data)
    frame.insert(0, "applicant", [f"a{i:05d}" for i in range(len(frame))])
    frame.to_csv(data, index=False)
    spec = project / "prodml.yaml"
    text = spec.read_text()
    marker = "  source: data/credit.csv\n"
    assert marker in text
    spec.write_text(text.replace(marker, marker + "  id_column: applicant\n"))


@contextlib.contextmanager
def _clean_env() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in _ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@pytest.fixture
def credit(trained: TrainedExamples, tmp_path: Path) -> Path:
    """A private copy of the trained credit project (champion = version 1)."""
    return trained.copy("credit", tmp_path)


@pytest.fixture
def credit_with_ids(trained: TrainedExamples, tmp_path: Path) -> Path:
    return trained.copy("credit", tmp_path, id_column=True)


def register_baseline(project_dir: Path) -> int:
    """Register a second, visibly different model: the baseline (one probability for all)."""
    import prodml
    from prodml.registry.bundle import ModelBundle
    from prodml.train.candidates import CandidateConfig, build_pipeline
    from prodml.train.features import FeaturePlan

    project = prodml.Project(project_dir)
    champion = project.load_model("champion")
    frame = project.load_data()
    coerce = champion.pipeline.named_steps["coerce"]
    plan = FeaturePlan(numeric=list(coerce.numeric), categorical=list(coerce.categorical))
    pipeline = build_pipeline(CandidateConfig("baseline", {}), "binary", plan, seed=0)
    y = (frame[champion.target].astype(str) == champion.positive_label).to_numpy()
    pipeline.fit(frame[champion.features], y)
    bundle = ModelBundle(
        task=champion.task,
        pipeline=pipeline,
        decision_rule=champion.decision_rule,
        features=list(champion.features),
        contract=champion.contract,
        model_kind="baseline",
        params={},
        positive_label=champion.positive_label,
        target=champion.target,
    )
    store = project.store
    sha = store.artifacts.put_bytes(bundle.to_bytes())
    record = store.metadata.resolve("champion")
    now = datetime.now(UTC)
    with store.metadata.unit_of_work() as uow:
        run = uow.add_run(
            started_at=now,
            finished_at=now,
            status="registered",
            spec_hash=record.spec_hash,
            data_hash=record.data_hash,
            params={"test": "baseline"},
            metrics={},
            seeds={},
            packages={},
            platform={},
        )
        version = uow.add_model_version(
            run_id=run,
            bundle_sha=sha,
            task=record.task,
            model_kind="baseline",
            threshold=record.threshold,
            value_per_decision=0.0,
            metrics={},
            format_version=record.format_version,
            data_hash=record.data_hash,
            spec_hash=record.spec_hash,
        )
    store.close()
    return version


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    project: Path
    client: httpx.Client
    stop: Callable[[], None] = field(repr=False)
    log: Path | None = None  # stderr of a server process (JSON lines)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if self.client.get("/v2/health/ready").status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"server at {self.url} not ready after {timeout} s")

    def predict(self, *records: dict[str, Any], **headers: str) -> httpx.Response:
        return self.client.post("/predict", json={"records": list(records)}, headers=headers)


@contextlib.contextmanager
def thread_server(project: Path, *, precomputed: Path | None = None) -> Iterator[Server]:
    """The app under uvicorn in a thread of this process (fast to start, same code path);
    ``precomputed``: a batch scores file (``prodml serve --precomputed``)."""
    import uvicorn

    from prodml.serve import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(project, precomputed=precomputed),
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="none",
        loop="asyncio",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)

    handle = Server(f"http://127.0.0.1:{port}", project, client, stop)
    try:
        handle.wait_ready()
        yield handle
    finally:
        client.close()
        stop()
        sock.close()


@contextlib.contextmanager
def process_server(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """``prodml serve`` as a real process; killed (and waited for) whatever happens."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in _ENV and k not in _TOKENS}
    environment.update(env or {})
    log = (project.parent / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(PRODML), "serve", "-p", str(project), "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=log,  # a file, not a pipe: a chatty server must never block on a full pipe
        env=environment,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    handle = Server(
        f"http://127.0.0.1:{port}", project, client, process.terminate, log=Path(log.name)
    )
    try:
        handle.wait_ready()
        yield handle, process
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def served_credit(credit: Path) -> Iterator[Server]:
    with thread_server(credit) as server:
        yield server


def python() -> str:
    return sys.executable
