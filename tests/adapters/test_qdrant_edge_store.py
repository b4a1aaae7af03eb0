"""QdrantEdgeStore: the shared contract, plus durability, locking and threading on Edge."""

from __future__ import annotations

import asyncio
import math
import random
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from qdrant_edge import EdgeShard, PayloadSchemaType

import adapters.qdrant_edge_store as edge_module
from adapters.qdrant_edge_store import UPKEEP_DIR, QdrantEdgeStore
from core.errors import UserFacingError
from core.models import Chunk, LanguageFilter, QueryVectors, Source, StoredPoint, VectorSpace
from core.ports import IndexUpkeep, VectorStore
from tests.adapters.vector_store_contract import (
    DOCS,
    MANUAL,
    MISSING,
    OTHER,
    SPACES,
    VectorStoreContract,
    axis,
    manual_chunk,
    point,
    q,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


class TestQdrantEdgeStore(VectorStoreContract):
    """The contract on Qdrant Edge shards in a temporary directory."""

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[VectorStore]:
        # Typed as the port, so mypy checks that the adapter satisfies it.
        store: VectorStore = QdrantEdgeStore(tmp_path / "vectors")
        yield store
        await store.close()


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


async def test_points_survive_closing_and_reopening_the_store(tmp_path: Path) -> None:
    first = QdrantEdgeStore(tmp_path)
    chunks = [manual_chunk(i) for i in range(3)]
    await first.upsert(DOCS, SPACES, [point(axis(i), c) for i, c in enumerate(chunks)])
    await first.close()

    second = QdrantEdgeStore(tmp_path)
    try:
        assert await second.count(DOCS) == 3
        passages = await second.search(DOCS, q(axis(1)), limit=1)
        assert passages[0].chunk == chunks[1]
        assert [s.chunk_count for s in await second.list_sources(DOCS)] == [3]
    finally:
        await second.close()


async def test_points_survive_a_process_killed_without_flush(tmp_path: Path) -> None:
    run_python(
        """
        import asyncio, os, sys, uuid
        from pathlib import Path
        from adapters.qdrant_edge_store import QdrantEdgeStore
        from core.models import Chunk, Source, StoredPoint, VectorSpace

        async def main() -> None:
            store = QdrantEdgeStore(Path(sys.argv[1]))
            source = Source(source_id="src-crash", title="크래시 테스트")
            points = [
                StoredPoint(str(uuid.uuid4()), {"a": tuple(float(i == j % 8) for i in range(8))},
                            Chunk(text=f"chunk {j}", source=source, index=j))
                for j in range(50)
            ]
            await store.upsert(sys.argv[2], (VectorSpace("a", 8),), points)
            os._exit(0)  # like kill -9: no flush, no close

        asyncio.run(main())
        """,
        str(tmp_path),
        DOCS,
    )

    store = QdrantEdgeStore(tmp_path)
    try:
        assert await store.count(DOCS) == 50
        [summary] = await store.list_sources(DOCS)
        assert (summary.source.title, summary.chunk_count) == ("크래시 테스트", 50)
    finally:
        await store.close()


async def test_a_shard_open_in_another_process_gives_a_plain_error(tmp_path: Path) -> None:
    seed = QdrantEdgeStore(tmp_path)
    await seed.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
    await seed.close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from qdrant_edge import EdgeShard; "
            "shard = EdgeShard.load(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(tmp_path / DOCS),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    store = QdrantEdgeStore(tmp_path)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"

        with pytest.raises(UserFacingError) as raised:
            await store.search(DOCS, q(axis(0)), limit=5)
        assert "another ragbot process" in raised.value.message
        with pytest.raises(UserFacingError):
            await store.drop(DOCS)
        assert (tmp_path / DOCS).is_dir()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
        await store.close()

    # Once the other process is gone the shard opens as usual.
    reopened = QdrantEdgeStore(tmp_path)
    try:
        assert await reopened.count(DOCS) == 1
    finally:
        await reopened.close()


async def test_drop_removes_the_shard_directory(tmp_path: Path) -> None:
    store = QdrantEdgeStore(tmp_path)
    try:
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
        assert (tmp_path / DOCS).is_dir()

        assert await store.drop(DOCS) is True

        assert not (tmp_path / DOCS).exists()
    finally:
        await store.close()


async def test_reading_a_missing_collection_creates_nothing_on_disk(tmp_path: Path) -> None:
    store = QdrantEdgeStore(tmp_path)
    try:
        await store.search(MISSING, q(axis(0)), limit=5)
        await store.list_sources(MISSING)
        await store.count(MISSING)
        await store.delete_source(MISSING, MANUAL.source_id)
    finally:
        await store.close()

    assert not (tmp_path / MISSING).exists()


async def test_a_collection_name_that_is_not_one_directory_is_refused(tmp_path: Path) -> None:
    store = QdrantEdgeStore(tmp_path / "vectors")
    try:
        for name in ("../outside", "a/b", "..", ""):
            with pytest.raises(ValueError):
                await store.count(name)
    finally:
        await store.close()


class _RecordingShard:
    """Wraps an EdgeShard and records the thread of every call made on it."""

    def __init__(self, shard: Any, threads: list[int]) -> None:
        self._shard = shard
        self._threads = threads

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._shard, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._threads.append(threading.get_ident())
            return method(*args, **kwargs)

        return call


class _RecordingEdgeShard:
    """Stands in for the EdgeShard class: opens real shards, wrapped to record threads."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.threads: list[int] = []

    def create(self, path: str, config: Any) -> _RecordingShard:
        self.threads.append(threading.get_ident())
        return _RecordingShard(self.real.create(path, config), self.threads)

    def load(self, path: str, config: Any = None) -> _RecordingShard:
        self.threads.append(threading.get_ident())
        return _RecordingShard(self.real.load(path, config), self.threads)


async def test_edge_calls_run_on_one_worker_thread_not_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _RecordingEdgeShard(EdgeShard)
    monkeypatch.setattr(edge_module, "EdgeShard", recorder)
    loop_thread = threading.get_ident()

    store = QdrantEdgeStore(tmp_path)
    await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
    await store.search(DOCS, q(axis(0)), limit=1)
    await store.list_sources(DOCS)
    await store.delete_source(DOCS, MANUAL.source_id)
    await store.count(DOCS)
    await store.close()

    # create, index, upsert, query, count, facet, scroll, count, delete, count, flush, close
    assert len(recorder.threads) >= 10
    assert loop_thread not in recorder.threads
    assert len(set(recorder.threads)) == 1


# Index upkeep: small collections with the threshold forced low. Two spaces of the bot's
# kind (an e5-like and a USE-like one), chunks clustered around topics as real embeddings
# are, half of them Korean.
UPKEEP_SPACES = (VectorSpace("e5", 24), VectorSpace("use", 32))
THRESHOLD = 300


def _topic_points(count: int, first: int = 0, seed: int = 5) -> list[StoredPoint]:
    # The same topics in every call; each call's points their own.
    rng = random.Random(5)
    topics = {
        space.name: [_unit([rng.gauss(0, 1) for _ in range(space.dimension)]) for _ in range(12)]
        for space in UPKEEP_SPACES
    }
    rng = random.Random(seed * 100_003 + first)
    points = []
    for i in range(first, first + count):
        topic = rng.randrange(12)
        vectors = {
            name: _unit([x + rng.gauss(0, 0.35) for x in centres[topic]])
            for name, centres in topics.items()
        }
        source = Source(source_id=f"src-{i // 20}", title=f"Notes {i // 20}")
        chunk = Chunk(
            text=f"passage {i}", source=source, index=i % 20, language="ko" if i % 2 else "en"
        )
        points.append(StoredPoint(str(uuid.uuid5(uuid.NAMESPACE_URL, str(i))), vectors, chunk))
    return points


def _unit(values: list[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(x * x for x in values))
    return tuple(x / norm for x in values)


def _queries() -> list[QueryVectors]:
    weights = {"e5": 1.0, "use": 0.6}
    return [QueryVectors(dict(p.vectors), weights) for p in _topic_points(8, seed=11)]


async def _results(store: QdrantEdgeStore, collection: str) -> list[list[tuple[str, int]]]:
    """Every query's passages, unfiltered and per language as the bot asks."""
    found = []
    for query in _queries():
        for language in (None, LanguageFilter("ko"), LanguageFilter("ko", other=True)):
            passages = await store.search(collection, query, 5, language)
            found.append([(p.chunk.source.source_id, p.chunk.index) for p in passages])
    return found


def _indexed_vectors(path: Path) -> int:
    shard = EdgeShard.load(str(path))
    try:
        return shard.info().indexed_vectors_count
    finally:
        shard.close()


async def test_upkeep_builds_the_index_once_and_again_only_after_growth(tmp_path: Path) -> None:
    store = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    upkeep: IndexUpkeep = store  # the port, checked by mypy
    try:
        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(200))
        assert await upkeep.upkeep_index(DOCS) is False  # below the threshold
        assert await upkeep.upkeep_index(MISSING) is False

        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(200, first=200))
        exact = await _results(store, DOCS)
        assert await upkeep.upkeep_index(DOCS) is True
        assert await store.count(DOCS) == 400
        assert await _results(store, DOCS) == exact
        assert await upkeep.upkeep_index(DOCS) is False  # nothing new

        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(100, first=400))
        assert await upkeep.upkeep_index(DOCS) is False  # grown, not by the threshold
        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(250, first=500))
        exact = await _results(store, DOCS)
        assert await upkeep.upkeep_index(DOCS) is True
        assert await _results(store, DOCS) == exact
        assert await store.collections() == [DOCS]
    finally:
        await store.close()

    assert _indexed_vectors(tmp_path / DOCS) == 2 * 750
    assert not list((tmp_path / UPKEEP_DIR).iterdir())
    # What is indexed is read from the shard, so a restarted store does not build again.
    reopened = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    try:
        assert await reopened.upkeep_index(DOCS) is False
        assert await reopened.count(DOCS) == 750
    finally:
        await reopened.close()


