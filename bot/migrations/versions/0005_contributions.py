"""Contributions: reports, ideas, supports, status history, polls, votes and opinions.

Revision ID: 0005_contributions
Revises: 0003_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_contributions"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def _user_link(table: str) -> list:
    return [sa.Column("user_id", sa.Integer()),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                    name=f"fk_{table}_user_id_users")]


def _follow_up_address() -> list:
    return [sa.Column("platform", sa.String(32)), sa.Column("chat_id", sa.String(255)),
            sa.Column("language", sa.String(8))]


def _parent(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{parent}.id"], ondelete="CASCADE",
                                   name=f"fk_{table}_{column}_{parent}")


def upgrade() -> None:
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *_user_link("contributions"),
        *_follow_up_address(),
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("category_label", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("address", sa.Text()),
        sa.Column("area", sa.String(128)),
        sa.Column("media", sa.String(1024)),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_notes", sa.Text()),
        sa.Column("target", sa.String(16)),
        sa.Column("remote_id", sa.String(128)),
        sa.Column("remote_token", sa.String(128)),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True)),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("city_notified_at", sa.DateTime(timezone=True)),
        sa.Column("forwarded_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contributions"),
        sa.UniqueConstraint("reference", name="uq_contributions_reference"),
    )
    op.create_index("ix_contributions_user_id", "contributions", ["user_id"])
    op.create_index("ix_contributions_remote_id", "contributions", ["remote_id"])
    op.create_index("ix_contributions_kind_category_status", "contributions",
                    ["kind", "category", "status"])

    op.create_table(
        "contribution_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        *_user_link("contribution_supports"),
        *_follow_up_address(),
        sa.Column("supporter_key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _parent("contribution_supports", "contribution_id", "contributions"),
        sa.PrimaryKeyConstraint("id", name="pk_contribution_supports"),
        sa.UniqueConstraint("contribution_id", "supporter_key",
                            name="uq_contribution_supports_contribution_id"),
    )
    op.create_index("ix_contribution_supports_contribution_id", "contribution_supports",
                    ["contribution_id"])
    op.create_index("ix_contribution_supports_user_id", "contribution_supports", ["user_id"])

    op.create_table(
        "contribution_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _parent("contribution_events", "contribution_id", "contributions"),
        sa.PrimaryKeyConstraint("id", name="pk_contribution_events"),
    )
    op.create_index("ix_contribution_events_contribution_id", "contribution_events",
                    ["contribution_id"])

    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("question", sa.JSON(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("allow_opinion", sa.Boolean(), nullable=False),
        sa.Column("results_published_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_polls"),
    )
    op.create_index("ix_polls_closes_at", "polls", ["closes_at"])

    op.create_table(
        "poll_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        _parent("poll_options", "poll_id", "polls"),
        sa.PrimaryKeyConstraint("id", name="pk_poll_options"),
    )
    op.create_index("ix_poll_options_poll_id", "poll_options", ["poll_id"])

    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        *_user_link("votes"),
        *_follow_up_address(),
        sa.Column("voter_key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _parent("votes", "poll_id", "polls"),
        _parent("votes", "option_id", "poll_options"),
        sa.PrimaryKeyConstraint("id", name="pk_votes"),
        sa.UniqueConstraint("poll_id", "voter_key", name="uq_votes_poll_id"),
    )
    op.create_index("ix_votes_poll_id", "votes", ["poll_id"])
    op.create_index("ix_votes_user_id", "votes", ["user_id"])

    op.create_table(
        "opinions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _parent("opinions", "poll_id", "polls"),
        _parent("opinions", "vote_id", "votes"),
        sa.PrimaryKeyConstraint("id", name="pk_opinions"),
        sa.UniqueConstraint("vote_id", name="uq_opinions_vote_id"),
    )
    op.create_index("ix_opinions_poll_id", "opinions", ["poll_id"])


def downgrade() -> None:
    for table in ("opinions", "votes", "poll_options", "polls", "contribution_events",
                  "contribution_supports", "contributions"):
        op.drop_table(table)
