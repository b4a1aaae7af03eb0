"""QdrantEdgeStore: the shared contract, plus durability, locking and threading on Edge."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from qdrant_edge import EdgeShard

import adapters.qdrant_edge_store as edge_module
from adapters.qdrant_edge_store import QdrantEdgeStore
from core.errors import UserFacingError
from core.ports import VectorStore
from tests.adapters.vector_store_contract import (
    DOCS,
    MANUAL,
    MISSING,
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