async def test_other_collections_and_the_one_being_indexed_are_served_during_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    real = QdrantEdgeStore._optimize_in_child

    async def gated(self: QdrantEdgeStore, path: Path) -> str:
        started.set()
        await release.wait()
        return await real(self, path)

    monkeypatch.setattr(QdrantEdgeStore, "_optimize_in_child", gated)
    store = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    try:
        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(400))
        await store.upsert(OTHER, UPKEEP_SPACES, _topic_points(50, seed=8))
        query = _queries()[0]
        building = asyncio.create_task(store.upkeep_index(DOCS))
        await started.wait()

        # The build is in progress: both collections answer, and a write goes through.
        assert len(await store.search(OTHER, query, 5)) == 5
        assert len(await store.search(DOCS, query, 5)) == 5
        late = _topic_points(10, first=1000)
        await store.upsert(DOCS, UPKEEP_SPACES, late)
        await store.delete_source(DOCS, "src-0")
        assert await store.collections() == sorted([DOCS, OTHER])
        assert await store.upkeep_index(DOCS) is False  # already being built
        assert not building.done()

        release.set()
        assert await building is True
        # The writes made during the build are in the indexed shard.
        assert await store.count(DOCS) == 400 - 20 + 10
        [hit] = await store.search(DOCS, QueryVectors(dict(late[3].vectors), {"e5": 1.0}), 1)
        assert hit.chunk.text == "passage 1003"
    finally:
        await store.close()


