"""The bot's lasting state that is not vectors, in one SQL database (SQLAlchemy 2, async):
SQLite under the data directory by default, PostgreSQL by URL for several bot processes.
The schema is versioned with Alembic (migrations/), upgraded when the store opens."""

from adapters.sql_state.store import SqlState

__all__ = ["SqlState"]
