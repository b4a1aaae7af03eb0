"""Insert and search timings of the vector store adapters, side by side, on one collection.

Qdrant Edge (QdrantEdgeStore) against qdrant-client's local mode (QdrantServerStore over
AsyncQdrantClient(path=...)), both measured through the adapters the bot uses.

    python bench/store_bench.py [--points 100000] [--dimension 384] [--queries 200] [--skip-local]
                                [--clustered]

Uniform random vectors are the worst case for an HNSW index (every point is about as far
from a query as its true neighbours), so recall after optimize() is low on them; --clustered
draws each source's chunks around a topic of its own, as real embeddings are.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from qdrant_client import AsyncQdrantClient

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds core/ and
# adapters/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.qdrant_edge_store import QdrantEdgeStore
from adapters.qdrant_server_store import QdrantServerStore
from core.models import (
    ChannelRef,
    Chunk,
    QueryVectors,
    Source,
    SourceKind,
    StoredPoint,
    VectorSpace,
)
from core.naming import CollectionPurpose, collection_name
from core.ports import VectorStore

Vectors = npt.NDArray[np.float32]

BATCH = 256
TOP_K = 5
CHUNKS_PER_SOURCE = 40
# Length of the noise added to a topic vector (a unit vector) in --clustered mode.
CLUSTER_NOISE = 1.5
COLLECTION = collection_name(
    ChannelRef("slack", "T-bench", "C-bench"), CollectionPurpose.DOCUMENTS, "bench"
)
SPACE = "bench"
NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-4c5e-9a10-2d4b6c8e0f12")
SENTENCES = (
    "The quarterly report lists revenue by region and the cost of each new data centre.",
    "임베딩 모델은 문장을 벡터로 바꾸고, 코사인 유사도로 가까운 문단을 찾습니다.",
    "Restart the ingestion worker after changing the chunk size in the configuration file.",
    "회의록에 따르면 다음 배포는 금요일 오후에 진행하며, 롤백 계획도 함께 검토합니다.",
    "Latency stays under fifty milliseconds while the index fits in memory on two cores.",
)


@dataclass
class Result:
    """What one store measured."""

    name: str
    insert_seconds: float
    p50_ms: float
    p95_ms: float
    recall: float
    optimize_seconds: float | None = None


def unit_vectors(rng: np.random.Generator, count: int, dimension: int) -> Vectors:
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def clustered_vectors(
    rng: np.random.Generator, count: int, queries: int, dimension: int
) -> tuple[Vectors, Vectors]:
    """Points around one random topic per source, and queries around random topics."""
    topics = unit_vectors(rng, -(-count // CHUNKS_PER_SOURCE), dimension)
    noise = CLUSTER_NOISE / np.sqrt(dimension)

    def around(centres: Vectors) -> Vectors:
        vectors: Vectors = centres + rng.standard_normal(centres.shape, dtype=np.float32) * noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    points = around(np.repeat(topics, CHUNKS_PER_SOURCE, axis=0)[:count])
    return points, around(topics[rng.integers(0, len(topics), queries)])


def chunk_for(i: int) -> Chunk:
    """A realistic chunk: sources of 40 chunks, every fifth source a video with timestamps."""
    number, index = divmod(i, CHUNKS_PER_SOURCE)
    media = number % 5 == 4
    source = Source(
        source_id=f"src-{number:05d}",
        title=f"{'Talk' if media else 'Report'} {number:05d}" + ("" if media else ".pdf"),
        kind=SourceKind.MEDIA if media else SourceKind.DOCUMENT,
        url=f"https://example.com/watch?v={number}" if media else None,
    )
    text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(4))
    if media:
        return Chunk(
            text=text,
            source=source,
            index=index,
            start_seconds=index * 30.0,
            end_seconds=index * 30.0 + 30.0,
            language="ko",
        )
    return Chunk(text=text, source=source, index=index, page=index // 3 + 1, language="en")


def batch_points(vectors: Vectors, start: int) -> list[StoredPoint]:
    return [
        StoredPoint(
            point_id=str(uuid.uuid5(NAMESPACE, str(start + offset))),
            vectors={SPACE: tuple(row.tolist())},
            chunk=chunk_for(start + offset),
        )
        for offset, row in enumerate(vectors)
    ]


async def insert(store: VectorStore, vectors: Vectors) -> float:
    """Upsert every vector in batches; return the seconds spent inside `upsert` only."""
    spent = 0.0
    spaces = (VectorSpace(SPACE, vectors.shape[1]),)
    for start in range(0, len(vectors), BATCH):
        points = batch_points(vectors[start : start + BATCH], start)
        began = time.perf_counter()
        await store.upsert(COLLECTION, spaces, points)
        spent += time.perf_counter() - began
    return spent


def as_query(vector: npt.NDArray[np.float32]) -> QueryVectors:
    """One vector as a query in the bench's single space."""
    return QueryVectors({SPACE: tuple(vector.tolist())}, {SPACE: 1.0})


