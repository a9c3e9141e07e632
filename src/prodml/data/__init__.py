"""The data layer: read the source, understand its columns, fix its contract, snapshot it.

``sources`` reads CSV, Parquet or SQL into a frame with clear errors; ``kinds`` says what each
column means (numeric, categorical, boolean, datetime, text, identifier); ``contract`` records the
training data column by column for validation and monitoring; ``snapshot`` canonicalises and
hashes the exact training data for lineage. Nothing here knows about training or serving.

Importing this package loads pandas and pyarrow; SQLAlchemy is loaded only for SQL sources.
"""

from __future__ import annotations

from prodml.data.contract import (
    CONTRACT_VERSION,
    MAX_CATEGORIES,
    QUANTILE_LEVELS,
    ColumnContract,
    Contract,
    category_keys,
    infer_contract,
)
from prodml.data.kinds import (
    COLUMN_KINDS,
    ColumnKind,
    TextInNumeric,
    check_numeric_columns,
    find_text_in_numeric,
    infer_kinds,
    parse_datetime,
    suggest_id_column,
    suggest_time_column,
)
from prodml.data.snapshot import (
    HASH_BATCH_ROWS,
    Snapshot,
    canonicalize,
    content_hash,
    frame_from_snapshot,
    read_snapshot_parquet,
    snapshot_to_parquet_bytes,
    take_snapshot,
)
from prodml.data.sources import SUPPORTED_EXTENSIONS, describe_source, load_source, mask_url

__all__ = [
    "COLUMN_KINDS",
    "CONTRACT_VERSION",
    "HASH_BATCH_ROWS",
    "MAX_CATEGORIES",
    "QUANTILE_LEVELS",
    "SUPPORTED_EXTENSIONS",
    "ColumnContract",
    "ColumnKind",
    "Contract",
    "Snapshot",
    "TextInNumeric",
    "canonicalize",
    "category_keys",
    "check_numeric_columns",
    "content_hash",
    "describe_source",
    "find_text_in_numeric",
    "frame_from_snapshot",
    "infer_contract",
    "infer_kinds",
    "load_source",
    "mask_url",
    "parse_datetime",
    "read_snapshot_parquet",
    "snapshot_to_parquet_bytes",
    "suggest_id_column",
    "suggest_time_column",
    "take_snapshot",
]
