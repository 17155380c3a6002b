"""Hand-over to a person: tickets and their conversation.

Revision ID: 0006_handover
Revises: 0003_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_handover"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None

ONLY_OPEN = sa.text("status = 'open'")


def _resident(table: str) -> list:
    return [sa.Column("user_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                    name=f"fk_{table}_user_id_users")]


def upgrade() -> None:
    op.create_table(
        "handover_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        *_resident("handover_tickets"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("platform", sa.String(32)),
        sa.Column("chat_id", sa.String(255)),
        sa.Column("agent", sa.String(100)),
        sa.Column("waiting_since", sa.DateTime(timezone=True)),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_handover_tickets"),
    )
    op.create_index("ix_handover_tickets_user_id", "handover_tickets", ["user_id"])
    op.create_index("ix_handover_tickets_status", "handover_tickets", ["status"])
    op.create_index("ix_handover_tickets_open_user", "handover_tickets", ["user_id"], unique=True,
                    sqlite_where=ONLY_OPEN, postgresql_where=ONLY_OPEN)
    op.create_table(
        "handover_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        *_resident("handover_messages"),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("event", sa.String(32)),
        sa.Column("text", sa.Text()),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("attachment_kind", sa.String(16)),
        sa.Column("attachment_reference", sa.String(1024)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["handover_tickets.id"], ondelete="CASCADE",
                                name="fk_handover_messages_ticket_id_handover_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_handover_messages"),
    )
    op.create_index("ix_handover_messages_ticket_id", "handover_messages", ["ticket_id"])
    op.create_index("ix_handover_messages_user_id", "handover_messages", ["user_id"])


def downgrade() -> None:
    op.drop_table("handover_messages")
    op.drop_table("handover_tickets")
