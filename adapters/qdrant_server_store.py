"""A Qdrant server (or cluster) as the vector store, through qdrant-client's async API."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from qdrant_client import AsyncQdrantClient, models

from core.models import Passage, SourceSummary, StoredPoint
from core.payload import (
    SOURCE_KEYS,
    check_dimension,
    chunk_to_payload,
    payload_to_chunk,
    payload_to_source,
)


class QdrantServerStore:
    """VectorStore on a Qdrant server: one collection per name, cosine, same payloads as Edge."""

    def __init__(self, client: AsyncQdrantClient) -> None:
        self._client = client
        self._known: set[str] = set()
        # Two first upserts racing to create one collection: the second would be refused.
        self._create_lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, api_key: str | None, timeout: float) -> QdrantServerStore:
        """Connect to the server at `url`; `timeout` is in seconds."""
        client = AsyncQdrantClient(url=url, api_key=api_key, timeout=max(1, math.ceil(timeout)))
        return cls(client)

    async def upsert(self, collection: str, dimension: int, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points, creating the collection on first use."""
        check_dimension(points, dimension)
        if not points:
            return
        await self._ensure_collection(collection, dimension)
        structs = [
            models.PointStruct(
                id=p.point_id, vector=list(p.vector), payload=chunk_to_payload(p.chunk)
            )
            for p in points
        ]
        await self._client.upsert(collection_name=collection, points=structs, wait=True)

    async def search(self, collection: str, vector: Sequence[float], limit: int) -> list[Passage]:
        """Return up to `limit` passages, most similar first (score = cosine similarity)."""
        if limit <= 0 or not await self._client.collection_exists(collection):
            return []
        response = await self._client.query_points(
            collection_name=collection,
            query=list(vector),
            limit=limit,
            with_payload=True,
            with_vectors=False,
        )
        return [
            Passage(chunk=payload_to_chunk(hit.payload or {}), score=hit.score)
            for hit in response.points
        ]

    async def list_sources(self, collection: str) -> list[SourceSummary]:
        """Return every source with its chunk count, ordered by title."""
        total = await self.count(collection)
        if total == 0:
            return []
        # The point count bounds the number of distinct sources.
        facet = await self._client.facet(
            collection_name=collection, key="source_id", limit=total, exact=True
        )
        summaries = []
        for hit in facet.hits:
            records, _ = await self._client.scroll(
                collection_name=collection,
                scroll_filter=_source_filter(str(hit.value)),
                limit=1,
                with_payload=list(SOURCE_KEYS),
                with_vectors=False,
            )
            if records:
                source = payload_to_source(records[0].payload or {})
                summaries.append(SourceSummary(source=source, chunk_count=hit.count))
        return sorted(summaries, key=lambda s: (s.source.title.casefold(), s.source.source_id))

    async def delete_source(self, collection: str, source_id: str) -> int:
        """Delete every chunk of one source; return how many were removed."""
        if not await self._client.collection_exists(collection):
            return 0
        source_filter = _source_filter(source_id)
        counted = await self._client.count(
            collection_name=collection, count_filter=source_filter, exact=True
        )
        if counted.count:
            await self._client.delete(
                collection_name=collection,
                points_selector=models.FilterSelector(filter=source_filter),
                wait=True,
            )
        return counted.count

    async def count(self, collection: str) -> int:
        """Return how many points the collection holds (0 when it does not exist)."""
        if not await self._client.collection_exists(collection):
            return 0
        counted = await self._client.count(collection_name=collection, exact=True)
        return counted.count

    async def drop(self, collection: str) -> bool:
        """Delete the whole collection; return False when it did not exist."""
        self._known.discard(collection)
        if not await self._client.collection_exists(collection):
            return False
        return await self._client.delete_collection(collection_name=collection)

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def _ensure_collection(self, collection: str, dimension: int) -> None:
        if collection in self._known:
            return
        async with self._create_lock:
            if not await self._client.collection_exists(collection):
                await self._client.create_collection(
                    collection_name=collection,
                    vectors_config=models.VectorParams(
                        size=dimension, distance=models.Distance.COSINE
                    ),
                )
                await self._client.create_payload_index(
                    collection_name=collection,
                    field_name="source_id",
                    field_schema=models.PayloadSchemaType.KEYWORD,
                    wait=True,
                )
            self._known.add(collection)


def _source_filter(source_id: str) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key="source_id", match=models.MatchValue(value=source_id))]
    )
