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
    category_text,
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
from prodml.data.repair import DEFAULT_REPAIRS, UNKNOWN_LEVEL, ColumnRules, Policies, plan_repairs
from prodml.data.snapshot import (
    HASH_BATCH_ROWS,
    SCHEME,
    Snapshot,
    canonical_batch,
    canonicalize,
    content_hash,
    frame_from_snapshot,
    read_snapshot_parquet,
    snapshot_to_parquet_bytes,
    take_snapshot,
)
from prodml.data.snapshot_hash import SnapshotHasher
from prodml.data.sources import SUPPORTED_EXTENSIONS, describe_source, load_source, mask_url
from prodml.data.stream import SourceDigest, hash_source, iter_source_batches
from prodml.data.validation import Records, Validator, validate
from prodml.data.validation_result import (
    CHECKS,
    STATUSES,
    ColumnReport,
    Finding,
    ValidationResult,
)

__all__ = [
    "CHECKS",
    "COLUMN_KINDS",
    "CONTRACT_VERSION",
    "DEFAULT_REPAIRS",
    "HASH_BATCH_ROWS",
    "MAX_CATEGORIES",
    "QUANTILE_LEVELS",
    "SCHEME",
    "STATUSES",
    "SUPPORTED_EXTENSIONS",
    "UNKNOWN_LEVEL",
    "ColumnContract",
    "ColumnKind",
    "ColumnReport",
    "ColumnRules",
    "Contract",
    "Finding",
    "Policies",
    "Records",
    "Snapshot",
    "SnapshotHasher",
    "SourceDigest",
    "TextInNumeric",
    "ValidationResult",
    "Validator",
    "canonical_batch",
    "canonicalize",
    "category_keys",
    "category_text",
    "check_numeric_columns",
    "content_hash",
    "describe_source",
    "find_text_in_numeric",
    "frame_from_snapshot",
    "hash_source",
    "infer_contract",
    "infer_kinds",
    "iter_source_batches",
    "load_source",
    "mask_url",
    "parse_datetime",
    "plan_repairs",
    "read_snapshot_parquet",
    "snapshot_to_parquet_bytes",
    "suggest_id_column",
    "suggest_time_column",
    "take_snapshot",
    "validate",
]
