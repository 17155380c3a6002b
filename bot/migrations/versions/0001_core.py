"""Core tables: users, conversations and connector state.

Revision ID: 0001_core
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("home_area", sa.String(128)),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("platform", "user_hash", name="uq_users_platform"),
    )
    op.create_table(
        "conversations",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(64)),
        sa.Column("step", sa.String(64)),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_conversations_user_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_conversations"),
    )
    op.create_table(
        "connector_state",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_connector_state"),
    )


def downgrade() -> None:
    op.drop_table("connector_state")
    op.drop_table("conversations")
    op.drop_table("users")
