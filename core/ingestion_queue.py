"""Ingestion as background jobs: each source shared in a channel is queued in the catalog,
run by the scheduler in the channel's order, claimed atomically before work starts, resumed
after a restart, and stopped when the source is forgotten."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from core.catalog import CatalogEntry
from core.jobs import IngestionJob, decode_job, encode_job, job_key, parse_job_key
from core.models import ChannelRef
from core.ports import BackgroundJobs, ChatClient, SourceClaims
from core.upkeep import PeriodicJob

log = logging.getLogger("ragbot.jobs")

INGEST = "ingest"
RENEW = "renew-claims"
SWEEP = "resume-stale"

# Runs one claimed job to its end: (job, chat, whether it was resumed from before a restart);
# True when the source was indexed.
JobRunner = Callable[[IngestionJob, ChatClient, bool], Awaitable[bool]]
# Told (job key, jobs ahead) whenever a waiting job moves up its channel's queue.
PositionWatcher = Callable[[str, int], Awaitable[None]]


def worker_name() -> str:
    """This process's name in job claims: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class IngestionQueue:
    """Queues, orders, claims and runs ingestion jobs; the catalog is the truth.

    `exclusive` says no other process shares the catalog (SQLite next to an embedded
    store): then every unfinished job found at start-up was a dead process's and is taken
    over at once; otherwise a claim is taken over once it has not been renewed for
    `lease_seconds`.
    """

    def __init__(
        self,
        claims: SourceClaims,
        jobs: BackgroundJobs,
        *,
        exclusive: bool = True,
        lease_seconds: float = 120.0,
        worker: str | None = None,
        periodic: Sequence[PeriodicJob] = (),
    ) -> None:
        self._claims = claims
        self._jobs = jobs
        self._exclusive = exclusive
        self._lease = timedelta(seconds=lease_seconds)
        self._worker = worker or worker_name()
        self._runner: JobRunner | None = None
        self._on_position: PositionWatcher | None = None
        self._resumed: set[str] = set()
        self._chats: dict[str, ChatClient] = {}
        self._lanes: dict[ChannelRef, list[str]] = {}
        self._outcomes: dict[str, asyncio.Future[bool]] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._moved = asyncio.Condition()
        self._started = False
        self._periodic = list(periodic)
        jobs.on(INGEST, self._run)
        jobs.on(RENEW, self._renew)
        jobs.on(SWEEP, self._sweep)
        for job in self._periodic:
            jobs.on(job.kind, job.work)

    @property
    def worker(self) -> str:
        """This process's name in claims."""
        return self._worker

    def run_with(self, runner: JobRunner, on_position: PositionWatcher | None = None) -> None:
        """Set what runs a claimed job, and who is told of queue positions."""
        self._runner = runner
        self._on_position = on_position

    def serves(self, platform: str) -> bool:
        """Whether a chat of `platform` is attached."""
        return platform in self._chats

    async def attach(self, platform: str, chat: ChatClient) -> int:
        """Serve `platform` through `chat`: start the scheduler on first use, and resume that
        platform's unfinished jobs (a dead process's too); return how many were resumed."""
        self._chats[platform] = chat
        if not self._started:
            self._started = True
            await self._jobs.start()
            await self._jobs.every(RENEW, self._lease.total_seconds() / 3)
            await self._jobs.every(SWEEP, self._lease.total_seconds())
            for job in self._periodic:
                await self._jobs.every(job.kind, job.seconds)
        return await self._resume(self._stale_before(), platform)

    async def enqueue(self, job: IngestionJob, entry: CatalogEntry) -> asyncio.Future[bool]:
        """Queue `job` in its channel (the catalog records it first, so it outlives a
        crash); the future tells whether it was indexed."""
        channel = job.channel
        key = job_key(channel, entry.source.source_id)
        await self._claims.queue_source(channel, entry, encode_job(job), self._worker)
        outcome = self._outcome(key)
        self._join_lane(channel, key)
        await self._jobs.submit(INGEST, key)
        return outcome

    @property
    def claims(self) -> SourceClaims:
        """The catalog's ledger of jobs."""
        return self._claims

    def waiting(self, channel: ChannelRef) -> int:
        """How many jobs of the channel run or wait now (a new one comes after them)."""
        return len(self._lanes.get(channel, []))

    async def cancel(self, channel: ChannelRef, source_id: str) -> bool:
        """Stop the source's job, queued or running; True when there was one."""
        key = job_key(channel, source_id)
        task = self._running.get(key)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return True
        lane = self._lanes.get(channel, [])
        if key not in lane:
            return False
        await self._jobs.drop(INGEST, key)
        await self._leave_lane(channel, key, False)
        return True

    async def cancel_channel(self, channel: ChannelRef) -> None:
        """Stop every job of the channel (a reset)."""
        for key in list(self._lanes.get(channel, [])):
            await self.cancel(channel, parse_job_key(key)[1])

    async def idle(self) -> None:
        """Wait until no job is queued or running in this process."""
        async with self._moved:
            await self._moved.wait_for(lambda: not any(self._lanes.values()))

    async def close(self) -> None:
        """Stop the scheduler; jobs not finished stay in the catalog for the next start."""
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
        await self._jobs.close()

    async def _resume(self, stale_before: datetime, platform: str) -> int:
        found = await self._claims.unfinished_sources(stale_before)
        resumed = 0
        for channel, source_id in found:
            key = job_key(channel, source_id)
            if channel.platform != platform or key in self._running:
                continue
            if key not in self._lanes.get(channel, []):
                self._join_lane(channel, key)
                resumed += 1
            self._resumed.add(key)
            await self._jobs.submit(INGEST, key)
        if resumed:
            log.info("resumed %d unfinished ingestion job(s) on %s", resumed, platform)
        return resumed

    def _outcome(self, key: str) -> asyncio.Future[bool]:
        outcome = self._outcomes.get(key)
        if outcome is None or outcome.done():
            outcome = asyncio.get_running_loop().create_future()
            self._outcomes[key] = outcome
        return outcome

    def _join_lane(self, channel: ChannelRef, key: str) -> None:
        lane = self._lanes.setdefault(channel, [])
        if key not in lane:
            lane.append(key)

    async def _leave_lane(self, channel: ChannelRef, key: str, indexed: bool) -> None:
        async with self._moved:
            lane = self._lanes.get(channel, [])
            if key in lane:
                lane.remove(key)
            waiting = list(enumerate(lane))[1:]
            outcome = self._outcomes.pop(key, None)
            if outcome is not None and not outcome.done():
                outcome.set_result(indexed)
            self._moved.notify_all()
        if self._on_position is not None:
            for ahead, other in waiting:
                try:
                    await self._on_position(other, ahead)
                except Exception:
                    log.warning("could not show the queue position of %s", other, exc_info=True)

    async def _run(self, key: str) -> None:
        """The scheduler's handler: wait for the channel's turn, claim, run."""
        channel, source_id = parse_job_key(key)
        chat = self._chats.get(channel.platform)
        if chat is None or self._runner is None or key in self._running:
            # Not served by this process now: the catalog keeps it for a process that is.
            return
        self._join_lane(channel, key)
        async with self._moved:
            await self._moved.wait_for(lambda: self._first(channel, key))
        if key not in self._lanes.get(channel, []) or key in self._running:
            return  # cancelled while it waited, or run by a twin submission
        task = asyncio.current_task()
        assert task is not None
        self._running[key] = task
        indexed = False
        try:
            spec = await self._claims.claim_source(
                channel, source_id, self._worker, self._stale_before()
            )
            if spec is None:
                log.info("job %s is done, gone or another process's", key)
                return
            resumed = key in self._resumed
            self._resumed.discard(key)
            indexed = await self._runner(decode_job(spec), chat, resumed)
        except asyncio.CancelledError:
            log.info("job %s stopped: its source was forgotten", key)
        finally:
            self._running.pop(key, None)
            await self._leave_lane(channel, key, indexed)

    def _stale_before(self) -> datetime:
        """Claims renewed before this moment belong to processes that are gone."""
        if self._exclusive:
            # Only this process uses the catalog: a claim not ours is a dead process's.
            return datetime.now(UTC) + timedelta(days=1)
        return datetime.now(UTC) - self._lease

    def _first(self, channel: ChannelRef, key: str) -> bool:
        lane = self._lanes.get(channel, [])
        return not lane or lane[0] == key or key not in lane

    async def _renew(self, _key: str) -> None:
        await self._claims.renew_claims(self._worker)

    async def _sweep(self, _key: str) -> None:
        """Take over the jobs of processes that stopped renewing their claims."""
        for platform in list(self._chats):
            await self._resume(datetime.now(UTC) - self._lease, platform)
