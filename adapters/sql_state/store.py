"""SqlState: the core's lasting state ports over SQLAlchemy's async engine."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from adapters.sql_state.codec import decode_answer, encode_answer
from adapters.sql_state.schema import (
    answers,
    channel_settings,
    exchanges,
    feedback,
    handled_messages,
    sources,
)
from core.catalog import CatalogEntry, SourceStatus
from core.conversation import ConversationKey, LastAnswer
from core.models import ChannelRef, Exchange, Source, SourceKind

log = logging.getLogger("ragbot.sql_state")

MIGRATIONS = Path(__file__).with_name("migrations")
PRUNE_EVERY = timedelta(hours=1)


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite database file (its folder is created on open)."""
    return f"sqlite+aiosqlite:///{path}"


class SqlState:
    """The bot's lasting conversation state, handled message ids, channel settings,
    sources catalog with its ingestion jobs, and answer feedback in one database
    (ConversationStore, HandledMessages, ChannelSettingsStore, SourceCatalog,
    SourceClaims and FeedbackLog).

    The schema is upgraded to the newest Alembic revision on first use, so an upgrade of the
    bot keeps every team's data.
    """

    def __init__(self, url: str, handled_retention: timedelta = timedelta(days=7)) -> None:
        self._url = url
        self._engine: AsyncEngine | None = None
        self._ready = asyncio.Lock()
        self._retention = handled_retention
        self._pruned_at: datetime | None = None

    @property
    def url(self) -> str:
        """The database's URL (secrets included: never log it)."""
        return self._url

    async def engine(self) -> AsyncEngine:
        """The database's engine, schema upgraded (the job store shares its connections)."""
        return await self._open()

    async def _open(self) -> AsyncEngine:
        async with self._ready:
            if self._engine is None:
                if self._url.startswith("sqlite") and ":///" in self._url:
                    database = self._url.split(":///", 1)[1]
                    if database and database != ":memory:":
                        Path(database).parent.mkdir(parents=True, exist_ok=True)
                engine = create_async_engine(self._url)
                if engine.dialect.name == "sqlite":
                    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
                async with engine.begin() as connection:
                    await connection.run_sync(_upgrade)
                self._engine = engine
            return self._engine

    async def history(self, key: ConversationKey, turns: int) -> list[Exchange]:
        """The last `turns` exchanges, oldest first."""
        if turns <= 0:
            return []
        engine = await self._open()
        query = (
            select(exchanges.c.question, exchanges.c.answer)
            .where(*_in(exchanges, key))
            .order_by(exchanges.c.id.desc())
            .limit(turns)
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [Exchange(question, answer) for question, answer in reversed(rows)]

    async def record(self, key: ConversationKey, exchange: Exchange) -> None:
        """Remember an exchange."""
        engine = await self._open()
        async with engine.begin() as connection:
            await connection.execute(_insert_exchange(key, exchange))

    async def replace_latest(self, key: ConversationKey, exchange: Exchange) -> None:
        """Replace the most recent exchange (after `again`)."""
        engine = await self._open()
        async with engine.begin() as connection:
            latest = (
                await connection.execute(
                    select(exchanges.c.id)
                    .where(*_in(exchanges, key))
                    .order_by(exchanges.c.id.desc())
                    .limit(1)
                )
            ).scalar()
            if latest is None:
                await connection.execute(_insert_exchange(key, exchange))
            else:
                await connection.execute(
                    update(exchanges)
                    .where(exchanges.c.id == latest)
                    .values(question=exchange.question, answer=exchange.answer)
                )

    async def last_answer(self, key: ConversationKey) -> LastAnswer | None:
        """The bot's latest answer in this conversation, if any."""
        engine = await self._open()
        query = (
            select(answers.c.question, answers.c.language, answers.c.body)
            .where(*_in(answers, key))
            .order_by(answers.c.id.desc())
            .limit(1)
        )
        async with engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else decode_answer(row.question, row.language, row.body)

    async def set_last_answer(self, key: ConversationKey, answer: LastAnswer) -> None:
        """Remember the latest answer; the same answer again (after `again`) is updated."""
        engine = await self._open()
        first = answer.messages[0].message_id if answer.messages else ""
        body = encode_answer(answer)
        async with engine.begin() as connection:
            same = (
                await connection.execute(
                    select(answers.c.id)
                    .where(*_in(answers, key), answers.c.first_message == first)
                    .where(answers.c.first_message != "")
                    .order_by(answers.c.id.desc())
                    .limit(1)
                )
            ).scalar()
            if same is not None:
                await connection.execute(
                    update(answers).where(answers.c.id == same).values(body=body)
                )
                return
            await connection.execute(
                insert(answers).values(
                    **_columns(key),
                    first_message=first,
                    question=answer.question,
                    language=answer.language,
                    body=body,
                    created_at=_now(),
                )
            )

    async def answer_at(
        self, channel: ChannelRef, message_id: str
    ) -> tuple[ConversationKey, LastAnswer] | None:
        """The answer whose first message is `message_id`, and its conversation."""
        engine = await self._open()
        query = (
            select(answers.c.thread, answers.c.question, answers.c.language, answers.c.body)
            .where(*_in_channel(answers, channel), answers.c.first_message == message_id)
            .order_by(answers.c.id.desc())
            .limit(1)
        )
        async with engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        key = (channel, row.thread or None)
        return key, decode_answer(row.question, row.language, row.body)

    async def forget_channel(self, channel: ChannelRef) -> None:
        """Drop every conversation of `channel` (its threads included)."""
        engine = await self._open()
        async with engine.begin() as connection:
            for table in (exchanges, answers):
                await connection.execute(delete(table).where(*_in_channel(table, channel)))

    async def first_time(self, channel: ChannelRef, message_id: str) -> bool:
        """Record `message_id` as handled; False when it already was (in this workspace)."""
        engine = await self._open()
        now = _now()
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    insert(handled_messages).values(
                        platform=channel.platform,
                        workspace=channel.workspace,
                        message_id=message_id,
                        handled_at=now,
                    )
                )
        except IntegrityError:
            return False
        if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
            # Platforms retry within minutes; ids older than the retention are let go.
            self._pruned_at = now
            async with engine.begin() as connection:
                expired = handled_messages.c.handled_at < now - self._retention
                await connection.execute(delete(handled_messages).where(expired))
        return True

    async def channel_settings(self, channel: ChannelRef) -> dict[str, str]:
        """What was set in `channel`, by name."""
        engine = await self._open()
        query = select(channel_settings.c.name, channel_settings.c.value).where(
            *_in_channel(channel_settings, channel)
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {name: value for name, value in rows}

    async def set_channel_setting(self, channel: ChannelRef, name: str, value: str) -> None:
        """Set one setting of `channel` (replacing what was set)."""
        engine = await self._open()
        async with engine.begin() as connection:
            await connection.execute(
                delete(channel_settings).where(
                    *_in_channel(channel_settings, channel), channel_settings.c.name == name
                )
            )
            await connection.execute(
                insert(channel_settings).values(
                    platform=channel.platform,
                    workspace=channel.workspace,
                    channel=channel.channel,
                    name=name,
                    value=value,
                    changed_at=_now(),
                )
            )

    async def record_feedback(
        self, channel: ChannelRef, answer_id: str, user_id: str, verdict: str
    ) -> None:
        """Keep `user_id`'s verdict on the answer `answer_id` (replacing an earlier one)."""
        engine = await self._open()
        mine = (feedback.c.answer_message == answer_id, feedback.c.user_id == user_id)
        async with engine.begin() as connection:
            await connection.execute(delete(feedback).where(*_in_channel(feedback, channel), *mine))
            await connection.execute(
                insert(feedback).values(
                    platform=channel.platform,
                    workspace=channel.workspace,
                    channel=channel.channel,
                    answer_message=answer_id,
                    user_id=user_id,
                    verdict=verdict,
                    given_at=_now(),
                )
            )

    async def feedback_counts(self, channel: ChannelRef) -> dict[str, int]:
        """How many verdicts of each kind the channel's answers got."""
        engine = await self._open()
        query = (
            select(feedback.c.verdict, func.count())
            .where(*_in_channel(feedback, channel))
            .group_by(feedback.c.verdict)
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {verdict: count for verdict, count in rows}

    async def record_source(self, channel: ChannelRef, entry: CatalogEntry) -> None:
        """Add or update the catalog entry of `entry.source` (it keeps who first added it
        and when)."""
        engine = await self._open()
        key = [*_in_channel(sources, channel), sources.c.source_id == entry.source.source_id]
        values = {
            "kind": entry.source.kind.value,
            "title": entry.source.title,
            "url": entry.source.url,
            "status": entry.status.value,
            "reason": entry.reason,
            "chunk_count": entry.chunk_count,
            "updated_at": _now(),
        }
        async with engine.begin() as connection:
            changed = await connection.execute(update(sources).where(*key).values(**values))
            if changed.rowcount:
                return
            await connection.execute(
                insert(sources).values(
                    platform=channel.platform,
                    workspace=channel.workspace,
                    channel=channel.channel,
                    source_id=entry.source.source_id,
                    added_by=entry.added_by,
                    added_at=entry.added_at,
                    **values,
                )
            )

    async def catalog_entries(self, channel: ChannelRef) -> list[CatalogEntry]:
        """The channel's catalog entries, by title."""
        engine = await self._open()
        query = select(sources).where(*_in_channel(sources, channel))
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        found = [
            CatalogEntry(
                source=Source(row.source_id, row.title, SourceKind(row.kind), row.url),
                status=SourceStatus(row.status),
                added_by=row.added_by,
                added_at=_utc(row.added_at),
                chunk_count=row.chunk_count,
                reason=row.reason,
            )
            for row in rows
        ]
        return sorted(found, key=lambda entry: entry.source.title.casefold())

    async def remove_source(self, channel: ChannelRef, source_id: str) -> None:
        """Drop one catalog entry."""
        engine = await self._open()
        async with engine.begin() as connection:
            await connection.execute(
                delete(sources).where(
                    *_in_channel(sources, channel), sources.c.source_id == source_id
                )
            )

    async def channels_with_source(
        self, platform: str, workspace: str, source_id: str
    ) -> list[ChannelRef]:
        """The channels of a workspace whose catalog holds `source_id`."""
        engine = await self._open()
        query = (
            select(sources.c.channel)
            .where(
                sources.c.platform == platform,
                sources.c.workspace == workspace,
                sources.c.source_id == source_id,
            )
            .distinct()
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [ChannelRef(platform, workspace, channel) for (channel,) in rows]

    async def clear_sources(self, channel: ChannelRef) -> None:
        """Drop every catalog entry of the channel."""
        engine = await self._open()
        async with engine.begin() as connection:
            await connection.execute(delete(sources).where(*_in_channel(sources, channel)))

    async def queue_source(
        self, channel: ChannelRef, entry: CatalogEntry, job: str, worker: str
    ) -> None:
        """Record `entry` as queued with `job`, claimed by `worker`."""
        await self.record_source(channel, entry.with_status(SourceStatus.QUEUED))
        engine = await self._open()
        now = _now()
        async with engine.begin() as connection:
            await connection.execute(
                update(sources)
                .where(*_source_key(channel, entry.source.source_id))
                .values(job=job, claimed_by=worker, claimed_at=now, queued_at=now)
            )

    async def claim_source(
        self, channel: ChannelRef, source_id: str, worker: str, stale_before: datetime
    ) -> str | None:
        """Take the source's job for `worker` in one UPDATE, so of two processes racing for
        it exactly one wins (see SourceClaims)."""
        engine = await self._open()
        free = or_(
            sources.c.claimed_by.is_(None),
            sources.c.claimed_by == worker,
            sources.c.claimed_at < stale_before,
        )
        claim = (
            update(sources)
            .where(
                *_source_key(channel, source_id),
                sources.c.status.in_(_UNFINISHED),
                sources.c.job.is_not(None),
                free,
            )
            .values(
                status=SourceStatus.INDEXING.value,
                claimed_by=worker,
                claimed_at=_now(),
                updated_at=_now(),
            )
        )
        async with engine.begin() as connection:
            if not (await connection.execute(claim)).rowcount:
                return None
            job = select(sources.c.job).where(*_source_key(channel, source_id))
            found = (await connection.execute(job)).scalar_one_or_none()
        return str(found) if found is not None else None

    async def renew_claims(self, worker: str) -> None:
        """Keep `worker`'s claims fresh."""
        engine = await self._open()
        async with engine.begin() as connection:
            await connection.execute(
                update(sources).where(sources.c.claimed_by == worker).values(claimed_at=_now())
            )

    async def finish_source(self, channel: ChannelRef, entry: CatalogEntry, worker: str) -> bool:
        """Record the job's outcome and drop the job, when `worker` still holds it."""
        engine = await self._open()
        finish = (
            update(sources)
            .where(
                *_source_key(channel, entry.source.source_id),
                sources.c.claimed_by == worker,
            )
            .values(
                kind=entry.source.kind.value,
                title=entry.source.title,
                url=entry.source.url,
                status=entry.status.value,
                reason=entry.reason,
                chunk_count=entry.chunk_count,
                updated_at=_now(),
                job=None,
                claimed_by=None,
                claimed_at=None,
                queued_at=None,
            )
        )
        async with engine.begin() as connection:
            return bool((await connection.execute(finish)).rowcount)

    async def unfinished_sources(self, stale_before: datetime) -> list[tuple[ChannelRef, str]]:
        """Queued or indexing sources free to resume, oldest first."""
        engine = await self._open()
        query = (
            select(sources.c.platform, sources.c.workspace, sources.c.channel, sources.c.source_id)
            .where(
                sources.c.status.in_(_UNFINISHED),
                sources.c.job.is_not(None),
                or_(sources.c.claimed_by.is_(None), sources.c.claimed_at < stale_before),
            )
            .order_by(sources.c.queued_at)
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            (ChannelRef(platform, workspace, channel), source_id)
            for platform, workspace, channel, source_id in rows
        ]

    async def close(self) -> None:
        """Close the database connections."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _sqlite_pragmas(connection: Any, _record: object) -> None:
    # WAL: readers never wait for a writer, and a commit costs no full sync; the question
    # path writes a handled id per message.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _columns(key: ConversationKey) -> dict[str, str]:
    channel, thread = key
    return {
        "platform": channel.platform,
        "workspace": channel.workspace,
        "channel": channel.channel,
        "thread": thread or "",
    }


def _in(table: Table, key: ConversationKey) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in _columns(key).items()]


def _insert_exchange(key: ConversationKey, exchange: Exchange) -> Insert:
    return insert(exchanges).values(
        **_columns(key), question=exchange.question, answer=exchange.answer, created_at=_now()
    )


def _in_channel(table: Table, channel: ChannelRef) -> list[ColumnElement[bool]]:
    return [
        table.c.platform == channel.platform,
        table.c.workspace == channel.workspace,
        table.c.channel == channel.channel,
    ]


_UNFINISHED = (SourceStatus.QUEUED.value, SourceStatus.INDEXING.value)


def _source_key(channel: ChannelRef, source_id: str) -> list[ColumnElement[bool]]:
    return [*_in_channel(sources, channel), sources.c.source_id == source_id]


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)
