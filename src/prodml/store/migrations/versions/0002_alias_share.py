"""Traffic share on aliases: the challenger's share of entities, recorded with every move.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("aliases") as batch:
        batch.add_column(sa.Column("share", sa.Float(), nullable=True))
    with op.batch_alter_table("alias_moves") as batch:
        batch.add_column(sa.Column("share", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alias_moves") as batch:
        batch.drop_column("share")
    with op.batch_alter_table("aliases") as batch:
        batch.drop_column("share")
