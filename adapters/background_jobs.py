"""BackgroundJobs over APScheduler 3: an asyncio scheduler whose jobs are stored in the bot's
SQL database (SQLite or PostgreSQL), so jobs not yet started and the upkeep schedule outlast
a restart.

APScheduler stores a job as a reference to a module-level function and its arguments, so
every job calls `run_job` with the scheduler's name, the job's kind and its key; `run_job`
finds the handler the running process registered for that kind.

APScheduler's own SQLAlchemy store is synchronous and is called on the event loop: on
SQLite it blocks the loop while an async transaction of the bot holds the write lock, and
neither can finish. So the jobs live in APScheduler's memory store, and every change is
written behind to the same table layout (`apscheduler_jobs`) through an async engine, in
order; at start the stored jobs are loaded back. A change not yet written when the process
dies is lost, which costs nothing: the sources catalog resumes every unfinished ingestion.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import pickle
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger("ragbot.background")
# APScheduler tells every start and end of a job at INFO: the bot's own log says what matters.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

TABLE = "apscheduler_jobs"
_RUNNING: dict[str, ApschedulerJobs] = {}

_metadata = MetaData()
# The layout of APScheduler's SQLAlchemyJobStore, so either can read the other's jobs.
jobs_table = Table(
    TABLE,
    _metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


async def run_job(scheduler: str, kind: str, key: str) -> None:
    """What APScheduler calls: the handler of `kind` in this process's scheduler."""
    jobs = _RUNNING.get(scheduler)
    if jobs is None:
        log.warning("job %s %s found no running scheduler %s", kind, key, scheduler)
        return
    await jobs.dispatch(kind, key)


