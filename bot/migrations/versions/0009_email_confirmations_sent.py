"""Confirmation e-mails of the last day, to cap them per address and per resident.

Revision ID: 0009_email_confirmations_sent
Revises: 0008_email
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_email_confirmations_sent"
down_revision = "0008_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_confirmations_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_confirmations_sent"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name="fk_email_confirmations_sent_user_id_users"),
    )
    for column in ("user_id", "address_key", "sent_at"):
        op.create_index(f"ix_email_confirmations_sent_{column}", "email_confirmations_sent", [column])


def downgrade() -> None:
    op.drop_table("email_confirmations_sent")
