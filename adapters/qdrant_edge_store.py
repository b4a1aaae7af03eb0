"""The embedded vector store: Qdrant Edge, one shard directory per collection."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeOptimizersConfig,
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
    best_ids,
    candidate_limit,
    check_vectors,
    chunk_to_payload,
    passages_of,
    payload_to_chunk,
    payload_to_source,
)

if TYPE_CHECKING:  # a name of the type stubs only
    from qdrant_edge import ConditionType

log = logging.getLogger("ragbot.qdrant_edge")

T = TypeVar("T")

# Points outside the search index past which exact search gets slow enough to build one
# (store.index_threshold; bench/index_upkeep_bench.py).
DEFAULT_INDEX_THRESHOLD = 10_000
# Under the store's directory, where indexes are built; never a collection (a dot name).
UPKEEP_DIR = ".upkeep"
# Edge's optimize() holds the GIL from start to end (qdrant-edge-py 0.9.0), so on any thread
# of this process it would stop the event loop too: it runs in a child process, at a lower
# CPU priority, on a copy of the shard.
_OPTIMIZE_SCRIPT = """
import os, sys
from qdrant_edge import EdgeShard
try:
    os.nice(10)
except OSError:
    pass
shard = EdgeShard.load(sys.argv[1])
changed = shard.optimize()
shard.close()
print("changed" if changed else "unchanged")
"""


class QdrantEdgeStore:
    """VectorStore on Qdrant Edge shards under `data_dir`, opened lazily and kept open.

    Edge calls block, so every one of them runs on a single worker thread: the event loop
    stays free and shard access is serialised without locks. The search index of a large
    collection is built in a child process on a copy of its shard (upkeep_index), while
    the live shard keeps serving; writes made meanwhile are replayed on the copy.

    Edge keeps payload indexes as a server does (qdrant-edge-py 0.9.0): not a shard method
    but UpdateOperation.create_field_index(field, PayloadSchemaType or *IndexParams), any
    schema type (keyword, integer, float, datetime, ...), listed in info().payload_schema,
    kept on disk and through optimize(). A new shard indexes source_id, chunk_index,
    language and said_at (float); with it a one-week window on said_at is answered from the
    index, without it Edge reads every point's payload (bench/memory_bench.py --unindexed).
    Shards made before said_at was indexed are left as they are.
    """

    def __init__(
        self,
        data_dir: Path,
        max_search_threads: int = 1,
        index_threshold: int = DEFAULT_INDEX_THRESHOLD,
    ) -> None:
        if index_threshold < 1:
            raise ValueError("index_threshold must be at least 1")
        self._data_dir = data_dir
        self._max_search_threads = max_search_threads
        self._index_threshold = index_threshold
        # Touched only on the worker thread.
        self._shards: dict[str, EdgeShard] = {}
        # Collections whose index is being built: the writes made since their copy.
        self._journals: dict[str, list[UpdateOperation]] = {}
        # Points a collection held at its last build in this process.
        self._built_at: dict[str, int] = {}
        self._worker = EngineWorker("qdrant-edge")
        self._closed = False
        # Touched only on the event loop.
        self._building: set[str] = set()
        self._copying: dict[str, asyncio.Event] = {}
        self._build_lock = asyncio.Lock()
        self._builder: asyncio.subprocess.Process | None = None

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
            self._update(collection, self._open_or_create(collection, spaces), operation)

        await self._write(collection, work)

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
        if limit <= 0:
            return []
        admitted = _search_filter(language, said_between)

        def work() -> list[Passage]:
            shard = self._open_existing(collection)
            if shard is None:
                return []
            cosines: dict[object, dict[str, float]] = {}
            # Payloads (the chunk's text and all) are read for the passages returned only:
            # converting every candidate's took most of a search (1.5 ms of 1.6 for 80).
            for name, vector in query.vectors.items():
                request = QueryRequest(
                    query=Query.Nearest(list(vector), using=name),
                    filter=admitted,
                    limit=candidate_limit(limit),
                    with_payload=False,
                    with_vector=False,
                )
                for hit in shard.query(request):
                    cosines.setdefault(hit.id, {})[name] = hit.score
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
            best = best_ids(cosines, query, limit)
            payloads = {
                record.id: dict(record.payload or {})
                for record in shard.retrieve(best, with_payload=True, with_vector=False)
            }
            return passages_of(best, cosines, payloads, query)

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
            return sorted(
                path.name
                for path in self._data_dir.iterdir()
                if not path.name.startswith(".") and _has_shard(path)
            )

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
                operation = UpdateOperation.delete_points_by_filter(source_filter)
                self._update(collection, shard, operation)
            return removed

        return await self._write(collection, work)

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
            # An index being built for it is thrown away when it is done.
            self._journals.pop(collection, None)
            self._built_at.pop(collection, None)
            shard.close()
            shutil.rmtree(self._path(collection))
            return True

        return await self._write(collection, work)

    async def optimize(self, collection: str) -> bool:
        """Merge segments and build the HNSW index in place; return False when nothing changed.

        Blocking: it can take a minute on 100k points, and Edge holds the GIL throughout,
        so the whole process (its event loop too) waits. The bot uses upkeep_index instead.
        """

        def work() -> bool:
            shard = self._open_existing(collection)
            return False if shard is None else shard.optimize()

        return await self._run(work)

    async def upkeep_index(self, collection: str) -> bool:
        """Build the collection's search index in the background when it is past the size
        where exact search gets slow and has grown since the last build; True when it built one.

        The points outside the index are counted from the shard (so nothing is stored), and a
        build starts when they reach index_threshold. Searches and writes of every
        collection go on meanwhile; one build runs at a time, and a second call for a
        collection being built returns False at once.
        """
        if collection in self._building:
            return False
        self._building.add(collection)
        try:
            async with self._build_lock:
                return await self._build_index(collection)
        finally:
            self._building.discard(collection)

    async def close(self) -> None:
        """Flush and close every open shard, then stop the worker thread."""
        if self._closed:
            return
        # Refuse new work first, so nothing reopens a shard behind the final close.
        self._closed = True
        builder = self._builder
        if builder is not None and builder.returncode is None:
            builder.kill()  # the copy it works on is thrown away
        try:
            await self._worker.run(self._close_all)
        finally:
            self._worker.shutdown()

    async def _run(self, work: Callable[[], T]) -> T:
        if self._closed:
            raise RuntimeError("the vector store is closed")
        return await self._worker.run(work)

    async def _write(self, collection: str, work: Callable[[], T]) -> T:
        # While a collection's shard is being copied its writes wait (reads go on). No await
        # lies between the check and the hand-over to the worker, so a write either ran
        # before the copy's flush or waits for the copy.
        while (copied := self._copying.get(collection)) is not None:
            await copied.wait()
        return await self._run(work)

    async def _build_index(self, collection: str) -> bool:
        if not await self._run(functools.partial(self._index_due, collection)):
            return False
        upkeep = self._data_dir / UPKEEP_DIR
        build = upkeep / f"{collection}.build"
        copied = asyncio.Event()
        self._copying[collection] = copied
        try:
            if not await self._run(functools.partial(self._start_journal, collection)):
                return False
            # Reads only, off the worker: searches of this shard go on meanwhile.
            await asyncio.to_thread(_copy_shard, self._path(collection), build)
            copied.set()
            del self._copying[collection]
            changed = await self._optimize_in_child(build)
            swapped = await self._run(functools.partial(self._swap_in, collection, build))
        except BaseException as error:
            await self._abandon_build(collection, build)
            if self._closed and isinstance(error, Exception):
                return False  # closing kills the build
            raise
        finally:
            if self._copying.get(collection) is copied:
                del self._copying[collection]
            copied.set()
        await asyncio.to_thread(shutil.rmtree, upkeep / f"{collection}.old", True)
        log.info("built the search index of %s (%s)", collection, changed)
        return swapped

    async def _abandon_build(self, collection: str, build: Path) -> None:
        if not self._closed:
            await self._worker.run(functools.partial(self._journals.pop, collection, None))
        await asyncio.to_thread(shutil.rmtree, build, True)

    async def _optimize_in_child(self, path: Path) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _OPTIMIZE_SCRIPT,
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._builder = process
        try:
            out, err = await process.communicate()
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        finally:
            self._builder = None
        if process.returncode != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"building the index failed ({process.returncode}): {tail}")
        return out.decode().strip()

    # Everything below runs on the worker thread.

    def _path(self, collection: str) -> Path:
        if not collection or collection.startswith(".") or "/" in collection or "\\" in collection:
            raise ValueError(f"not a collection name: {collection!r}")
        return self._data_dir / collection

    def _update(self, collection: str, shard: EdgeShard, operation: UpdateOperation) -> None:
        shard.update(operation)
        journal = self._journals.get(collection)
        if journal is not None:
            journal.append(operation)  # replayed on the copy being indexed

    def _index_due(self, collection: str) -> bool:
        shard = self._open_existing(collection)
        if shard is None:
            return False
        info = shard.info()
        spaces = max(1, len(self._stored_sizes(self._path(collection))))
        outside = info.points_count - info.indexed_vectors_count // spaces
        # A build that indexed less than expected is not retried until the collection grows.
        grown = info.points_count - self._built_at.get(collection, 0)
        return outside >= self._index_threshold and grown >= self._index_threshold

    def _start_journal(self, collection: str) -> bool:
        shard = self._open_existing(collection)
        if shard is None:
            return False
        shard.flush()  # the copy holds every write made so far
        self._journals[collection] = []
        return True

    def _swap_in(self, collection: str, build: Path) -> bool:
        journal = self._journals.pop(collection, None)
        live = self._shards.get(collection)
        if journal is None or live is None:
            shutil.rmtree(build, ignore_errors=True)  # dropped meanwhile
            return False
        # The copy gets the writes made since it was taken before it replaces the live
        # shard, so whatever a crash leaves in place holds every write. (Edge holds the GIL
        # in load and close too: opened once more only when there is something to replay.)
        if journal:
            built = EdgeShard.load(str(build), self._load_config(build))
            try:
                for operation in journal:
                    built.update(operation)
                built.flush()
            finally:
                built.close()
        path = self._path(collection)
        old = build.with_name(f"{collection}.old")
        shutil.rmtree(old, ignore_errors=True)
        del self._shards[collection]
        live.close()
        path.rename(old)
        build.rename(path)
        try:
            shard = EdgeShard.load(str(path), self._load_config(path))
        except Exception:
            log.exception("could not open the indexed shard of %s; kept the old one", collection)
            shutil.rmtree(path, ignore_errors=True)
            old.rename(path)
            raise
        self._shards[collection] = shard
        self._built_at[collection] = shard.count(CountRequest(exact=True))
        return True

    def _open_existing(self, collection: str) -> EdgeShard | None:
        shard = self._shards.get(collection)
        if shard is not None:
            return shard
        path = self._path(collection)
        if not _has_shard(path):
            # A crash in the middle of swapping an indexed copy in leaves the old shard here.
            old = self._data_dir / UPKEEP_DIR / f"{collection}.old"
            if not _has_shard(old):
                return None
            shutil.rmtree(path, ignore_errors=True)
            old.rename(path)
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
        # Edge keeps payload indexes like a server (create_field_index, any PayloadSchemaType):
        # a window on said_at is answered from this index, not by reading every payload.
        shard.update(UpdateOperation.create_field_index("said_at", PayloadSchemaType.Float))
        self._shards[collection] = shard
        return shard

    def _config(self, sizes: dict[str, int]) -> EdgeConfig:
        vectors = {
            name: EdgeVectorParams(size=size, distance=Distance.Cosine)
            for name, size in sizes.items()
        }
        # Edge indexes a segment whose vectors of one name take more than this many KB: the
        # smallest vectors of index_threshold points, so a build indexes every name.
        indexing_kb = math.ceil(self._index_threshold * min(sizes.values()) * 4 / 1024)
        # A shard made before named vectors holds one unnamed vector.
        return EdgeConfig(
            vectors=vectors[""] if set(vectors) == {""} else vectors,
            max_search_threads=self._max_search_threads,
            optimizers=EdgeOptimizersConfig(indexing_threshold=max(1, indexing_kb)),
        )

    def _load_config(self, path: Path) -> EdgeConfig | None:
        # Edge rejects a config without vectors, and a load without config keeps the
        # max_search_threads the shard was created with. Reading the stored vector sizes
        # lets the current setting apply; if that file changes shape, load as stored.
        sizes = self._stored_sizes(path)
        return self._config(sizes) if sizes else None

    def _stored_sizes(self, path: Path) -> dict[str, int]:
        try:
            stored = json.loads((path / "edge_config.json").read_text(encoding="utf-8"))
            return {str(name): int(params["size"]) for name, params in stored["vectors"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

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


def _copy_shard(source: Path, target: Path) -> None:
    """Copy a flushed shard directory (its WAL lock stays with the original)."""
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)


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


def _search_filter(
    language: LanguageFilter | None, said_between: tuple[float, float] | None
) -> Filter | None:
    """The language filter and the window on said_at, [start, end), together."""
    must: list[ConditionType] = []
    must_not: list[ConditionType] = []
    if language is not None:
        condition = FieldCondition(key="language", match=MatchValue(language.language))
        (must_not if language.other else must).append(condition)
    if said_between is not None:
        start, end = said_between
        must.append(FieldCondition(key="said_at", range=RangeFloat(gte=start, lt=end)))
    if not must and not must_not:
        return None
    return Filter(must=must or None, must_not=must_not or None)