class WrittenBehindJobStore(MemoryJobStore):  # type: ignore[misc]
    """APScheduler's memory store, each change also written to the database in order."""

    def __init__(self, engine: Callable[[], Awaitable[AsyncEngine]]) -> None:
        super().__init__()
        self._open_engine = engine
        self._engine: AsyncEngine | None = None
        self._writes: asyncio.Queue[tuple[str, str, float | None, bytes | None]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Create the table if needed and take in the stored jobs (after `start`)."""
        self._engine = engine = await self._open_engine()
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            rows = (await connection.execute(select(jobs_table.c.id, jobs_table.c.job_state))).all()
        for job_id, state in rows:
            try:
                job = self._reconstitute(state)
            except Exception:
                log.exception("dropped stored job %s: it cannot be read", job_id)
                self._writes.put_nowait(("remove", job_id, None, None))
                continue
            super().add_job(job)
        self._writer = asyncio.create_task(self._write_all())

    def add_job(self, job: Job) -> None:
        super().add_job(job)
        self._queue("put", job)

    def update_job(self, job: Job) -> None:
        super().update_job(job)
        self._queue("put", job)

    def remove_job(self, job_id: str) -> None:
        super().remove_job(job_id)
        self._writes.put_nowait(("remove", job_id, None, None))

    def remove_all_jobs(self) -> None:
        for job in self.get_all_jobs():
            self._writes.put_nowait(("remove", job.id, None, None))
        super().remove_all_jobs()

    def shutdown(self) -> None:
        # The memory store empties itself at shutdown; the stored jobs must stay.
        pass

    async def flush(self) -> None:
        """Wait until every change so far is in the database."""
        if self._writer is not None and not self._writer.done():
            await self._writes.join()

    async def stop(self) -> None:
        """Write what is left, then stop the writer."""
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _queue(self, verb: str, job: Job) -> None:
        state = pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)
        when = datetime_to_utc_timestamp(job.next_run_time)
        self._writes.put_nowait((verb, job.id, when, state))

    def _reconstitute(self, state: bytes) -> Job:
        job_state = pickle.loads(state)
        job_state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(job_state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    async def _write_all(self) -> None:
        while True:
            verb, job_id, when, state = await self._writes.get()
            try:
                assert self._engine is not None
                async with self._engine.begin() as connection:
                    await connection.execute(delete(jobs_table).where(jobs_table.c.id == job_id))
                    if verb == "put":
                        await connection.execute(
                            insert(jobs_table).values(
                                id=job_id, next_run_time=when, job_state=state
                            )
                        )
            except Exception:
                log.exception("could not store background job %s", job_id)
            finally:
                self._writes.task_done()


class _Scheduler(AsyncIOScheduler):  # type: ignore[misc]
    """AsyncIOScheduler that stays quiet after shutdown: its shutdown runs on the loop's
    next turn, and a wake-up queued meanwhile would run due jobs or use the loop it let go."""

    def _process_jobs(self) -> float | None:
        if not self.running:
            return None
        wait: float | None = super()._process_jobs()
        return wait

    def _start_timer(self, wait_seconds: float | None) -> None:
        if self._eventloop is not None:
            super()._start_timer(wait_seconds)


class ApschedulerJobs:
    """BackgroundJobs on APScheduler's AsyncIOScheduler; `database_url` None keeps jobs in
    memory only."""

    def __init__(
        self,
        database_url: str | None,
        name: str | None = None,
        engine: Callable[[], Awaitable[AsyncEngine]] | None = None,
    ) -> None:
        """`engine` hands out the bot's own engine of that database (shared, so SQLite sees
        one set of connections); without it the store opens its own."""
        # Stored jobs name their scheduler: the one of the same database after a restart,
        # and never another bot's in the same process (tests run several).
        self._name = name or (
            f"db-{hashlib.sha1(database_url.encode()).hexdigest()[:16]}"
            if database_url
            else f"memory-{id(self):x}"
        )
        self._handlers: dict[str, Callable[[str], Awaitable[None]]] = {}
        # The jobs running now: close stops them before the database goes away.
        self._active: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._own_engine: AsyncEngine | None = None
        if engine is None and database_url:
            own = self._own_engine = create_async_engine(database_url)

            async def opened() -> AsyncEngine:
                return own

            engine = opened
        self._store: WrittenBehindJobStore | None = None
        store: Any = MemoryJobStore()
        if engine is not None:
            self._store = store = WrittenBehindJobStore(engine)
        self._scheduler = _Scheduler(
            jobstores={"default": store},
            executors={"default": AsyncIOExecutor()},
            job_defaults={
                # A job due while the bot was down runs when it is back, once.
                "misfire_grace_time": None,
                "coalesce": True,
                "max_instances": 3,
            },
            timezone=UTC,
        )

    def on(self, kind: str, work: Callable[[str], Awaitable[None]]) -> None:
        """Run `work(key)` for every job of `kind`."""
        self._handlers[kind] = work

    async def start(self) -> None:
        """Start the scheduler in the running event loop; stored jobs that are due run."""
        _RUNNING[self._name] = self
        self._scheduler.start(paused=True)
        if self._store is not None:
            await self._store.load()
        self._scheduler.resume()

    async def submit(self, kind: str, key: str) -> None:
        """Store a one-shot job due now (replacing one with the same key not yet started)."""
        self._scheduler.add_job(
            run_job,
            "date",
            run_date=datetime.now(UTC),
            args=[self._name, kind, key],
            id=_job_id(kind, key),
            name=f"{kind} {key}"[:190],
            replace_existing=True,
        )

    async def drop(self, kind: str, key: str) -> None:
        """Forget a job that has not started."""
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(_job_id(kind, key))

    async def every(self, kind: str, seconds: float) -> None:
        """Run `kind` every `seconds`; a stored schedule with the same period is kept, so a
        restart does not push the next run back."""
        job_id = f"every:{kind}"
        period = timedelta(seconds=seconds)
        stored = self._scheduler.get_job(job_id)
        if stored is not None and getattr(stored.trigger, "interval", None) == period:
            return
        self._scheduler.add_job(
            run_job,
            "interval",
            seconds=seconds,
            args=[self._name, kind, ""],
            id=job_id,
            name=f"every {kind}",
            replace_existing=True,
            max_instances=1,
        )

    async def close(self) -> None:
        """Stop, and the jobs running now with it; stored jobs stay for the next start (a
        job stopped half-way runs again then: each handler picks up where work stands)."""
        self._closing = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            # The asyncio scheduler shuts down on the loop's next turn: let it, so no job
            # starts after close returns.
            await asyncio.sleep(0)
        running = list(self._active)
        for task in running:
            task.cancel()
        # Before the database is let go: a job left to the loop's own shutdown was
        # cancelled mid-query there, and APScheduler logged it as a failure.
        await asyncio.gather(*running, return_exceptions=True)
        if _RUNNING.get(self._name) is self:
            del _RUNNING[self._name]
        if self._store is not None:
            await self._store.stop()
        if self._own_engine is not None:
            await self._own_engine.dispose()

    async def flush(self) -> None:
        """Wait until every change to the jobs is in the database."""
        if self._store is not None:
            await self._store.flush()

    async def dispatch(self, kind: str, key: str) -> None:
        """Run the handler of `kind`; an error is logged, never lost in the scheduler."""
        work = self._handlers.get(kind)
        if work is None:
            log.warning("no handler for background job %s %s", kind, key)
            return
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            await work(key)
        except asyncio.CancelledError:
            if not self._closing:
                raise
            log.info("background job %s %s stopped at shutdown; resumes at next start", kind, key)
        except Exception:
            log.exception("background job %s %s failed", kind, key)
        finally:
            if task is not None:
                self._active.discard(task)


def _job_id(kind: str, key: str) -> str:
    # APScheduler's id column holds 191 characters; keys can be longer.
    return f"{kind}:{hashlib.sha1(key.encode()).hexdigest()}"
