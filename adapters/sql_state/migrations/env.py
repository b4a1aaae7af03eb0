"""Alembic's entry point: runs the revisions on the connection SqlState hands over."""

from __future__ import annotations

from alembic import context

from adapters.sql_state.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the migrations run through SqlState, which passes a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
