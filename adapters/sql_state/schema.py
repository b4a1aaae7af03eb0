"""The tables. A change here goes with a new revision in migrations/versions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# One row per question answered: what a follow-up sees of the conversation.
exchanges = Table(
    "exchanges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("workspace", String(255), nullable=False),
    Column("channel", String(255), nullable=False),
    Column("thread", String(255), nullable=False),  # "" for the channel itself
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_exchanges_conversation", "platform", "workspace", "channel", "thread", "id"),
)

# The answers of each conversation, with what is needed to generate them again.
answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("workspace", String(255), nullable=False),
    Column("channel", String(255), nullable=False),
    Column("thread", String(255), nullable=False),
    Column("first_message", String(255), nullable=False),  # the answer's first message id
    Column("question", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("body", Text, nullable=False),  # JSON: passages, history, message refs
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_answers_conversation", "platform", "workspace", "channel", "thread", "id"),
)

# Platform message ids already handled, so a retried delivery is dropped.
handled_messages = Table(
    "handled_messages",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("workspace", String(255), primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("handled_at", DateTime(timezone=True), nullable=False, index=True),
)

# The settings a channel's admins changed (the rest come from config).
channel_settings = Table(
    "channel_settings",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("workspace", String(255), primary_key=True),
    Column("channel", String(255), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Every source a channel was given: who added it, when, and whether it is ready.
sources = Table(
    "sources",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("workspace", String(255), primary_key=True),
    Column("channel", String(255), primary_key=True),
    Column("source_id", String(255), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("chunk_count", Integer, nullable=False),
    Column("added_by", String(255), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # While queued or indexing: how to index it (JSON), and which process claimed it when.
    Column("job", Text, nullable=True),
    Column("claimed_by", String(255), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("queued_at", DateTime(timezone=True), nullable=True),
    Index("ix_sources_unfinished", "status", "queued_at"),
)

# One verdict ("up" or "down") per person per answer; a second click replaces the first.
feedback = Table(
    "feedback",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("workspace", String(255), primary_key=True),
    Column("channel", String(255), primary_key=True),
    Column("answer_message", String(255), primary_key=True),  # the answer's first message id
    Column("user_id", String(255), primary_key=True),
    Column("verdict", String(16), nullable=False),
    Column("given_at", DateTime(timezone=True), nullable=False),
)
