"""The sources catalog: every source a channel was given, who added it and when, and
whether it is ready to answer from (or why it failed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from core.models import ChannelRef, Source


class SourceStatus(StrEnum):
    """Where a source is on its way into the channel's knowledge."""

    QUEUED = "queued"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class CatalogEntry:
    """One source of a channel as the catalog knows it."""

    source: Source
    status: SourceStatus
    added_by: str
    added_at: datetime | None  # None: indexed before the catalog existed
    chunk_count: int = 0
    reason: str | None = None  # why it failed

    def with_status(
        self, status: SourceStatus, chunk_count: int | None = None, reason: str | None = None
    ) -> CatalogEntry:
        """The entry moved on to `status`."""
        return replace(
            self,
            status=status,
            chunk_count=self.chunk_count if chunk_count is None else chunk_count,
            reason=reason,
        )


def new_entry(source: Source, added_by: str) -> CatalogEntry:
    """A source just handed to the bot."""
    return CatalogEntry(source, SourceStatus.INDEXING, added_by, datetime.now(UTC))


@dataclass
class _Claim:
    job: str
    worker: str | None
    claimed_at: datetime
    queued_at: datetime


class MemoryCatalog:
    """SourceCatalog and SourceClaims in memory (tests, and a bot without a database)."""

    def __init__(self) -> None:
        self._entries: dict[ChannelRef, dict[str, CatalogEntry]] = {}
        self._claims: dict[tuple[ChannelRef, str], _Claim] = {}

    async def record_source(self, channel: ChannelRef, entry: CatalogEntry) -> None:
        """Add or update the entry of `entry.source` (it keeps when it was first added)."""
        entries = self._entries.setdefault(channel, {})
        earlier = entries.get(entry.source.source_id)
        if earlier is not None:
            entry = replace(entry, added_at=earlier.added_at, added_by=earlier.added_by)
        entries[entry.source.source_id] = entry

    async def catalog_entries(self, channel: ChannelRef) -> list[CatalogEntry]:
        """The channel's entries, by title."""
        found = self._entries.get(channel, {}).values()
        return sorted(found, key=lambda entry: entry.source.title.casefold())

    async def remove_source(self, channel: ChannelRef, source_id: str) -> None:
        """Drop one entry."""
        self._entries.get(channel, {}).pop(source_id, None)
        self._claims.pop((channel, source_id), None)

    async def channels_with_source(
        self, platform: str, workspace: str, source_id: str
    ) -> list[ChannelRef]:
        """The channels of a workspace whose catalog holds `source_id`."""
        return [
            channel
            for channel, entries in self._entries.items()
            if (channel.platform, channel.workspace) == (platform, workspace)
            and source_id in entries
        ]

    async def clear_sources(self, channel: ChannelRef) -> None:
        """Drop every entry of the channel."""
        self._entries.pop(channel, None)
        for key in [key for key in self._claims if key[0] == channel]:
            del self._claims[key]

    async def queue_source(
        self, channel: ChannelRef, entry: CatalogEntry, job: str, worker: str
    ) -> None:
        """Record `entry` as queued with `job`, claimed by `worker`."""
        await self.record_source(channel, entry.with_status(SourceStatus.QUEUED))
        now = datetime.now(UTC)
        self._claims[(channel, entry.source.source_id)] = _Claim(job, worker, now, now)

    async def claim_source(
        self, channel: ChannelRef, source_id: str, worker: str, stale_before: datetime
    ) -> str | None:
        """Take the source's job for `worker` (see SourceClaims)."""
        claim = self._claims.get((channel, source_id))
        entry = self._entries.get(channel, {}).get(source_id)
        if claim is None or entry is None or entry.status not in UNFINISHED:
            return None
        if claim.worker not in {None, worker} and claim.claimed_at >= stale_before:
            return None
        claim.worker, claim.claimed_at = worker, datetime.now(UTC)
        self._entries[channel][source_id] = entry.with_status(SourceStatus.INDEXING)
        return claim.job

    async def renew_claims(self, worker: str) -> None:
        """Keep `worker`'s claims fresh."""
        now = datetime.now(UTC)
        for claim in self._claims.values():
            if claim.worker == worker:
                claim.claimed_at = now

    async def finish_source(self, channel: ChannelRef, entry: CatalogEntry, worker: str) -> bool:
        """Record the outcome when `worker` still holds the job."""
        claim = self._claims.get((channel, entry.source.source_id))
        if claim is None or claim.worker != worker:
            return False
        del self._claims[(channel, entry.source.source_id)]
        await self.record_source(channel, entry)
        return True

    async def unfinished_sources(self, stale_before: datetime) -> list[tuple[ChannelRef, str]]:
        """Queued or indexing sources free to resume, oldest first."""
        found = [
            (claim.queued_at, channel, source_id)
            for (channel, source_id), claim in self._claims.items()
            if claim.worker is None or claim.claimed_at < stale_before
        ]
        return [(channel, source_id) for _, channel, source_id in sorted(found, key=_first)]


UNFINISHED = frozenset({SourceStatus.QUEUED, SourceStatus.INDEXING})


def _first(item: tuple[datetime, ChannelRef, str]) -> datetime:
    return item[0]