async def search(
    store: VectorStore, queries: Vectors, truth: list[set[int]]
) -> tuple[float, float, float]:
    """Search each query for the top 5; return p50 ms, p95 ms and recall against exact top 5."""
    for query in queries[:3]:
        await store.search(COLLECTION, as_query(query), TOP_K)  # warm up
    latencies = []
    found = 0
    for query, expected in zip(queries, truth, strict=True):
        vector = as_query(query)
        began = time.perf_counter()
        passages = await store.search(COLLECTION, vector, TOP_K)
        latencies.append((time.perf_counter() - began) * 1000)
        got = {
            int(p.chunk.source.source_id[4:]) * CHUNKS_PER_SOURCE + p.chunk.index for p in passages
        }
        found += len(got & expected)
    p50, p95 = np.percentile(latencies, [50, 95])
    return float(p50), float(p95), found / (TOP_K * len(queries))


async def measure(
    name: str,
    open_store: Callable[[str], VectorStore],
    vectors: Vectors,
    queries: Vectors,
    truth: list[set[int]],
    optimize: Callable[[VectorStore], Awaitable[object]] | None = None,
) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="store-bench-") as directory:
        store = open_store(directory)
        try:
            print(f"{name}: inserting {len(vectors):,} points ...", flush=True)
            inserted = await insert(store, vectors)
            assert await store.count(COLLECTION) == len(vectors)
            p50, p95, recall = await search(store, queries, truth)
            results = [Result(name, inserted, p50, p95, recall)]
            if optimize is not None:
                print(f"{name}: optimize() ...", flush=True)
                began = time.perf_counter()
                await optimize(store)
                optimized = time.perf_counter() - began
                p50, p95, recall = await search(store, queries, truth)
                results.append(Result(f"{name}, optimized", inserted, p50, p95, recall, optimized))
            return results
        finally:
            await store.close()


async def optimize_edge(store: VectorStore) -> object:
    assert isinstance(store, QdrantEdgeStore)
    return await store.optimize(COLLECTION)


def exact_top(vectors: Vectors, queries: Vectors) -> list[set[int]]:
    scores = queries @ vectors.T
    top = np.argpartition(-scores, TOP_K, axis=1)[:, :TOP_K]
    return [set(map(int, row)) for row in top]


def ratio(local: float, edge: float) -> str:
    return f"{local / edge:,.1f}x" if edge > 0 else "n/a"


def report(args: argparse.Namespace, results: list[Result]) -> None:
    print()
    print(
        f"points={args.points:,} dimension={args.dimension} queries={args.queries} "
        f"batch={BATCH} top_k={TOP_K} cpus={os.cpu_count()} "
        f"vectors={'clustered' if args.clustered else 'uniform random'}"
    )
    header = (
        f"{'store':<34}{'insert s':>10}{'optimize s':>12}{'p50 ms':>10}{'p95 ms':>10}"
        f"{'recall@5':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        optimize = f"{r.optimize_seconds:.1f}" if r.optimize_seconds is not None else "-"
        print(
            f"{r.name:<34}{r.insert_seconds:>10.1f}{optimize:>12}{r.p50_ms:>10.2f}"
            f"{r.p95_ms:>10.2f}{r.recall:>10.3f}"
        )
    local = [r for r in results if r.name.startswith("qdrant-client")]
    if not local:
        return
    print()
    base = local[0]
    for edge in (r for r in results if r.name.startswith("qdrant-edge")):
        print(
            f"local/edge ({edge.name}): "
            f"insert {ratio(base.insert_seconds, edge.insert_seconds)}, "
            f"p50 {ratio(base.p50_ms, edge.p50_ms)}, p95 {ratio(base.p95_ms, edge.p95_ms)}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description="Time the vector store adapters side by side.")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-local", action="store_true", help="skip qdrant-client local mode")
    parser.add_argument(
        "--clustered", action="store_true", help="group each source's vectors around a topic"
    )
    args = parser.parse_args()
    # Local mode warns that it is slow above 20,000 points and ignores payload indexes:
    # both known, and measuring that is the point.
    warnings.filterwarnings("ignore", message=".*[Ll]ocal.*", category=UserWarning)

    rng = np.random.default_rng(20240601)
    if args.clustered:
        vectors, queries = clustered_vectors(rng, args.points, args.queries, args.dimension)
    else:
        vectors = unit_vectors(rng, args.points, args.dimension)
        queries = unit_vectors(rng, args.queries, args.dimension)
    truth = exact_top(vectors, queries)

    results = await measure(
        "qdrant-edge",
        lambda directory: QdrantEdgeStore(Path(directory)),
        vectors,
        queries,
        truth,
        optimize=optimize_edge,
    )
    if not args.skip_local:
        results += await measure(
            "qdrant-client local",
            lambda directory: QdrantServerStore(AsyncQdrantClient(path=directory)),
            vectors,
            queries,
            truth,
        )
    report(args, results)


if __name__ == "__main__":
    asyncio.run(main())
