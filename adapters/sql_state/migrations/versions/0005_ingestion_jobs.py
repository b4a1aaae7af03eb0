"""The catalog as the ledger of ingestion jobs: how to index a queued source, and which
process claimed it when.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the job and its claim to each source."""
    with op.batch_alter_table("sources") as table:
        table.add_column(sa.Column("job", sa.Text, nullable=True))
        table.add_column(sa.Column("claimed_by", sa.String(255), nullable=True))
        table.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_sources_unfinished", "sources", ["status", "queued_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_sources_unfinished", table_name="sources")
    with op.batch_alter_table("sources") as table:
        table.drop_column("queued_at")
        table.drop_column("claimed_at")
        table.drop_column("claimed_by")
        table.drop_column("job")
