"""E-mail addresses of residents and what each receives by e-mail.

Revision ID: 0008_email
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_email"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _erased_with_the_resident(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name=f"fk_{table}_user_id_users")


def upgrade() -> None:
    op.create_table(
        "email_addresses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(200)),
        sa.PrimaryKeyConstraint("user_id", name="pk_email_addresses"),
        _erased_with_the_resident("email_addresses"),
    )
    op.create_table(
        "email_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("area", sa.String(128), nullable=False),
        sa.Column("area_label", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_choices"),
        _erased_with_the_resident("email_choices"),
        sa.UniqueConstraint("user_id", "kind", "value", "area", name="uq_email_choices_choice"),
    )
    op.create_index("ix_email_choices_user_id", "email_choices", ["user_id"])


def downgrade() -> None:
    op.drop_table("email_choices")
    op.drop_table("email_addresses")
