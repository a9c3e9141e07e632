"""Documents about a model version: its HTML report and model card, stored as artifacts.

One row per (version, kind), pointing at a content-addressed artifact; regenerating a document
replaces the pointer, never the bytes of the old one.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_documents",
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project", "version"],
            ["model_versions.project", "model_versions.version"],
            name="fk_model_documents_project_version_model_versions",
        ),
        sa.PrimaryKeyConstraint("project", "version", "kind", name="pk_model_documents"),
    )


def downgrade() -> None:
    op.drop_table("model_documents")
