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


class MemoryCatalog:
    """SourceCatalog in memory (tests, and a bot without a database)."""

    def __init__(self) -> None:
        self._entries: dict[ChannelRef, dict[str, CatalogEntry]] = {}

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
