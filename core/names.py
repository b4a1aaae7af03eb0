"""What each collection's sources say in words: their proper names, for bridging a query's
names across scripts, and how rare each word is, for weighing the words a question shares
with a passage."""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    what the channel holds, after a restart too.
    """

    def __init__(
        self, store: VectorStore, bridge: NameBridge, analyser: WordAnalyser | None = None
    ) -> None:
        self._store = store
        self._bridge = bridge
        self._analyser = analyser
        self._cached: dict[str, _Vocabulary] = {}

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
        if cached is None or cached.count != count:
            chunks = await self._store.all_chunks(collection)
            texts = [chunk.embedded_text for chunk in chunks]
            titles = sorted({chunk.source.title for chunk in chunks})
            names = frozenset(self._bridge.names_in(texts + titles))
            cached = _Vocabulary(count, names, TermStatistics(texts, self._analyser))
            self._cached[collection] = cached
        return cached
