"""The outbox: messages and forwards waiting to be sent.

Revision ID: 0003_outbox
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_outbox"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("platform", sa.String(32)),
        sa.Column("chat_id", sa.String(255)),
        sa.Column("batch", sa.String(64)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_outbox_user_id_users"),
    )
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])
    op.create_index("ix_outbox_due", "outbox",
                    ["status", "kind", "platform", "priority", "not_before", "id"])
    op.create_index("ix_outbox_batch", "outbox", ["batch"])


def downgrade() -> None:
    op.drop_table("outbox")
