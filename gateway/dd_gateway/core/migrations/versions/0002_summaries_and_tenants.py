"""Summary columns for history pages; the API key that owns each analysis; admin keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.add_column(sa.Column("mime", sa.String(100), nullable=True))
        batch.add_column(sa.Column("size_bytes", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("fake_probability", sa.Float, nullable=True))
        batch.add_column(sa.Column("thumbnail_url", sa.Text, nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=True))
        batch.create_index("ix_analyses_key_id", ["key_id"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("admin", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("admin")
    with op.batch_alter_table("analyses") as batch:
        batch.drop_index("ix_analyses_key_id")
        for column in ("key_id", "thumbnail_url", "fake_probability", "size_bytes", "mime"):
            batch.drop_column(column)
