"""A channel's memory on Qdrant Edge: recall latency with and without a time window.

    python bench/memory_bench.py [--sizes 10000,100000] [--queries 200] [--limit 20]
        [--unindexed [--unindexed-queries 40]] [--skip-latency] [--skip-quality]

Latency (`bench_latency`): a memory collection per size, with the bot's vectors (e5 384 and
USE 512 floats per point) clustered around topics of 40 exchanges each (random but grouped,
as real embeddings are; latency does not depend on what the vectors mean) and `said_at`
spread uniformly over the year before 2026-12-01. Each query is one search of `--limit`
passages through QdrantEdgeStore, without a window and with a one-week window starting at a
random day of that year (about 1.9% of the points), exact (no search index) and after
upkeep_index has built the HNSW index. recall@limit compares the indexed results with the
exact ones. --unindexed adds a collection of the largest size whose said_at payload index
was dropped, searched exactly and after upkeep with fewer queries (each one scans), to show
what the index buys.

Recall quality (`bench_recall_quality`): the labelled set tests/data/memory_recall.json kept
through ChannelMemory with the real embedders on Edge and recalled as the bot recalls; hit@1,
hit@3 and memory's bar (bench/memory_recall.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from qdrant_edge import UpdateOperation

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.qdrant_edge_store import QdrantEdgeStore
from bench import memory_recall
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

Matrix = npt.NDArray[np.float32]
SPACES = (VectorSpace("e5", 384), VectorSpace("use", 512))
WEIGHTS = {"e5": 1.0, "use": 0.6}  # config/default.toml, [embedder]
BATCH = 256
EXCHANGES_PER_TOPIC = 40
CLUSTER_NOISE = 1.5  # length of the noise around a topic (a unit vector), as store_bench
DAY = 86_400.0
WEEK = 7 * DAY
YEAR_END = 1_796_083_200.0  # 2026-12-01 00:00 UTC
YEAR_START = YEAR_END - 365 * DAY
NAMESPACE = uuid.UUID("3c6a1f0e-8d2b-4e57-a9c4-71b0e5d2f813")
TARGET_MS = 10.0  # issue 18: p50 <= 10 ms at 100k with a window
EXCHANGES = (
    ("What did we decide for the team dinner?", "The beef stew, on Friday at seven."),
    ("지난주 배포 일정 어떻게 정했죠?", "금요일 오후에 배포하고 롤백 계획도 검토하기로 했어요."),
    ("Who owns the ingestion worker now?", "Minji took it over after the reorg."),
    ("회의록 요약 부탁해요.", "예산 검토, 채용 일정, 다음 분기 목표를 논의했습니다."),
)


def collection(size: int, suffix: str = "") -> str:
    """The memory collection of a bench channel holding `size` exchanges."""
    channel = ChannelRef("slack", "T-bench", f"C-memory-{size}{suffix}")
    return collection_name(channel, CollectionPurpose.MEMORY, "e5")


def unit(rng: np.random.Generator, count: int, dimension: int) -> Matrix:
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def around(rng: np.random.Generator, centres: Matrix) -> Matrix:
    """Unit vectors scattered around `centres`, one per row."""
    noise = CLUSTER_NOISE / np.sqrt(centres.shape[1])
    vectors: Matrix = centres + rng.standard_normal(centres.shape, dtype=np.float32) * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@dataclass
class Topics:
    """One topic vector per space for every 40 exchanges of the largest collection."""

    by_space: dict[str, Matrix]

    @classmethod
    def drawn(cls, rng: np.random.Generator, points: int) -> Topics:
        count = -(-points // EXCHANGES_PER_TOPIC)
        return cls({space.name: unit(rng, count, space.dimension) for space in SPACES})

    def queries(self, rng: np.random.Generator, count: int, topics: int) -> list[QueryVectors]:
        """Queries around random topics among the first `topics`."""
        picked = rng.integers(0, topics, count)
        vectors = {name: around(rng, centres[picked]) for name, centres in self.by_space.items()}
        return [
            QueryVectors({name: tuple(vectors[name][i].tolist()) for name in WEIGHTS}, WEIGHTS)
            for i in range(count)
        ]


def memory_chunk(i: int, said_at: float) -> Chunk:
    """One remembered exchange, as the bot stores it: dated, attributed, in a thread."""
    asked, answered = EXCHANGES[i % len(EXCHANGES)]
    korean = i % len(EXCHANGES) % 2 == 1
    return Chunk(
        text=f"Q: {asked}\nA: {answered}",
        source=Source(source_id=f"exchange-{i:06d}", title="memory", kind=SourceKind.MEMORY),
        index=0,
        language="ko" if korean else "en",
        said_at=said_at,
        author=f"person {i % 17}",
        thread_id=f"17300{i // 25:05d}.000100",
        cited=("Recipes.pdf",) if i % 3 == 0 else (),
    )


def memory_points(topics: Topics, first: int, count: int, seed: int) -> list[StoredPoint]:
    """Exchanges first..first+count: the same ones whichever collection they go to."""
    rng = np.random.default_rng([seed, first])
    which = np.arange(first, first + count) // EXCHANGES_PER_TOPIC
    vectors = {name: around(rng, centres[which]) for name, centres in topics.by_space.items()}
    said = rng.uniform(YEAR_START, YEAR_END, count)
    return [
        StoredPoint(
            str(uuid.uuid5(NAMESPACE, str(first + k))),
            {name: tuple(vectors[name][k].tolist()) for name in WEIGHTS},
            memory_chunk(first + k, float(said[k])),
        )
        for k in range(count)
    ]


async def fill(store: QdrantEdgeStore, name: str, topics: Topics, size: int, seed: int) -> float:
    """Insert `size` exchanges; return the seconds it took."""
    began = time.perf_counter()
    for first in range(0, size, BATCH):
        count = min(BATCH, size - first)
        await store.upsert(name, SPACES, memory_points(topics, first, count, seed))
    return time.perf_counter() - began


Window = tuple[float, float] | None


@dataclass
class Searched:
    """Latencies (ms) and the exchanges each query found, in order."""

    ms: list[float]
    found: list[list[str]]


async def search_all(
    store: QdrantEdgeStore,
    name: str,
    queries: Sequence[QueryVectors],
    windows: Sequence[Window],
    limit: int,
) -> Searched:
    for query, window in zip(queries[:3], windows[:3], strict=True):
        await store.search(name, query, limit, said_between=window)  # warm up
    result = Searched([], [])
    for query, window in zip(queries, windows, strict=True):
        began = time.perf_counter()
        passages = await store.search(name, query, limit, said_between=window)
        result.ms.append((time.perf_counter() - began) * 1000)
        result.found.append([p.chunk.source.source_id for p in passages])
        if window is not None:
            assert all(window[0] <= (p.chunk.said_at or -1) < window[1] for p in passages)
    return result


def p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def recall(found: Sequence[list[str]], truth: Sequence[list[str]]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    total = sum(len(t) for t in truth)
    return hits / total if total else float("nan")


@dataclass
class Row:
    """One line of the latency table."""

    points: int
    label: str
    window: str
    searched: Searched
    recall: float | None = None


def print_rows(rows: Sequence[Row], limit: int) -> None:
    print(
        f"\n{'points':>8}  {'search':<42}{'window':<8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'results':>9}{f'recall@{limit}':>11}"
    )
    for row in rows:
        mean_found = statistics.fmean(len(f) for f in row.searched.found)
        shown = "" if row.recall is None else f"{row.recall:.3f}"
        print(
            f"{row.points:>8,}  {row.label:<42}{row.window:<8}{p50(row.searched.ms):>8.2f}"
            f"{p95(row.searched.ms):>8.2f}{mean_found:>9.1f}{shown:>11}"
        )


async def drop_said_at_index(store: QdrantEdgeStore, name: str) -> None:
    """Remove the said_at payload index of a collection (the bench's comparison only)."""

    def work() -> None:
        shard = store._open_existing(name)
        assert shard is not None
        shard.update(UpdateOperation.delete_field_index("said_at"))
        assert "said_at" not in shard.info().payload_schema

    await store._run(work)


@dataclass
class Collection:
    """One collection of the bench: its size, name, queries and whether said_at is indexed."""

    size: int
    name: str
    queries: list[QueryVectors]
    said_at_indexed: bool = True

    @property
    def note(self) -> str:
        return "" if self.said_at_indexed else ", no said_at index"


async def bench_latency(args: argparse.Namespace) -> None:
    """Search latency without and with a one-week window, exact and indexed (see above)."""
    sizes = sorted(int(size) for size in args.sizes.split(","))
    rng = np.random.default_rng(20261201)
    topics = Topics.drawn(rng, sizes[-1])
    starts = rng.uniform(YEAR_START, YEAR_END - WEEK, args.queries)
    weekly: list[Window] = [(float(start), float(start) + WEEK) for start in starts]

    def queries_for(size: int, count: int) -> list[QueryVectors]:
        # Near topics this collection holds; the same for its exact and indexed searches.
        held = -(-size // EXCHANGES_PER_TOPIC)
        return topics.queries(np.random.default_rng(size), count, held)

    bench = [Collection(size, collection(size), queries_for(size, args.queries)) for size in sizes]
    if args.unindexed:
        # A scan per query: fewer of them.
        plain = queries_for(sizes[-1], min(args.queries, args.unindexed_queries))
        bench.append(Collection(sizes[-1], collection(sizes[-1], "-plain"), plain, False))
    rows: list[Row] = []
    exact: dict[tuple[str, str], Searched] = {}

    async def measure(store: QdrantEdgeStore, item: Collection, label: str) -> list[Row]:
        measured = []
        count = len(item.queries)
        for window_name, windows in (("none", [None] * count), ("1 week", weekly[:count])):
            searched = await search_all(store, item.name, item.queries, windows, args.limit)
            truth = exact.setdefault((item.name, window_name), searched)
            found = None if truth is searched else recall(searched.found, truth.found)
            measured.append(Row(item.size, label + item.note, window_name, searched, found))
        return measured

    with tempfile.TemporaryDirectory(prefix="memory-bench-") as directory:
        # The bot's store as configured: index upkeep from 10,000 points outside the index.
        store = QdrantEdgeStore(Path(directory))
        try:
            for item in bench:
                seconds = await fill(store, item.name, topics, item.size, seed=7)
                if not item.said_at_indexed:
                    await drop_said_at_index(store, item.name)
                print(f"inserted {item.size:,} exchanges{item.note} in {seconds:.1f} s")
                rows += await measure(store, item, "exact")
                print_rows(rows[-2:], args.limit)
            for item in bench:
                began = time.perf_counter()
                built = await store.upkeep_index(item.name)
                seconds = time.perf_counter() - began
                print(f"upkeep_index of {item.size:,}{item.note}: built={built} in {seconds:.1f} s")
                label = "indexed (upkeep_index)" if built else "upkeep: nothing built"
                rows += await measure(store, item, label)
                print_rows(rows[-2:], args.limit)
        finally:
            await store.close()
    counts = sorted({len(item.queries) for item in bench}, reverse=True)
    print(
        f"\nlatency: one search of {args.limit} passages per query, "
        f"{' or '.join(map(str, counts))} queries a row"
    )
    print_rows(rows, args.limit)
    for row in rows:
        if row.points == sizes[-1] and row.window != "none" and "said_at" not in row.label:
            verdict = "met" if p50(row.searched.ms) <= TARGET_MS else "MISSED"
            print(
                f"target p50 <= {TARGET_MS:.0f} ms at {sizes[-1]:,} with a window, {row.label}: "
                f"{p50(row.searched.ms):.2f} ms, {verdict}"
            )


async def bench_recall_quality(args: argparse.Namespace) -> None:
    """Recall quality on tests/data/memory_recall.json with the configured embedders on
    Qdrant Edge, recalled as the bot recalls (bench/memory_recall.py): hit@1/hit@3 by
    language pair and time reference (target hit@3 >= 0.9) and memory's bar."""
    began = time.perf_counter()
    quality = await memory_recall.measure()
    print(f"\nrecall quality ({time.perf_counter() - began:.1f} s with model loading)")
    print(memory_recall.report(quality))


async def main() -> None:
    parser = argparse.ArgumentParser(description="Measure recall from a channel's memory.")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=20, help="passages per search")
    parser.add_argument("--unindexed", action="store_true", help="also without said_at index")
    parser.add_argument("--unindexed-queries", type=int, default=40)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    print(f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.1f}")
    if not args.skip_latency:
        await bench_latency(args)
    if not args.skip_quality:
        await bench_recall_quality(args)


if __name__ == "__main__":
    asyncio.run(main())
