"""A channel's indexed sources: list them, forget one, reset the channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.catalog import CatalogEntry, MemoryCatalog, SourceStatus
from core.models import ChannelRef
from core.naming import CollectionPurpose, base_of, collection_base, collection_name
from core.ports import SourceCatalog, VectorStore


@dataclass(frozen=True)
class ForgetResult:
    """What `forget` found: the removed source, or the candidates when the query was ambiguous."""

    removed: CatalogEntry | None
    removed_chunks: int
    candidates: list[CatalogEntry]


ALL_PURPOSES = tuple(CollectionPurpose)


class JobStopper(Protocol):
    """Stops ingestion jobs, so a forgotten source is not written back by its job."""

    async def cancel(self, channel: ChannelRef, source_id: str) -> bool:
        """Stop the source's job, queued or running."""
        ...

    async def cancel_channel(self, channel: ChannelRef) -> None:
        """Stop every job of the channel."""
        ...


class ChannelLibrary:
    """The sources a channel has indexed, as the user manages them."""

    def __init__(
        self, store: VectorStore, space_key: str, catalog: SourceCatalog | None = None
    ) -> None:
        self._store = store
        self._space_key = space_key
        self._catalog = catalog or MemoryCatalog()
        self._jobs: JobStopper | None = None

    def stop_jobs_with(self, jobs: JobStopper) -> None:
        """Stop a source's ingestion job before the source is removed."""
        self._jobs = jobs

    @property
    def catalog(self) -> SourceCatalog:
        """Where sources are recorded as they are indexed."""
        return self._catalog

    def _documents(self, channel: ChannelRef) -> str:
        return collection_name(channel, CollectionPurpose.DOCUMENTS, self._space_key)

    async def sources(self, channel: ChannelRef) -> list[CatalogEntry]:
        """Every source of the channel, by title: the catalog's entries (failed ones too),
        and sources the store holds from before the catalog, as ready."""
        entries = {
            entry.source.source_id: entry for entry in await self._catalog.catalog_entries(channel)
        }
        for summary in await self._store.list_sources(self._documents(channel)):
            known = entries.get(summary.source.source_id)
            if known is None:
                entries[summary.source.source_id] = CatalogEntry(
                    summary.source, SourceStatus.READY, "", None, summary.chunk_count
                )
            elif known.status is SourceStatus.READY:
                # The store counts what is searchable.
                entries[summary.source.source_id] = known.with_status(
                    SourceStatus.READY, summary.chunk_count
                )
        return sorted(entries.values(), key=lambda entry: entry.source.title.casefold())

    async def forget(self, channel: ChannelRef, query: str) -> ForgetResult:
        """Remove the source `query` names: its number in `sources`, its title or its id."""
        sources = await self.sources(channel)
        candidates = _match(sources, query.strip())
        if len(candidates) != 1:
            return ForgetResult(removed=None, removed_chunks=0, candidates=candidates)
        target = candidates[0]
        removed = await self.remove_source(channel, target.source.source_id)
        return ForgetResult(removed=target, removed_chunks=removed, candidates=candidates)

    async def remove_source(self, channel: ChannelRef, source_id: str) -> int:
        """Remove one source by id (stopping its ingestion job first), its chunks and its
        catalog entry; return the chunks."""
        if self._jobs is not None:
            await self._jobs.cancel(channel, source_id)
        removed = await self._store.delete_source(self._documents(channel), source_id)
        await self._catalog.remove_source(channel, source_id)
        return removed

    async def reset(
        self, channel: ChannelRef, purposes: tuple[CollectionPurpose, ...] = ALL_PURPOSES
    ) -> int:
        """Drop the channel's collections of `purposes` (by default sources and memory),
        whatever embedder made them; return how many sources the channel had."""
        sources = CollectionPurpose.DOCUMENTS in purposes
        count = len(await self.sources(channel))
        if sources and self._jobs is not None:
            await self._jobs.cancel_channel(channel)
        bases = {collection_base(channel, purpose) for purpose in purposes}
        for name in await self._store.collections():
            if base_of(name) in bases:
                await self._store.drop(name)
        if sources:
            await self._catalog.clear_sources(channel)
        return count


def _match(sources: list[CatalogEntry], query: str) -> list[CatalogEntry]:
    if query.isdigit():
        number = int(query)
        return [sources[number - 1]] if 1 <= number <= len(sources) else []
    folded = query.casefold()
    exact = [
        item
        for item in sources
        if folded in (item.source.title.casefold(), item.source.source_id.casefold())
        or (item.source.url or "").casefold() == folded
    ]
    if exact:
        return exact
    return [item for item in sources if folded in item.source.title.casefold()]
