"""Services found by position: an index on (category, latitude, longitude) for the
bounding-box prefilter of "the nearest X".

Revision ID: 0007_service_positions
Revises: 0002_knowledge
"""
from alembic import op

revision = "0007_service_positions"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_kb_services_category_position", "kb_services",
                    ["category", "latitude", "longitude"])


def downgrade() -> None:
    op.drop_index("ix_kb_services_category_position", "kb_services")
