"""The web chat's inbox: messages waiting for a visitor's page (bot/mailbox.py).

Revision ID: 0008_webchat_inbox
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_webchat_inbox"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webchat_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_webchat_inbox_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_webchat_inbox"),
    )
    op.create_index("ix_webchat_inbox_user_id", "webchat_inbox", ["user_id"])
    op.create_index("ix_webchat_inbox_chat_id", "webchat_inbox", ["chat_id"])


def downgrade() -> None:
    op.drop_table("webchat_inbox")
