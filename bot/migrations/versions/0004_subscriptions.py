"""Subscribers, their subscriptions, and city publications.

Revision ID: 0004_subscriptions
Revises: 0003_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_subscriptions"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("quiet_hours", sa.String(16)),
        sa.Column("paused", sa.Boolean(), nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_subscribers"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_subscribers_user_id_users"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("area", sa.String(128), nullable=False),
        sa.Column("area_label", sa.String(128), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_subscriptions_user_id_users"),
        sa.UniqueConstraint("user_id", "kind", "value", "area", name="uq_subscriptions_choice"),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_kind_value", "subscriptions", ["kind", "value"])
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title_fr", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200)),
        sa.Column("text_fr", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text()),
        sa.Column("link", sa.String(2048)),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("officials", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True)),
        _created_at(),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("final_counts", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_publications"),
    )


def downgrade() -> None:
    op.drop_table("publications")
    op.drop_table("subscriptions")
    op.drop_table("subscribers")
