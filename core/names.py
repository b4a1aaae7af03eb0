"""The proper names of each collection, for bridging a query's names across scripts."""

from __future__ import annotations

import logging

from core.ports import NameBridge, VectorStore

log = logging.getLogger("ragbot.names")


class ChannelNames:
    """Bridges queries to the names a collection's sources hold.

    The names are read from the stored chunks on first use and read again whenever the
    collection's point count changes (a source indexed or forgotten), so they always match
    what the channel holds, after a restart too.
    """

    def __init__(self, store: VectorStore, bridge: NameBridge) -> None:
        self._store = store
        self._bridge = bridge
        self._names: dict[str, tuple[int, set[str]]] = {}

    async def bridge(self, collection: str, query: str) -> str:
        """`query` with its names in the script `collection`'s sources use."""
        count = await self._store.count(collection)
        if count == 0:
            return query
        cached = self._names.get(collection)
        if cached is None or cached[0] != count:
            chunks = await self._store.all_chunks(collection)
            texts = [chunk.embedded_text for chunk in chunks]
            texts += sorted({chunk.source.title for chunk in chunks})
            cached = (count, self._bridge.names_in(texts))
            self._names[collection] = cached
        bridged = self._bridge.bridge(query, cached[1])
        if bridged != query:
            log.info("query names bridged: %r -> %r", query, bridged)
        return bridged
