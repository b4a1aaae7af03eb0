"""The embedded vector store: Qdrant Edge, one shard directory per collection."""

from __future__ import annotations

import functools
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeVectorParams,
    FacetRequest,
    FieldCondition,
    Filter,
    HasIdCondition,
    MatchValue,
    PayloadSchemaType,
    PayloadSelector,
    Point,
    Query,
    QueryRequest,
    RangeFloat,
    ScrollRequest,
    UpdateOperation,
)

from core.blocking import EngineWorker
from core.errors import UserFacingError
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

log = logging.getLogger("ragbot.qdrant_edge")

T = TypeVar("T")


class QdrantEdgeStore:
    """VectorStore on Qdrant Edge shards under `data_dir`, opened lazily and kept open.

    Edge calls block, so every one of them runs on a single worker thread: the event loop
    stays free and shard access is serialised without locks.
    """

    def __init__(self, data_dir: Path, max_search_threads: int = 1) -> None:
        self._data_dir = data_dir
        self._max_search_threads = max_search_threads
        # Touched only on the worker thread.
        self._shards: dict[str, EdgeShard] = {}
        self._worker = EngineWorker("qdrant-edge")
        self._closed = False

    async def upsert(
        self, collection: str, spaces: Sequence[VectorSpace], points: Sequence[StoredPoint]
    ) -> None:
        """Insert or replace points, creating the shard with `spaces` on first use."""
        check_vectors(points, spaces)
        if not points:
            return

        def work() -> None:
            # Building Edge points copies every vector into Rust: worker-thread work too.
            edge_points = [
                Point(
                    p.point_id,
                    {name: list(vector) for name, vector in p.vectors.items()},
                    chunk_to_payload(p.chunk),
                )
                for p in points
            ]
            operation = UpdateOperation.upsert_points(edge_points)
            self._open_or_create(collection, spaces).update(operation)

        await self._run(work)

    async def search(
        self,
        collection: str,
        query: QueryVectors,
        limit: int,
        language: LanguageFilter | None = None,
    ) -> list[Passage]:
        """Return up to `limit` passages by the weighted mean of their cosines, best first."""
        if limit <= 0:
            return []
        admitted = _language_filter(language)

        def work() -> list[Passage]:
            shard = self._open_existing(collection)
            if shard is None:
                return []
            cosines: dict[object, dict[str, float]] = {}
            payloads: dict[object, dict[str, object]] = {}
            for name, vector in query.vectors.items():
                request = QueryRequest(
                    query=Query.Nearest(list(vector), using=name),
                    filter=admitted,
                    limit=candidate_limit(limit),
                    with_payload=True,
                    with_vector=False,
                )
                for hit in shard.query(request):
                    cosines.setdefault(hit.id, {})[name] = hit.score
                    payloads[hit.id] = dict(hit.payload or {})
            # A candidate one space proposed is scored exactly in the others too.
            for name, vector in query.vectors.items():
                missing = {point_id for point_id, by in cosines.items() if name not in by}
                if not missing:
                    continue
                request = QueryRequest(
                    query=Query.Nearest(list(vector), using=name),
                    filter=Filter(must=[HasIdCondition(missing)]),  # type: ignore[arg-type]
                    limit=len(missing),
                    with_payload=False,
                    with_vector=False,
                )
                for hit in shard.query(request):
                    cosines[hit.id][name] = hit.score
            return best_passages(cosines, payloads, query, limit)

        return await self._run(work)

    async def chunks(self, collection: str, source_id: str, first: int, last: int) -> list[Chunk]:
        """The chunks of one source whose index lies in [first, last], in order."""
        if last < first:
            return []
        window = Filter(
            must=[
                FieldCondition(key="source_id", match=MatchValue(source_id)),
                FieldCondition(key="chunk_index", range=RangeFloat(gte=first, lte=last)),
            ]
        )

        def work() -> list[Chunk]:
            shard = self._open_existing(collection)
            if shard is None:
                return []
            records, _ = shard.scroll(
                ScrollRequest(
                    limit=last - first + 1, filter=window, with_payload=True, with_vector=False
                )
            )
            found = [payload_to_chunk(record.payload or {}) for record in records]
            return sorted(found, key=lambda chunk: chunk.index)

        return await self._run(work)

    async def all_chunks(self, collection: str) -> list[Chunk]:
        """Every chunk of the collection, read page by page."""

        def work() -> list[Chunk]:
            shard = self._open_existing(collection)
            if shard is None:
                return []
            found: list[Chunk] = []
            offset = None
            while True:
                records, offset = shard.scroll(
                    ScrollRequest(limit=256, offset=offset, with_payload=True, with_vector=False)
                )
                found.extend(payload_to_chunk(record.payload or {}) for record in records)
                if offset is None:
                    return found

        return await self._run(work)

    async def collections(self) -> list[str]:
        """Every shard directory under the data directory."""

        def work() -> list[str]:
            if not self._data_dir.is_dir():
                return []
            return sorted(path.name for path in self._data_dir.iterdir() if _has_shard(path))

        return await self._run(work)

    async def list_sources(self, collection: str) -> list[SourceSummary]:
        """Return every source with its chunk count, ordered by title."""

        def work() -> list[SourceSummary]:
            shard = self._open_existing(collection)
            if shard is None:
                return []
            total = shard.count(CountRequest(exact=True))
            if total == 0:
                return []
            # Facet counts come from the keyword index on source_id; each source's title and
            # kind then come from one of its points. The point count bounds the source count.
            facet = shard.facet(FacetRequest(key="source_id", limit=total, exact=True))
            summaries = []
            for hit in facet.hits:
                records, _ = shard.scroll(
                    ScrollRequest(
                        limit=1,
                        filter=_source_filter(str(hit.value)),
                        with_payload=PayloadSelector.Include(list(SOURCE_KEYS)),
                        with_vector=False,
                    )
                )
                if records:
                    source = payload_to_source(records[0].payload or {})
                    summaries.append(SourceSummary(source=source, chunk_count=hit.count))
            return sorted(summaries, key=lambda s: (s.source.title.casefold(), s.source.source_id))

        return await self._run(work)

    async def delete_source(self, collection: str, source_id: str, from_index: int = 0) -> int:
        """Delete the chunks of one source from `from_index` on; return how many."""
        source_filter = _source_filter(source_id, from_index)

        def work() -> int:
            shard = self._open_existing(collection)
            if shard is None:
                return 0
            removed = shard.count(CountRequest(exact=True, filter=source_filter))
            if removed:
                shard.update(UpdateOperation.delete_points_by_filter(source_filter))
            return removed

        return await self._run(work)

    async def count(self, collection: str) -> int:
        """Return how many points the collection holds (0 when it does not exist)."""

        def work() -> int:
            shard = self._open_existing(collection)
            return 0 if shard is None else shard.count(CountRequest(exact=True))

        return await self._run(work)

    async def drop(self, collection: str) -> bool:
        """Close the shard and delete its directory; return False when it did not exist."""

        def work() -> bool:
            # Opening first takes the shard's lock, so a shard another process holds open
            # is reported instead of being deleted under it.
            shard = self._open_existing(collection)
            if shard is None:
                return False
            del self._shards[collection]
            shard.close()
            shutil.rmtree(self._path(collection))
            return True

        return await self._run(work)

    async def optimize(self, collection: str) -> bool:
        """Merge segments and build the HNSW index; return False when nothing changed.

        Off the hot path: it can take a minute on 100k points, and every other call on this
        store waits for it meanwhile.
        """

        def work() -> bool:
            shard = self._open_existing(collection)
            return False if shard is None else shard.optimize()

        return await self._run(work)

    async def close(self) -> None:
        """Flush and close every open shard, then stop the worker thread."""
        if self._closed:
            return
        # Refuse new work first, so nothing reopens a shard behind the final close.
        self._closed = True
        try:
            await self._worker.run(self._close_all)
        finally:
            self._worker.shutdown()

    async def _run(self, work: Callable[[], T]) -> T:
        if self._closed:
            raise RuntimeError("the vector store is closed")
        return await self._worker.run(work)

    # Everything below runs on the worker thread.

    def _path(self, collection: str) -> Path:
        if not collection or collection in (".", "..") or "/" in collection or "\\" in collection:
            raise ValueError(f"not a collection name: {collection!r}")
        return self._data_dir / collection

    def _open_existing(self, collection: str) -> EdgeShard | None:
        shard = self._shards.get(collection)
        if shard is not None:
            return shard
        path = self._path(collection)
        if not _has_shard(path):
            return None
        shard = _open_shard(functools.partial(EdgeShard.load, str(path), self._load_config(path)))
        self._shards[collection] = shard
        return shard

    def _open_or_create(self, collection: str, spaces: Sequence[VectorSpace]) -> EdgeShard:
        shard = self._open_existing(collection)
        if shard is not None:
            return shard
        path = self._path(collection)
        path.parent.mkdir(parents=True, exist_ok=True)
        sizes = {space.name: space.dimension for space in spaces}
        shard = _open_shard(functools.partial(EdgeShard.create, str(path), self._config(sizes)))
        shard.update(UpdateOperation.create_field_index("source_id", PayloadSchemaType.Keyword))
        shard.update(UpdateOperation.create_field_index("chunk_index", PayloadSchemaType.Integer))
        shard.update(UpdateOperation.create_field_index("language", PayloadSchemaType.Keyword))
        self._shards[collection] = shard
        return shard

    def _config(self, sizes: dict[str, int]) -> EdgeConfig:
        vectors = {
            name: EdgeVectorParams(size=size, distance=Distance.Cosine)
            for name, size in sizes.items()
        }
        # A shard made before named vectors holds one unnamed vector.
        return EdgeConfig(
            vectors=vectors[""] if set(vectors) == {""} else vectors,
            max_search_threads=self._max_search_threads,
        )

    def _load_config(self, path: Path) -> EdgeConfig | None:
        # Edge rejects a config without vectors, and a load without config keeps the
        # max_search_threads the shard was created with. Reading the stored vector sizes
        # lets the current setting apply; if that file changes shape, load as stored.
        try:
            stored = json.loads((path / "edge_config.json").read_text(encoding="utf-8"))
            sizes = {str(name): int(params["size"]) for name, params in stored["vectors"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return self._config(sizes) if sizes else None

    def _close_all(self) -> None:
        first_error: Exception | None = None
        for collection, shard in list(self._shards.items()):
            try:
                shard.flush()
                shard.close()
            except Exception as error:
                log.exception("could not close the shard for %s", collection)
                first_error = first_error or error
        self._shards.clear()
        if first_error is not None:
            raise first_error


def _has_shard(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _source_filter(source_id: str, from_index: int = 0) -> Filter:
    source = FieldCondition(key="source_id", match=MatchValue(source_id))
    if from_index <= 0:
        return Filter(must=[source])
    return Filter(
        must=[source, FieldCondition(key="chunk_index", range=RangeFloat(gte=from_index))]
    )


def _open_shard(open_it: Callable[[], EdgeShard]) -> EdgeShard:
    try:
        return open_it()
    except Exception as error:
        # Edge reports a WAL locked by another process only through its message text.
        if "WouldBlock" in str(error):
            raise UserFacingError("store_locked") from error
        raise


def _language_filter(language: LanguageFilter | None) -> Filter | None:
    if language is None:
        return None
    condition = FieldCondition(key="language", match=MatchValue(language.language))
    return Filter(must_not=[condition]) if language.other else Filter(must=[condition])
