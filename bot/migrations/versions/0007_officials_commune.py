"""Officials by commune: a folded commune name to find "le maire de Rezé" through an index.

Revision ID: 0007_officials_commune
Revises: 0002_knowledge
"""
import sqlalchemy as sa
from alembic import op

from bot.text import normalize

revision = "0007_officials_commune"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_officials") as table:
        table.add_column(sa.Column("commune_key", sa.String(255), nullable=False,
                                   server_default=""))
    officials = sa.table("kb_officials", sa.column("commune", sa.String),
                         sa.column("commune_key", sa.String))
    bind = op.get_bind()
    for (commune,) in bind.execute(sa.select(officials.c.commune).distinct()).all():
        bind.execute(officials.update().where(officials.c.commune == commune)
                     .values(commune_key=normalize(commune or "")))
    op.create_index("ix_kb_officials_commune_key", "kb_officials", ["commune_key"])
    op.create_index("ix_kb_officials_commune_code", "kb_officials", ["commune_code"])


def downgrade() -> None:
    op.drop_index("ix_kb_officials_commune_code", "kb_officials")
    op.drop_index("ix_kb_officials_commune_key", "kb_officials")
    with op.batch_alter_table("kb_officials") as table:
        table.drop_column("commune_key")
