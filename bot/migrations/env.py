"""Alembic environment: runs on the connection that :func:`bot.db.migrate` hands over."""
from alembic import context

from bot.db import Base
from bot.features import FEATURES  # noqa: F401 - the features bring their models' tables into Base.metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table_schema=None,
)
with context.begin_transaction():
    context.run_migrations()
