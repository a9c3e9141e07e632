"""Artifacts are addressed by content, and nothing tampered with is ever handed back."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from prodml.errors import IntegrityError
from prodml.store import ArtifactStore

BUNDLE = b"model bundle bytes \x00\x01\x02" * 100


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _writable(path: Path) -> Path:
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return path


def test_put_bytes_stores_under_the_sha256_and_reads_back(artifacts: ArtifactStore) -> None:
    sha = artifacts.put_bytes(BUNDLE)

    assert sha == hashlib.sha256(BUNDLE).hexdigest()
    assert _files(artifacts.root) == [artifacts.root / sha[:2] / sha]
    assert artifacts.get_bytes(sha) == BUNDLE
    assert artifacts.verified_path(sha).read_bytes() == BUNDLE
    assert artifacts.exists(sha)


def test_putting_the_same_content_twice_keeps_one_file(artifacts: ArtifactStore) -> None:
    first = artifacts.put_bytes(BUNDLE)
    second = artifacts.put_bytes(BUNDLE)

    assert first == second
    assert len(_files(artifacts.root)) == 1


def test_put_file_streams_a_large_file_to_the_same_address(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    data = os.urandom(3 * (1 << 20) + 17)  # several read chunks, not a multiple of the chunk
    source = tmp_path / "snapshot.parquet"
    source.write_bytes(data)

    sha = artifacts.put_file(source)

    assert sha == hashlib.sha256(data).hexdigest()
    assert artifacts.get_bytes(sha) == data
    assert artifacts.put_bytes(data) == sha
    assert _files(artifacts.root) == [artifacts.root / sha[:2] / sha]  # no temporary files left


def test_stored_files_are_read_only(artifacts: ArtifactStore) -> None:
    path = artifacts.verified_path(artifacts.put_bytes(BUNDLE))

    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _writable(path).write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    _writable(path).write_bytes(data[: len(data) - 1])


def _append(path: Path) -> None:
    with _writable(path).open("ab") as handle:
        handle.write(b"x")


def _delete(path: Path) -> None:
    path.unlink()


TAMPERING: dict[str, Callable[[Path], None]] = {
    "byte flipped": _flip_a_byte,
    "truncated": _truncate,
    "appended to": _append,
    "deleted": _delete,
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
@pytest.mark.parametrize("read", ["get_bytes", "verified_path"])
def test_a_tampered_artifact_is_refused(
    artifacts: ArtifactStore, tamper: Callable[[Path], None], read: str
) -> None:
    sha = artifacts.put_bytes(BUNDLE)
    path = artifacts.root / sha[:2] / sha
    tamper(path)

    with pytest.raises(IntegrityError) as caught:
        getattr(artifacts, read)(sha)

    message = str(caught.value)
    assert sha in message
    assert str(path) in message
    assert "restore it from a backup, or retrain" in message
    assert caught.value.exit_code == 1


def test_a_modified_artifact_says_it_was_modified_or_truncated(artifacts: ArtifactStore) -> None:
    sha = artifacts.put_bytes(BUNDLE)
    _truncate(artifacts.root / sha[:2] / sha)

    with pytest.raises(IntegrityError, match="does not match its hash") as caught:
        artifacts.get_bytes(sha)
    assert caught.value.fix is not None
    assert "modified or truncated" in caught.value.fix


def test_a_deleted_artifact_says_it_is_missing(artifacts: ArtifactStore) -> None:
    sha = artifacts.put_bytes(BUNDLE)
    _delete(artifacts.root / sha[:2] / sha)

    with pytest.raises(IntegrityError, match="is missing"):
        artifacts.verified_path(sha)
    assert not artifacts.exists(sha)


def test_storing_the_content_again_repairs_a_damaged_copy(artifacts: ArtifactStore) -> None:
    sha = artifacts.put_bytes(BUNDLE)
    _flip_a_byte(artifacts.root / sha[:2] / sha)

    assert artifacts.put_bytes(BUNDLE) == sha
    assert artifacts.get_bytes(sha) == BUNDLE


def test_an_address_that_is_not_a_sha256_never_becomes_a_path(artifacts: ArtifactStore) -> None:
    for bad in ("../../etc/passwd", "ABC", "a" * 63, "g" * 64):
        with pytest.raises(ValueError, match="not a sha256"):
            artifacts.get_bytes(bad)


class TrainingFailed(Exception):
    pass


def test_a_failed_transaction_removes_new_artifacts_and_keeps_old_ones(
    artifacts: ArtifactStore,
) -> None:
    old = artifacts.put_bytes(b"snapshot from an earlier run")

    with pytest.raises(TrainingFailed), artifacts.transaction():
        new = artifacts.put_bytes(BUNDLE)
        assert artifacts.put_bytes(b"snapshot from an earlier run") == old
        raise TrainingFailed

    assert not artifacts.exists(new)
    assert artifacts.get_bytes(old) == b"snapshot from an earlier run"
    assert _files(artifacts.root) == [artifacts.root / old[:2] / old]


def test_an_interrupted_transaction_cleans_up_too(artifacts: ArtifactStore) -> None:
    with pytest.raises(KeyboardInterrupt), artifacts.transaction():
        sha = artifacts.put_bytes(BUNDLE)
        raise KeyboardInterrupt

    assert not artifacts.exists(sha)


def test_a_successful_transaction_keeps_everything(artifacts: ArtifactStore) -> None:
    with artifacts.transaction():
        sha = artifacts.put_bytes(BUNDLE)

    assert artifacts.get_bytes(sha) == BUNDLE


def test_nested_transactions_undo_only_what_failed(artifacts: ArtifactStore) -> None:
    with artifacts.transaction():
        kept = artifacts.put_bytes(b"outer")
        with pytest.raises(TrainingFailed), artifacts.transaction():
            dropped = artifacts.put_bytes(b"inner")
            raise TrainingFailed

    assert artifacts.exists(kept)
    assert not artifacts.exists(dropped)

    with pytest.raises(TrainingFailed), artifacts.transaction():
        with artifacts.transaction():
            inner = artifacts.put_bytes(b"committed inner, failed outer")
        raise TrainingFailed
    assert not artifacts.exists(inner)