async def test_the_index_is_built_outside_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Edge's optimize() holds the GIL throughout: in this process it would stop the loop.
    calls: list[str] = []
    real = EdgeShard.optimize

    def recorded(shard: EdgeShard) -> bool:
        calls.append("optimize")
        return real(shard)

    store = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    try:
        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(300))
        with monkeypatch.context() as patch:
            patch.setattr(EdgeShard, "optimize", recorded, raising=False)
            assert await store.upkeep_index(DOCS) is True
        assert calls == []
    finally:
        await store.close()
    assert _indexed_vectors(tmp_path / DOCS) == 2 * 300


async def test_a_collection_dropped_during_a_build_stays_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    real = QdrantEdgeStore._optimize_in_child

    async def gated(self: QdrantEdgeStore, path: Path) -> str:
        started.set()
        await release.wait()
        return await real(self, path)

    monkeypatch.setattr(QdrantEdgeStore, "_optimize_in_child", gated)
    store = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    try:
        await store.upsert(DOCS, UPKEEP_SPACES, _topic_points(300))
        building = asyncio.create_task(store.upkeep_index(DOCS))
        await started.wait()
        assert await store.drop(DOCS) is True
        release.set()
        assert await building is False
        assert await store.collections() == []
        assert not (tmp_path / DOCS).exists()
    finally:
        await store.close()


async def test_a_crash_while_swapping_the_indexed_copy_in_keeps_the_shard(
    tmp_path: Path,
) -> None:
    first = QdrantEdgeStore(tmp_path)
    await first.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
    await first.close()
    # Killed between moving the live shard aside and moving the copy in.
    (tmp_path / UPKEEP_DIR).mkdir()
    (tmp_path / DOCS).rename(tmp_path / UPKEEP_DIR / f"{DOCS}.old")

    second = QdrantEdgeStore(tmp_path)
    try:
        assert await second.count(DOCS) == 1
        assert await second.collections() == [DOCS]
    finally:
        await second.close()


def _payload_schema(path: Path) -> dict[str, str]:
    shard = EdgeShard.load(str(path))
    try:
        return {name: str(info.data_type) for name, info in shard.info().payload_schema.items()}
    finally:
        shard.close()


async def _said_in(store: QdrantEdgeStore, window: tuple[float, float]) -> list[list[float]]:
    """When each query's passages in `window` were said, sorted."""
    found = []
    for query in _queries():
        passages = await store.search(DOCS, query, 20, said_between=window)
        found.append(sorted(p.chunk.said_at or -1.0 for p in passages))
    return found


async def test_said_at_is_indexed_and_its_window_holds_through_an_index_build(
    tmp_path: Path,
) -> None:
    start, day = 1_793_577_600.0, 86_400.0
    points = [
        StoredPoint(p.point_id, p.vectors, replace(p.chunk, said_at=start + i * day))
        for i, p in enumerate(_topic_points(300))
    ]
    window = (start + 100 * day, start + 107 * day)
    store = QdrantEdgeStore(tmp_path, index_threshold=THRESHOLD)
    try:
        await store.upsert(DOCS, UPKEEP_SPACES, points)
        before = await _said_in(store, window)
        assert await store.upkeep_index(DOCS) is True
        after = await _said_in(store, window)
    finally:
        await store.close()
    week = [start + d * day for d in range(100, 107)]
    assert before == after == [week] * len(_queries())
    assert _payload_schema(tmp_path / DOCS)["said_at"] == str(PayloadSchemaType.Float)
