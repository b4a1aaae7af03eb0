"""The lasting conversation state: the same tests over memory, SQLite and a real PostgreSQL.

PostgreSQL is started by `make test` (scripts/start_postgres.sh), which passes its URL in
POSTGRES_TEST_URL; run alone without it, those cases are skipped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql_state import SqlState
from adapters.sql_state.store import MIGRATIONS, sqlite_url
from core.catalog import MemoryCatalog, SourceStatus, new_entry
from core.channel_settings import MemoryChannelSettingsStore
from core.conversation import Conversations, HandledIds, LastAnswer
from core.feedback import MemoryFeedback
from core.models import ChannelRef, Chunk, Exchange, MessageRef, Passage, Source, SourceKind

POSTGRES = os.environ.get("POSTGRES_TEST_URL")


@pytest_asyncio.fixture(params=["memory", "sqlite", "postgresql"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    if request.param == "memory":
        yield _Memory()
        return
    if request.param == "postgresql" and not POSTGRES:
        pytest.skip("POSTGRES_TEST_URL is unset (make test sets it)")
    url = POSTGRES if request.param == "postgresql" else sqlite_url(tmp_path / "state.db")
    assert url is not None
    store = SqlState(url)
    yield store
    await store.close()


class _Memory(Conversations, HandledIds, MemoryChannelSettingsStore, MemoryCatalog, MemoryFeedback):
    def __init__(self) -> None:
        Conversations.__init__(self, max_exchanges=100)
        HandledIds.__init__(self)
        MemoryChannelSettingsStore.__init__(self)
        MemoryCatalog.__init__(self)
        MemoryFeedback.__init__(self)


def fresh_channel(name: str = "general") -> ChannelRef:
    # Each test its own workspace: the PostgreSQL database is shared by every run.
    return ChannelRef("slack", f"T-{uuid.uuid4().hex[:10]}", name)


def answer(question: str, message_id: str, channel: ChannelRef) -> LastAnswer:
    source = Source("s1", "벡터 발표", SourceKind.MEDIA, "https://youtu.be/abc")
    chunk = Chunk("임베딩은 문장을 벡터로 바꿉니다.", source, 3, start_seconds=72.5, language="ko")
    return LastAnswer(
        question=question,
        language="ko",
        passages=[Passage(chunk, 0.71, (chunk,))],
        history=[Exchange("앞 질문", "앞 대답")],
        messages=[MessageRef(channel, message_id, "th-1")],
        regenerations=2,
    )


async def test_history_returns_the_latest_exchanges_of_that_thread_oldest_first(
    state: Conversations,
) -> None:
    channel = fresh_channel()
    for number in range(5):
        await state.record((channel, "th-1"), Exchange(f"q{number}", f"a{number}"))
    await state.record((channel, None), Exchange("channel q", "channel a"))

    history = await state.history((channel, "th-1"), 3)

    assert history == [Exchange("q2", "a2"), Exchange("q3", "a3"), Exchange("q4", "a4")]
    assert await state.history((channel, None), 3) == [Exchange("channel q", "channel a")]
    assert await state.history((channel, "th-1"), 0) == []


async def test_replace_latest_changes_only_the_newest_exchange(state: Conversations) -> None:
    channel = fresh_channel()
    key = (channel, None)
    await state.record(key, Exchange("q1", "a1"))
    await state.record(key, Exchange("q2", "a2"))

    await state.replace_latest(key, Exchange("q2", "a2 again"))

    assert await state.history(key, 5) == [Exchange("q1", "a1"), Exchange("q2", "a2 again")]


async def test_the_last_answer_comes_back_whole(state: Conversations) -> None:
    channel = fresh_channel()
    key = (channel, "th-1")
    await state.set_last_answer(key, answer("첫 질문", "m1", channel))
    await state.set_last_answer(key, answer("두 번째 질문", "m2", channel))

    last = await state.last_answer(key)

    assert last is not None
    assert last.question == "두 번째 질문" and last.language == "ko"
    assert last.passages[0].chunk == answer("x", "m2", channel).passages[0].chunk
    assert last.passages[0].context[0].start_seconds == 72.5
    assert last.history == [Exchange("앞 질문", "앞 대답")]
    assert last.messages == [MessageRef(channel, "m2", "th-1")]
    assert last.regenerations == 2
    assert await state.last_answer((channel, None)) is None


async def test_any_recent_answer_is_found_by_its_first_message(state: Conversations) -> None:
    channel = fresh_channel()
    await state.set_last_answer((channel, "th-1"), answer("첫 질문", "m1", channel))
    await state.set_last_answer((channel, "th-1"), answer("두 번째 질문", "m2", channel))

    found = await state.answer_at(channel, "m1")

    assert found is not None
    key, older = found
    assert key == (channel, "th-1") and older.question == "첫 질문"
    assert await state.answer_at(channel, "nope") is None


async def test_forget_channel_drops_its_threads_and_keeps_other_channels(
    state: Conversations,
) -> None:
    channel = fresh_channel()
    other = ChannelRef(channel.platform, channel.workspace, "random")
    for key in ((channel, None), (channel, "th-1"), (other, None)):
        await state.record(key, Exchange("q", "a"))
        await state.set_last_answer(key, answer("q", "m", key[0]))

    await state.forget_channel(channel)

    assert await state.history((channel, "th-1"), 5) == []
    assert await state.last_answer((channel, None)) is None
    assert await state.history((other, None), 5) == [Exchange("q", "a")]


async def test_a_message_id_is_handled_once_per_workspace(state: HandledIds) -> None:
    channel = fresh_channel()
    elsewhere = fresh_channel()

    assert await state.first_time(channel, "Ev01")
    assert not await state.first_time(channel, "Ev01")
    assert await state.first_time(elsewhere, "Ev01")


async def test_a_channel_setting_replaces_the_earlier_value_of_that_channel_only(
    state: MemoryChannelSettingsStore,
) -> None:
    channel = fresh_channel()
    other = ChannelRef(channel.platform, channel.workspace, "random")
    await state.set_channel_setting(channel, "answer_language", "en")
    await state.set_channel_setting(channel, "answer_language", "ko")
    await state.set_channel_setting(channel, "summaries", "off")

    assert await state.channel_settings(channel) == {"answer_language": "ko", "summaries": "off"}
    assert await state.channel_settings(other) == {}


async def test_the_catalog_follows_a_source_from_indexing_to_ready_keeping_who_added_it(
    state: MemoryCatalog,
) -> None:
    channel = fresh_channel()
    talk = Source("yt:abc", "벡터 검색 발표", SourceKind.MEDIA, "https://youtu.be/abc")
    entry = new_entry(talk, "Mina")
    await state.record_source(channel, entry)
    await state.record_source(channel, new_entry(Source("f1", "notes.txt"), "Jun"))

    await state.record_source(
        channel, replace(entry.with_status(SourceStatus.READY, 12), added_by="Ana")
    )

    found = await state.catalog_entries(channel)
    assert [item.source.title for item in found] == ["notes.txt", "벡터 검색 발표"]
    ready = found[1]
    assert ready.source == talk
    assert ready.status is SourceStatus.READY and ready.chunk_count == 12
    assert ready.added_by == "Mina"
    assert ready.added_at is not None
    assert abs((ready.added_at - entry.added_at).total_seconds()) < 1  # type: ignore[operator]


async def test_a_failed_source_keeps_its_reason_and_forget_and_clear_remove_entries(
    state: MemoryCatalog,
) -> None:
    channel = fresh_channel()
    blob = new_entry(Source("f2", "blob.dat"), "Mina")
    await state.record_source(
        channel, blob.with_status(SourceStatus.FAILED, reason="not a text file")
    )
    await state.record_source(channel, new_entry(Source("f3", "a.txt"), "Mina"))

    failed = [
        item for item in await state.catalog_entries(channel) if item.source.source_id == "f2"
    ]
    assert failed[0].status is SourceStatus.FAILED and failed[0].reason == "not a text file"

    await state.remove_source(channel, "f2")
    assert [item.source.source_id for item in await state.catalog_entries(channel)] == ["f3"]
    await state.clear_sources(channel)
    assert await state.catalog_entries(channel) == []


def _mine(found: list[tuple[ChannelRef, str]], channel: ChannelRef) -> list[str]:
    # The PostgreSQL database is shared by every test run: only this test's channel counts.
    return [source_id for where, source_id in found if where == channel]


async def test_a_queued_source_is_claimed_by_exactly_one_of_two_racing_workers(
    state: MemoryCatalog,
) -> None:
    channel = fresh_channel()
    talk = new_entry(Source("yt:abc", "Tower talk", SourceKind.MEDIA), "Mina")
    await state.queue_source(channel, talk, '{"job": 1}', worker="enqueuer")
    # The enqueuer's claim counts as stale from now on: both workers may take it over.
    enqueuer_gone = datetime.now(UTC)

    claims = await asyncio.gather(
        state.claim_source(channel, "yt:abc", "worker-a", enqueuer_gone),
        state.claim_source(channel, "yt:abc", "worker-b", enqueuer_gone),
    )

    assert sorted(claim is not None for claim in claims) == [False, True]
    assert next(claim for claim in claims if claim) == '{"job": 1}'
    (entry,) = await state.catalog_entries(channel)
    assert entry.status is SourceStatus.INDEXING


async def test_a_live_claim_is_kept_and_a_stale_one_is_taken_over(state: MemoryCatalog) -> None:
    channel = fresh_channel()
    await state.queue_source(channel, new_entry(Source("f1", "a.txt"), "Mina"), "{}", "alive")
    now = datetime.now(UTC)

    assert await state.claim_source(channel, "f1", "other", now - timedelta(minutes=2)) is None
    assert _mine(await state.unfinished_sources(now - timedelta(minutes=2)), channel) == []
    await state.renew_claims("alive")
    assert await state.claim_source(channel, "f1", "alive", now) == "{}"

    stale = datetime.now(UTC) + timedelta(seconds=1)
    assert _mine(await state.unfinished_sources(stale), channel) == ["f1"]
    assert await state.claim_source(channel, "f1", "other", stale) == "{}"


async def test_only_the_claim_holder_records_the_outcome_and_then_the_job_is_done(
    state: MemoryCatalog,
) -> None:
    channel = fresh_channel()
    entry = new_entry(Source("f1", "a.txt"), "Mina")
    await state.queue_source(channel, entry, "{}", "w1")
    assert await state.claim_source(channel, "f1", "w1", datetime.now(UTC)) == "{}"
    ready = entry.with_status(SourceStatus.READY, chunk_count=3)

    assert not await state.finish_source(channel, ready, "w2")
    assert await state.finish_source(channel, ready, "w1")

    (found,) = await state.catalog_entries(channel)
    assert found.status is SourceStatus.READY and found.chunk_count == 3
    later = datetime.now(UTC) + timedelta(days=1)
    assert _mine(await state.unfinished_sources(later), channel) == []
    assert await state.claim_source(channel, "f1", "w3", later) is None


async def test_a_forgotten_source_leaves_no_job_to_finish_or_resume(state: MemoryCatalog) -> None:
    channel = fresh_channel()
    entry = new_entry(Source("f1", "a.txt"), "Mina")
    await state.queue_source(channel, entry, "{}", "w1")
    await state.claim_source(channel, "f1", "w1", datetime.now(UTC))

    await state.remove_source(channel, "f1")

    assert not await state.finish_source(channel, entry.with_status(SourceStatus.READY), "w1")
    assert await state.catalog_entries(channel) == []
    later = datetime.now(UTC) + timedelta(days=1)
    assert _mine(await state.unfinished_sources(later), channel) == []


async def test_unfinished_sources_come_oldest_first(state: MemoryCatalog) -> None:
    channel = fresh_channel()
    for name in ["first", "second", "third"]:
        await state.queue_source(channel, new_entry(Source(name, name), "Mina"), "{}", "gone")

    later = datetime.now(UTC) + timedelta(days=1)
    assert _mine(await state.unfinished_sources(later), channel) == ["first", "second", "third"]


async def test_the_channels_holding_a_source_are_found_within_their_workspace(
    state: MemoryCatalog,
) -> None:
    general = fresh_channel("general")
    design = ChannelRef(general.platform, general.workspace, "design")
    elsewhere = fresh_channel("general")
    for channel in (general, design, elsewhere):
        await state.record_source(channel, new_entry(Source("f9", "deck.pdf"), "Mina"))
    await state.record_source(general, new_entry(Source("f1", "notes.txt"), "Mina"))

    holding = await state.channels_with_source(general.platform, general.workspace, "f9")

    assert sorted(channel.channel for channel in holding) == ["design", "general"]
    assert await state.channels_with_source(general.platform, general.workspace, "zz") == []


async def test_feedback_keeps_one_verdict_per_person_per_answer(state: MemoryFeedback) -> None:
    channel = fresh_channel()
    other = fresh_channel("random")

    await state.record_feedback(channel, "m1", "U1", "down")
    await state.record_feedback(channel, "m1", "U1", "up")
    await state.record_feedback(channel, "m1", "U2", "up")
    await state.record_feedback(channel, "m2", "U1", "down")
    await state.record_feedback(other, "m1", "U1", "down")

    assert await state.feedback_counts(channel) == {"up": 2, "down": 1}
    assert await state.feedback_counts(other) == {"down": 1}


async def test_a_database_of_the_first_schema_is_upgraded_keeping_its_data(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "state.db")
    channel = fresh_channel()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: _upgrade_to(sync, "0001"))
        await connection.exec_driver_sql(
            "INSERT INTO exchanges (platform, workspace, channel, thread, question, answer, "
            f"created_at) VALUES ('slack', '{channel.workspace}', 'general', '', 'q', 'a', "
            "'2026-11-01 10:00:00')"
        )
    await engine.dispose()

    store = SqlState(url)
    try:
        assert await store.history((channel, None), 5) == [Exchange("q", "a")]
        await store.set_channel_setting(channel, "summaries", "off")
        assert await store.channel_settings(channel) == {"summaries": "off"}
    finally:
        await store.close()


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_everything_survives_reopening_the_database(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "data" / "state.db")
    channel = fresh_channel()
    first = SqlState(url)
    await first.record((channel, None), Exchange("q", "a"))
    await first.set_last_answer((channel, None), answer("q", "m1", channel))
    await first.first_time(channel, "Ev01")
    await first.close()

    again = SqlState(url)
    try:
        assert await again.history((channel, None), 5) == [Exchange("q", "a")]
        last = await again.last_answer((channel, None))
        assert last is not None and last.messages[0].message_id == "m1"
        assert not await again.first_time(channel, "Ev01")
    finally:
        await again.close()


async def test_the_schema_is_versioned_by_alembic(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "state.db")
    store = SqlState(url)
    await store.history((fresh_channel(), None), 1)
    await store.close()

    engine = create_async_engine(url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        version = (
            await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        ).all()
    await engine.dispose()

    assert {"exchanges", "answers", "handled_messages", "channel_settings"} <= set(tables)
    assert {"sources", "feedback"} <= set(tables)
    assert version == [("0005",)]
