"""Where scores go: resumable part files and a manifest, then one atomic rename.

While a run is in progress, output lives in ``OUT.partial/``: one Parquet file per scored part
(``part-000042.parquet``, each written to a temporary name and renamed once complete) and
``manifest.json``, which lists the completed parts with their row counts and the run's
settings. An interrupted run, started again with the same input, model and batch size, skips the
completed parts. A partial folder from a run with other settings is discarded, with a message.

At the end the parts become the output in one step: a Parquet or CSV file is written to
``OUT.tmp`` and renamed to ``OUT``; a folder output is assembled in ``OUT.tmp/`` and renamed.
Nothing named ``OUT`` exists until the output is complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from prodml.batch._input import filesystem
from prodml.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

__all__ = ["OutputTarget", "PartStore", "plan_output"]

MANIFEST = "manifest.json"
_FORMAT = "prodml.batch-parts"
_VERSION = 1


@dataclass(frozen=True)
class OutputTarget:
    location: str
    fs: pafs.FileSystem = field(repr=False)
    path: str
    kind: str  # "parquet", "csv" or "dir" (a folder of Parquet parts)

    @property
    def work(self) -> str:
        return self.path.rstrip("/") + ".partial"

    @property
    def temporary(self) -> str:
        return self.path.rstrip("/") + ".tmp"


def plan_output(location: str, *, overwrite: bool = False) -> OutputTarget:
    """Decide the output kind from its name; refuse an existing output unless ``overwrite``."""
    import pyarrow.fs as pafs

    fs, path = filesystem(location)
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        kind = "parquet"
    elif lower.endswith(".csv"):
        kind = "csv"
    elif location.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
        kind = "dir"
    else:
        raise DataError(
            "unsupported output type",
            where=location,
            fix="write to a .parquet or .csv file, or to a folder (end the name with /)",
        )
    try:
        info = fs.get_file_info(path)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot reach the output location ({exc})",
            where=location,
            fix="check the path or URL and your credentials for it",
        ) from exc
    if info.type != pafs.FileType.NotFound:
        if not overwrite:
            raise DataError(
                "the output already exists",
                where=location,
                fix="choose another output name, or pass --overwrite to replace it",
            )
        if info.type == pafs.FileType.Directory and kind != "dir":
            raise DataError(
                "the output is an existing folder, not a file",
                where=location,
                fix="choose another output name",
            )
    return OutputTarget(location=location, fs=fs, path=path, kind=kind)


class PartStore:
    """The ``OUT.partial`` folder of an output: completed parts and the manifest."""

    def __init__(
        self, target: OutputTarget, settings: dict[str, Any], *, say: Callable[[str], None]
    ) -> None:
        self.target = target
        self.settings = settings
        self.parts: dict[int, dict[str, int]] = {}
        self._open(say)

    @property
    def resumed_rows(self) -> int:
        return sum(p["rows"] for p in self.parts.values())

    def _open(self, say: Callable[[str], None]) -> None:
        fs, work = self.target.fs, self.target.work
        manifest = _read_json(fs, f"{work}/{MANIFEST}")
        if manifest is not None:
            if manifest.get("format") == _FORMAT and manifest.get("settings") == self.settings:
                self.parts = {int(k): v for k, v in manifest.get("parts", {}).items()}
                if self.parts:
                    say(f"resuming: {len(self.parts)} parts already scored in {work}")
                return
            say(f"discarding {work}: it was started with other input, model or batch size")
        _guard(lambda: fs.delete_dir(work) if _exists(fs, work) else None, work, "clear")
        _guard(lambda: fs.create_dir(work, recursive=True), work, "create")
        self._save()

    def write(self, index: int, table: pa.Table, counts: dict[str, int]) -> None:
        import pyarrow.parquet as pq

        fs, name = self.target.fs, self._name(index)

        def put() -> None:
            with fs.open_output_stream(name + ".tmp") as stream:
                pq.write_table(table, stream, compression="zstd")
            fs.move(name + ".tmp", name)

        _guard(put, self.target.location, "write a part of")
        self.parts[index] = {"rows": table.num_rows, **counts}
        self._save()

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {"rows": 0, "ok": 0, "repaired": 0, "rejected": 0}
        for part in self.parts.values():
            for key in totals:
                totals[key] += int(part.get(key, 0))
        return totals

    def tables(self) -> Iterator[pa.Table]:
        import pyarrow.parquet as pq

        for index in sorted(self.parts):
            with self.target.fs.open_input_file(self._name(index)) as handle:
                yield pq.read_table(handle)

    def finish(self, schema: pa.Schema | None) -> None:
        """Turn the parts into the output, atomically; then remove the partial folder."""
        target, fs = self.target, self.target.fs
        temporary = target.temporary
        _guard(lambda: _remove(fs, temporary), target.location, "clear")
        if target.kind == "dir":
            _guard(lambda: fs.create_dir(temporary, recursive=True), target.location, "create")
            for position, index in enumerate(sorted(self.parts)):
                source, dest = self._name(index), f"{temporary}/part-{position:06d}.parquet"
                _guard(partial(fs.move, source, dest), target.location, "assemble")
        else:
            _guard(lambda: self._concatenate(temporary, schema), target.location, "write")
        _guard(lambda: _remove(fs, target.path), target.location, "replace")
        _guard(lambda: fs.move(temporary, target.path), target.location, "rename into")
        _guard(lambda: fs.delete_dir(target.work), target.work, "remove")

    def _concatenate(self, path: str, schema: pa.Schema | None) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        fs = self.target.fs
        with fs.open_output_stream(path) as stream:
            writer: Any = None
            try:
                for table in self.tables():
                    if schema is not None:
                        table = table.cast(schema)
                    if writer is None:
                        writer = (
                            pq.ParquetWriter(stream, table.schema, compression="zstd")
                            if self.target.kind == "parquet"
                            else pacsv.CSVWriter(stream, table.schema)
                        )
                    writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()

    def _name(self, index: int) -> str:
        return f"{self.target.work}/part-{index:06d}.parquet"

    def _save(self) -> None:
        fs, work = self.target.fs, self.target.work
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "settings": self.settings,
            "parts": {str(k): v for k, v in sorted(self.parts.items())},
        }
        data = json.dumps(payload, sort_keys=True).encode()

        def put() -> None:
            with fs.open_output_stream(f"{work}/{MANIFEST}.tmp") as stream:
                stream.write(data)
            fs.move(f"{work}/{MANIFEST}.tmp", f"{work}/{MANIFEST}")

        _guard(put, work, "write the manifest in")


def _read_json(fs: pafs.FileSystem, path: str) -> dict[str, Any] | None:
    try:
        with fs.open_input_stream(path) as stream:
            data = json.loads(stream.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    import pyarrow.fs as pafs

    return bool(fs.get_file_info(path).type != pafs.FileType.NotFound)


def _remove(fs: pafs.FileSystem, path: str) -> None:
    import pyarrow.fs as pafs

    kind = fs.get_file_info(path).type
    if kind == pafs.FileType.Directory:
        fs.delete_dir(path)
    elif kind != pafs.FileType.NotFound:
        fs.delete_file(path)


def _guard(action: Callable[[], Any], where: str, verb: str) -> Any:
    """Run a file-system action; a full disk or a refused write becomes a DataError."""
    import pyarrow as pa

    try:
        return action()
    except (OSError, pa.ArrowException) as exc:
        raise DataError(
            f"cannot {verb} the output ({exc})",
            where=where,
            fix="check free disk space and write permission there; rerun the same command to "
            "continue from the last completed part",
        ) from exc
