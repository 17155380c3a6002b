"""Alembic environment: runs on the connection that :func:`bot.db.migrate` hands over."""
from alembic import context

import bot.api.tokens
import bot.contributions.models
import bot.email.models
import bot.handover.models
import bot.models
import bot.outbox
import bot.publications.models
import bot.subscriptions.models  # noqa: F401
import knowledge.models  # noqa: F401
from bot.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table_schema=None,
)
with context.begin_transaction():
    context.run_migrations()
