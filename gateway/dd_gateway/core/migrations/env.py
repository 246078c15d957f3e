"""Alembic environment: the connection comes from dd_gateway.db.migrate()."""

from alembic import context

from dd_gateway.core.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
