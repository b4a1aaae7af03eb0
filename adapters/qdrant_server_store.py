"""A Qdrant server (or cluster) as the vector store, through qdrant-client's async API."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from qdrant_client import AsyncQdrantClient, models

from core.models import (
    Chunk,
    LanguageFilter,
    Passage,
    QueryVectors,
    SourceSummary,
    StoredPoint,
    VectorSpace,
)
from core.payload import (
    SOURCE_KEYS,
    best_passages,
    candidate_limit,
    check_vectors,
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

    async def upsert(
        self, collection: str, spaces: Sequence[VectorSpace], points: Sequence[StoredPoint]
    ) -> None:
        """Insert or replace points, creating the collection with `spaces` on first use."""
        check_vectors(points, spaces)
        if not points:
            return
        await self._ensure_collection(collection, spaces)
        structs = [
            models.PointStruct(
                id=p.point_id,
                vector={name: list(vector) for name, vector in p.vectors.items()},
                payload=chunk_to_payload(p.chunk),
            )
            for p in points
        ]
        await self._client.upsert(collection_name=collection, points=structs, wait=True)

    async def search(
        self,
        collection: str,
        query: QueryVectors,
        limit: int,
        language: LanguageFilter | None = None,
        *,
        said_between: tuple[float, float] | None = None,
    ) -> list[Passage]:
        """Return up to `limit` passages by the weighted mean of their cosines, best first;
        `said_between` keeps those said in [start, end) (a range on the indexed said_at)."""
        if limit <= 0 or not await self._client.collection_exists(collection):
            return []
        admitted = _search_filter(language, said_between)
        cosines: dict[models.ExtendedPointId, dict[str, float]] = {}
        payloads: dict[models.ExtendedPointId, dict[str, object]] = {}
        for name, vector in query.vectors.items():
            response = await self._client.query_points(
                collection_name=collection,
                query=list(vector),
                using=name,
                query_filter=admitted,
                limit=candidate_limit(limit),
                with_payload=True,
                with_vectors=False,
            )
            for hit in response.points:
                cosines.setdefault(hit.id, {})[name] = hit.score
                payloads[hit.id] = dict(hit.payload or {})
        # A candidate one space proposed is scored exactly in the others too.
        for name, vector in query.vectors.items():
            missing = [point_id for point_id, by in cosines.items() if name not in by]
            if not missing:
                continue
            response = await self._client.query_points(
                collection_name=collection,
                query=list(vector),
                using=name,
                query_filter=models.Filter(must=[models.HasIdCondition(has_id=missing)]),
                limit=len(missing),
                with_payload=False,
                with_vectors=False,
            )
            for hit in response.points:
                cosines[hit.id][name] = hit.score
        return best_passages(cosines, payloads, query, limit)

    async def chunks(self, collection: str, source_id: str, first: int, last: int) -> list[Chunk]:
        """The chunks of one source whose index lies in [first, last], in order."""
        if last < first or not await self._client.collection_exists(collection):
            return []
        window = models.Filter(
            must=[
                models.FieldCondition(key="source_id", match=models.MatchValue(value=source_id)),
                models.FieldCondition(key="chunk_index", range=models.Range(gte=first, lte=last)),
            ]
        )
        records, _ = await self._client.scroll(
            collection_name=collection,
            scroll_filter=window,
            limit=last - first + 1,
            with_payload=True,
            with_vectors=False,
        )
        found = [payload_to_chunk(record.payload or {}) for record in records]
        return sorted(found, key=lambda chunk: chunk.index)

    async def all_chunks(self, collection: str) -> list[Chunk]:
        """Every chunk of the collection, read page by page."""
        if not await self._client.collection_exists(collection):
            return []
        found: list[Chunk] = []
        offset = None
        while True:
            records, offset = await self._client.scroll(
                collection_name=collection,
                limit=256,
                offset=offset,
                with_payload=True,
                with_vectors=False,
            )
            found.extend(payload_to_chunk(record.payload or {}) for record in records)
            if offset is None:
                return found

    async def collections(self) -> list[str]:
        """Every collection on the server."""
        response = await self._client.get_collections()
        return sorted(item.name for item in response.collections)

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

    async def delete_source(self, collection: str, source_id: str, from_index: int = 0) -> int:
        """Delete the chunks of one source from `from_index` on; return how many."""
        if not await self._client.collection_exists(collection):
            return 0
        source_filter = _source_filter(source_id, from_index)
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

    async def _ensure_collection(self, collection: str, spaces: Sequence[VectorSpace]) -> None:
        if collection in self._known:
            return
        async with self._create_lock:
            if not await self._client.collection_exists(collection):
                await self._client.create_collection(
                    collection_name=collection,
                    vectors_config={
                        space.name: models.VectorParams(
                            size=space.dimension, distance=models.Distance.COSINE
                        )
                        for space in spaces
                    },
                )
                for field, schema in (
                    ("source_id", models.PayloadSchemaType.KEYWORD),
                    ("language", models.PayloadSchemaType.KEYWORD),
                    ("chunk_index", models.PayloadSchemaType.INTEGER),
                    ("said_at", models.PayloadSchemaType.FLOAT),
                ):
                    await self._client.create_payload_index(
                        collection_name=collection,
                        field_name=field,
                        field_schema=schema,
                        wait=True,
                    )
            self._known.add(collection)


def _source_filter(source_id: str, from_index: int = 0) -> models.Filter:
    source = models.FieldCondition(key="source_id", match=models.MatchValue(value=source_id))
    if from_index <= 0:
        return models.Filter(must=[source])
    index = models.FieldCondition(key="chunk_index", range=models.Range(gte=from_index))
    return models.Filter(must=[source, index])


def _search_filter(
    language: LanguageFilter | None, said_between: tuple[float, float] | None
) -> models.Filter | None:
    """The language filter and the window on said_at, [start, end), together."""
    must: list[models.Condition] = []
    must_not: list[models.Condition] = []
    if language is not None:
        condition = models.FieldCondition(
            key="language", match=models.MatchValue(value=language.language)
        )
        (must_not if language.other else must).append(condition)
    if said_between is not None:
        start, end = said_between
        window = models.Range(gte=start, lt=end)
        must.append(models.FieldCondition(key="said_at", range=window))
    if not must and not must_not:
        return None
    return models.Filter(must=must or None, must_not=must_not or None)
