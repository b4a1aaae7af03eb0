"""APScheduler as the bot's job runner: jobs stored in the SQL database outlast the process
that submitted them, and the upkeep schedule is kept across restarts."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.background_jobs import ApschedulerJobs
from adapters.sql_state.store import sqlite_url


async def stored_jobs(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id"))).all()
    await engine.dispose()
    return [row[0] for row in rows]


POSTGRES = os.environ.get("POSTGRES_TEST_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not POSTGRES:
            pytest.skip("POSTGRES_TEST_URL is unset (make test sets it)")
        return POSTGRES
    return sqlite_url(tmp_path / "ragbot.db")


async def test_a_job_submitted_before_a_stop_runs_after_the_next_start(database: str) -> None:
    # A kind of its own: the PostgreSQL database is shared by every test run.
    kind = f"ingest-{uuid.uuid4().hex[:8]}"
    first = ApschedulerJobs(database)
    first.on(kind, lambda key: asyncio.sleep(0))
    await first.start()
    first._scheduler.pause()  # the process stops before the job's turn
    await first.submit(kind, "channel/source-1")
    await first.close()
    mine = [job for job in await stored_jobs(database) if job.startswith(kind)]
    assert len(mine) == 1

    ran: asyncio.Queue[str] = asyncio.Queue()
    second = ApschedulerJobs(database)

    async def work(key: str) -> None:
        ran.put_nowait(key)

    second.on(kind, work)
    await second.start()
    try:
        assert await asyncio.wait_for(ran.get(), 10) == "channel/source-1"
        await second.flush()
    finally:
        await second.close()
    assert [job for job in await stored_jobs(database) if job.startswith(kind)] == []


async def test_a_dropped_job_never_runs(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ragbot.db")
    jobs = ApschedulerJobs(url)
    ran: list[str] = []

    async def work(key: str) -> None:
        ran.append(key)

    jobs.on("ingest", work)
    await jobs.start()
    await jobs.submit("ingest", "a")
    await jobs.drop("ingest", "a")
    await jobs.submit("ingest", "b")
    done = asyncio.Event()

    async def last(key: str) -> None:
        ran.append(key)
        done.set()

    jobs.on("ingest", last)
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await jobs.close()
    assert ran == ["b"]


async def test_the_upkeep_schedule_is_stored_and_kept_across_a_restart(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ragbot.db")
    first = ApschedulerJobs(url)
    await first.start()
    await first.every("resume-stale", 3600)
    planned = first._scheduler.get_job("every:resume-stale").next_run_time
    await first.close()

    second = ApschedulerJobs(url)
    await second.start()
    await second.every("resume-stale", 3600)
    try:
        kept = second._scheduler.get_job("every:resume-stale").next_run_time
    finally:
        await second.close()
    assert kept == planned
    assert await stored_jobs(url) == ["every:resume-stale"]


async def test_a_failing_job_is_logged_and_the_next_one_still_runs(tmp_path: Path) -> None:
    jobs = ApschedulerJobs(None)
    done = asyncio.Event()

    async def work(key: str) -> None:
        if key == "bad":
            raise RuntimeError("boom")
        done.set()

    jobs.on("ingest", work)
    await jobs.start()
    await jobs.submit("ingest", "bad")
    await jobs.submit("ingest", "good")
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await jobs.close()


async def test_two_bots_in_one_process_each_run_their_own_jobs(tmp_path: Path) -> None:
    ran: dict[str, list[str]] = {"a": [], "b": []}
    done = {name: asyncio.Event() for name in ran}
    bots = {name: ApschedulerJobs(sqlite_url(tmp_path / f"{name}.db")) for name in ran}
    for name, jobs in bots.items():

        async def work(key: str, name: str = name) -> None:
            ran[name].append(key)
            done[name].set()

        jobs.on("ingest", work)
        await jobs.start()
    try:
        await bots["a"].submit("ingest", "for-a")
        await bots["b"].submit("ingest", "for-b")
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in done.values())), 10)
    finally:
        for jobs in bots.values():
            await jobs.close()
    assert ran == {"a": ["for-a"], "b": ["for-b"]}


async def test_a_job_running_at_close_is_stopped_before_the_database_goes_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    jobs = ApschedulerJobs(sqlite_url(tmp_path / "ragbot.db"))
    started, stopped = asyncio.Event(), asyncio.Event()

    async def work(key: str) -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # a long ingestion, mid-way
        finally:
            stopped.set()

    jobs.on("ingest", work)
    await jobs.start()
    await jobs.submit("ingest", "channel/long-video")
    await asyncio.wait_for(started.wait(), 10)

    await jobs.close()

    assert stopped.is_set()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
    assert "stopped at shutdown" in caplog.text
