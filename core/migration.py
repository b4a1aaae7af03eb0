"""Collections made with other vectors are re-embedded into the current embedder's own.

A collection's name carries the key of the vectors it holds (core.naming), so the current
embedder never reads another's vectors: a channel whose sources sit in a collection of an
earlier embedder (or of the single-vector layout before named vectors) has them re-embedded
from their stored text into the current collection, then the old one is dropped. Writing
is idempotent (a chunk keeps its point id), so a migration cut short by a crash simply runs
again: nothing is lost, nothing doubled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.embeddings import EmbeddingSet
from core.ingestion import embed_chunks
from core.models import ChannelRef
from core.naming import CollectionPurpose, base_of, collection_base, with_space_key
from core.ports import VectorStore

log = logging.getLogger("ragbot.migration")
Progress = Callable[[int, int], Awaitable[None]]


class CollectionMigrator:
    """Brings a channel's collections to the current embedder, once per process."""

    def __init__(self, store: VectorStore, embeddings: EmbeddingSet, batch_size: int = 32) -> None:
        self._store = store
        self._embeddings = embeddings
        self._batch_size = batch_size
        self._current: set[str] = set()

    def _moves(self, names: list[str]) -> list[tuple[str, str]]:
        """(old, new) for every collection of ours that holds another embedder's vectors."""
        moves = []
        for name in names:
            base = base_of(name)
            if base is None:
                continue
            target = with_space_key(base, self._embeddings.key)
            if name != target:
                moves.append((name, target))
        return moves

    async def pending(self, channel: ChannelRef) -> list[tuple[str, str]]:
        """(old, new) collection names of `channel` still to migrate."""
        bases = {collection_base(channel, purpose) for purpose in CollectionPurpose}
        targets = {with_space_key(base, self._embeddings.key) for base in bases}
        if targets <= self._current:
            return []
        moves = [
            (old, new)
            for old, new in self._moves(await self._store.collections())
            if base_of(old) in bases
        ]
        if not moves:
            self._current.update(targets)
        return moves

    async def migrate_all(self, progress: Progress | None = None) -> list[tuple[str, str]]:
        """Migrate every collection in the store that another embedder made."""
        moves = self._moves(await self._store.collections())
        for old, new in moves:
            await self.migrate(old, new, progress)
        return moves

    async def migrate(self, old: str, new: str, progress: Progress | None = None) -> int:
        """Re-embed every chunk of `old` into `new`, then drop `old`; return the chunk count."""
        chunks = await self._store.all_chunks(old)
        log.info("re-embedding %d chunks of %s into %s", len(chunks), old, new)
        written = 0
        for start in range(0, len(chunks), self._batch_size * 8):
            part = chunks[start : start + self._batch_size * 8]
            points = await embed_chunks(self._embeddings, part, self._batch_size)
            await self._store.upsert(new, self._embeddings.spaces, points)
            written += len(points)
            if progress is not None:
                await progress(written, len(chunks))
        await self._store.drop(old)
        self._current.add(new)
        return written
