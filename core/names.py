"""What each collection's sources say in words: their proper names, for bridging a query's
names across scripts, and how rare each word is, for weighing the words a question shares
with a passage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Chunk
from core.ports import NameBridge, VectorStore, WordAnalyser
from core.terms import TermStatistics

log = logging.getLogger("ragbot.names")


@dataclass(frozen=True)
class _Vocabulary:
    count: int
    names: frozenset[str]  # frozen: a bridge may keep work per names set
    terms: TermStatistics


class ChannelVocabulary:
    """Bridges queries to the names a collection's sources hold, and knows its words.

    Both are read from the stored chunks on first use and read again whenever the
    collection's point count changes (a source indexed or forgotten), so they always match
    what the channel holds, after a restart too. They are worked out in a thread (a large
    channel's words take seconds to analyse, which would stall every other conversation),
    once for questions asked meanwhile.
    """

    def __init__(
        self, store: VectorStore, bridge: NameBridge, analyser: WordAnalyser | None = None
    ) -> None:
        self._store = store
        self._bridge = bridge
        self._analyser = analyser
        self._cached: dict[str, _Vocabulary] = {}
        self._building: dict[str, asyncio.Lock] = {}

    async def read(self, collection: str, query: str) -> tuple[str, TermStatistics | None]:
        """`query` with its names in the script `collection`'s sources use, and how rare
        each word is among the collection's chunks (None while it is empty); one lookup."""
        vocabulary = await self._vocabulary(collection)
        if vocabulary is None:
            return query, None
        bridged = self._bridge.bridge(query, vocabulary.names)
        if bridged != query:
            log.info("query names bridged: %r -> %r", query, bridged)
        return bridged, vocabulary.terms

    async def _vocabulary(self, collection: str) -> _Vocabulary | None:
        count = await self._store.count(collection)
        if count == 0:
            return None
        cached = self._cached.get(collection)
        if cached is not None and cached.count == count:
            return cached
        async with self._building.setdefault(collection, asyncio.Lock()):
            cached = self._cached.get(collection)
            if cached is None or cached.count != count:
                chunks = await self._store.all_chunks(collection)
                cached = await asyncio.to_thread(self._worked_out, count, chunks)
                self._cached[collection] = cached
        return cached

    def _worked_out(self, count: int, chunks: Sequence[Chunk]) -> _Vocabulary:
        texts = [chunk.embedded_text for chunk in chunks]
        titles = sorted({chunk.source.title for chunk in chunks})
        names = frozenset(self._bridge.names_in(texts + titles))
        return _Vocabulary(count, names, TermStatistics(texts, self._analyser))
