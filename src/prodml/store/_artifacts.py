"""Content-addressed artifact files: the name of a file is the sha256 of its bytes.

Dataset snapshots, model bundles and reports are written once and referenced from the metadata
by hash. Every read re-hashes the file, because a model bundle that was truncated by a full disk
or edited by hand must never be loaded and served: it is refused with an IntegrityError instead.

Layout: ``root/ab/abcdef...`` (the first two hex digits shard the directory). Files are written to
a temporary name in the same directory, fsynced and renamed into place, so a crash never leaves a
partial file under a valid name; they are created read-only to discourage editing in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from prodml.errors import IntegrityError

__all__ = ["ArtifactStore"]

_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEMP_PREFIX = ".tmp-"


class ArtifactStore:
    """Files addressed by their sha256 under ``root``; see the module docstring for guarantees.

    Safe to share between threads and processes: writing the same content twice is harmless
    (both writers produce identical bytes and the rename is atomic).
    """

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self._root)!r})"

    @property
    def root(self) -> Path:
        return self._root

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` and return its sha256; a no-op when an intact copy already exists."""
        sha = hashlib.sha256(data).hexdigest()
        target = self._path(sha)
        if _matches(target, sha):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = _temp_name(target.parent)
        try:
            with _create(temp) as out:
                out.write(data)
                _sync(out)
            self._install(temp, target, sha)
        finally:
            temp.unlink(missing_ok=True)
        return sha

    def put_file(self, path: Path) -> str:
        """Copy the file at ``path`` in, hashing as it streams, and return its sha256.

        Memory stays flat however large the file (dataset snapshots can be gigabytes).
        """
        self._root.mkdir(parents=True, exist_ok=True)
        temp = _temp_name(self._root)
        digest = hashlib.sha256()
        try:
            with Path(path).open("rb") as source, _create(temp) as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                _sync(out)
            sha = digest.hexdigest()
            target = self._path(sha)
            if not _matches(target, sha):
                target.parent.mkdir(parents=True, exist_ok=True)
                self._install(temp, target, sha)
        finally:
            temp.unlink(missing_ok=True)
        return sha

    def get_bytes(self, sha: str) -> bytes:
        """The stored bytes, after checking they still hash to ``sha``."""
        path = self._path(sha)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise _missing(sha, path) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise _tampered(sha, path, actual, len(data))
        return data

    def verified_path(self, sha: str) -> Path:
        """The file's path, after checking its content hashes to ``sha``.

        For readers that need a path (Parquet, joblib). The check is made on every call; the
        caller should open the file straight away rather than keep the path for later.
        """
        path = self._path(sha)
        try:
            actual, size = _hash_file(path)
        except FileNotFoundError as exc:
            raise _missing(sha, path) from exc
        if actual != sha:
            raise _tampered(sha, path, actual, size)
        return path

    def exists(self, sha: str) -> bool:
        """Whether a file is stored under ``sha`` (cheap: presence only, not its content)."""
        return self._path(sha).is_file()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Delete the artifacts first stored inside the block if the block raises.

        A failed or interrupted training run then leaves the store as it found it. Artifacts
        that existed before the block are kept even if the block stored them again. Blocks nest;
        they are tracked per thread.
        """
        created: set[str] = set()
        stack = self._open_transactions()
        stack.append(created)
        try:
            yield
        except BaseException:
            for sha in created:
                self._discard(sha)
            raise
        finally:
            stack.pop()

    def _path(self, sha: str) -> Path:
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise ValueError(f"not a sha256 hex digest: {sha!r}")
        return self._root / sha[:2] / sha

    def _install(self, temp: Path, target: Path, sha: str) -> None:
        new = not target.exists()
        os.replace(temp, target)
        _sync_directory(target.parent)
        if new:
            for created in self._open_transactions():
                created.add(sha)

    def _discard(self, sha: str) -> None:
        path = self._path(sha)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # other artifacts still share the shard directory
            path.parent.rmdir()

    def _open_transactions(self) -> list[set[str]]:
        stack: list[set[str]] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = []
            self._local.stack = stack
        return stack


def _temp_name(directory: Path) -> Path:
    return directory / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"


def _create(path: Path) -> BinaryIO:
    # Read-only mode (filtered by the umask) on a file we still hold open for writing.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o444)
    return os.fdopen(fd, "wb")


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on every platform."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _matches(path: Path, sha: str) -> bool:
    try:
        return _hash_file(path)[0] == sha
    except FileNotFoundError:
        return False


def _missing(sha: str, path: Path) -> IntegrityError:
    return IntegrityError(
        f"artifact {sha} is missing: no file at {path}",
        fix="the file was deleted or moved (or PRODML_ARTIFACTS_DIR points elsewhere); "
        "restore it from a backup, or retrain (prodml train) to recreate the model",
    )


def _tampered(sha: str, path: Path, actual: str, size: int) -> IntegrityError:
    return IntegrityError(
        f"artifact {sha} at {path} does not match its hash "
        f"(the file now hashes to {actual[:12]}…, {size} bytes); refusing to load it",
        fix="the file was modified or truncated after prodml stored it; restore it from a "
        "backup, or retrain (prodml train) to recreate the model; never edit files under "
        ".prodml/artifacts",
    )
