"""The behaviour every VectorStore adapter must show; concrete test classes supply `store`."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

import pytest

from core.models import (
    ChannelRef,
    Chunk,
    LanguageFilter,
    QueryVectors,
    Source,
    SourceKind,
    StoredPoint,
    VectorSpace,
)
from core.naming import CollectionPurpose, collection_name
from core.ports import VectorStore

DIMENSION = 8
SPACES = (VectorSpace("a", DIMENSION),)
TWO_SPACES = (VectorSpace("a", DIMENSION), VectorSpace("b", 4))

DOCS = collection_name(ChannelRef("slack", "T01", "C-general"), CollectionPurpose.DOCUMENTS, "a")
OTHER = collection_name(ChannelRef("discord", "guild 7", "공지"), CollectionPurpose.DOCUMENTS, "a")
MISSING = collection_name(ChannelRef("console", "local", "nobody"), CollectionPurpose.MEMORY, "a")

MANUAL = Source(source_id="src-manual", title="Operations manual.pdf")
TALK = Source(
    source_id="src-talk",
    title="벡터 검색 발표",
    kind=SourceKind.MEDIA,
    url="https://example.com/watch?v=abc",
)
NOTES = Source(source_id="src-notes", title="another notes.txt")


def axis(i: int, scale: float = 1.0) -> tuple[float, ...]:
    """A vector along one axis of the test space."""
    return tuple(scale if j == i else 0.0 for j in range(DIMENSION))


def blend(weights: dict[int, float]) -> tuple[float, ...]:
    """A vector with the given weight on each axis."""
    return tuple(weights.get(j, 0.0) for j in range(DIMENSION))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.hypot(*a) * math.hypot(*b))


def point(vector: tuple[float, ...], chunk: Chunk, point_id: str | None = None) -> StoredPoint:
    return StoredPoint(point_id=point_id or str(uuid.uuid4()), vectors={"a": vector}, chunk=chunk)


def two(a: tuple[float, ...], b: tuple[float, ...], chunk: Chunk) -> StoredPoint:
    return StoredPoint(point_id=str(uuid.uuid4()), vectors={"a": a, "b": b}, chunk=chunk)


def q(vector: tuple[float, ...]) -> QueryVectors:
    """A query in the single space "a"."""
    return QueryVectors(vectors={"a": vector}, weights={"a": 1.0})


def manual_chunk(index: int, text: str = "Restart the worker with `ragbot restart`.") -> Chunk:
    return Chunk(text=text, source=MANUAL, index=index, page=index + 1, language="en")


def talk_chunk(index: int) -> Chunk:
    return Chunk(
        text="임베딩은 문장을 벡터로 바꿉니다. 코사인 유사도로 가까운 문장을 찾습니다.",
        source=TALK,
        index=index,
        start_seconds=12.5 + index * 30,
        end_seconds=42.0 + index * 30,
        language="ko",
        cue_starts=((0, 12.5 + index * 30), (17, 20.0 + index * 30)),
    )


def notes_chunk(index: int) -> Chunk:
    return Chunk(text=f"note {index}", source=NOTES, index=index)


MEMORIES = Source(source_id="memory-exchanges", title="memory", kind=SourceKind.MEMORY)
DAY = 86_400.0
# 2026-11-02 00:00 UTC.
NOV_2 = 1_793_577_600.0


def memory_chunk(
    index: int,
    said_at: float | None,
    language: str | None = "en",
    text: str = "We chose stew.",
    open_question: bool = False,
) -> Chunk:
    """An exchange remembered in a channel, said at `said_at` (UTC epoch seconds)."""
    return Chunk(
        text=text,
        source=MEMORIES,
        index=index,
        language=language,
        said_at=said_at,
        author="민지 Kim",
        thread_id="1730000000.000100",
        cited=("Recipes.pdf", "벡터 검색 발표"),
        open_question=open_question,
    )


class VectorStoreContract:
    """Tests shared by every adapter; a subclass provides the `store` fixture."""

    @pytest.fixture
    def store(self) -> VectorStore:
        raise NotImplementedError("a concrete test class provides the store")

    async def test_search_returns_nearest_chunk_first_with_its_payload(
        self, store: VectorStore
    ) -> None:
        talk = talk_chunk(2)
        manual = manual_chunk(0)
        await store.upsert(
            DOCS,
            SPACES,
            [point(axis(0), manual), point(axis(1), talk), point(axis(2), notes_chunk(0))],
        )

        passages = await store.search(DOCS, q(blend({1: 1.0, 0: 0.2})), limit=3)

        assert passages[0].chunk == talk
        assert passages[0].chunk.source.kind is SourceKind.MEDIA
        assert passages[0].chunk.source.url == "https://example.com/watch?v=abc"
        assert passages[0].chunk.start_seconds == 72.5
        assert passages[0].chunk.end_seconds == 102.0
        assert passages[0].chunk.language == "ko"
        assert passages[1].chunk == manual
        assert passages[1].chunk.page == 1
        assert passages[1].chunk.source.kind is SourceKind.DOCUMENT
        assert passages[1].chunk.source.url is None

    async def test_search_orders_by_cosine_similarity_and_respects_limit(
        self, store: VectorStore
    ) -> None:
        vectors = [
            blend({0: 1.0}),
            blend({0: 1.0, 1: 0.5}),
            blend({0: 1.0, 1: 2.0}),
            blend({1: 1.0}),
            blend({2: 1.0}),
        ]
        await store.upsert(DOCS, SPACES, [point(v, manual_chunk(i)) for i, v in enumerate(vectors)])
        query = blend({0: 1.0, 1: 0.1})

        passages = await store.search(DOCS, q(query), limit=3)

        assert [p.chunk.index for p in passages] == [0, 1, 2]
        expected = [cosine(query, vectors[i]) for i in (0, 1, 2)]
        assert [p.score for p in passages] == pytest.approx(expected, abs=1e-5)

    async def test_score_is_cosine_similarity_whatever_the_vector_length(
        self, store: VectorStore
    ) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(3, scale=40.0), notes_chunk(0))])

        passages = await store.search(DOCS, q(axis(3, scale=0.01)), limit=1)

        assert passages[0].score == pytest.approx(1.0, abs=1e-5)

    async def test_collections_are_isolated(self, store: VectorStore) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
        await store.upsert(OTHER, SPACES, [point(axis(0), talk_chunk(0))])

        in_docs = await store.search(DOCS, q(axis(0)), limit=10)
        in_other = await store.search(OTHER, q(axis(0)), limit=10)

        assert [p.chunk.source for p in in_docs] == [MANUAL]
        assert [p.chunk.source for p in in_other] == [TALK]
        assert await store.delete_source(OTHER, MANUAL.source_id) == 0
        assert await store.count(DOCS) == 1

    async def test_upsert_with_the_same_point_id_replaces_the_point(
        self, store: VectorStore
    ) -> None:
        point_id = str(uuid.uuid4())
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0, "old"), point_id)])

        await store.upsert(DOCS, SPACES, [point(axis(5), manual_chunk(0, "new"), point_id)])

        assert await store.count(DOCS) == 1
        passages = await store.search(DOCS, q(axis(5)), limit=5)
        assert [p.chunk.text for p in passages] == ["new"]
        assert passages[0].score == pytest.approx(1.0, abs=1e-5)

    async def test_upsert_rejects_a_vector_of_the_wrong_dimension(self, store: VectorStore) -> None:
        with pytest.raises(ValueError):
            await store.upsert(DOCS, SPACES, [point((1.0, 0.0), manual_chunk(0))])

        assert await store.count(DOCS) == 0

    async def test_list_sources_counts_chunks_per_source_sorted_by_title(
        self, store: VectorStore
    ) -> None:
        points = (
            [point(axis(i), manual_chunk(i)) for i in range(3)]
            + [point(axis(i), talk_chunk(i)) for i in range(2)]
            + [point(axis(7), notes_chunk(0))]
        )
        await store.upsert(DOCS, SPACES, points)

        summaries = await store.list_sources(DOCS)

        assert [(s.source, s.chunk_count) for s in summaries] == [
            (NOTES, 1),
            (MANUAL, 3),
            (TALK, 2),
        ]

    async def test_delete_source_removes_only_that_source_and_returns_the_count(
        self, store: VectorStore
    ) -> None:
        points = [point(axis(i), manual_chunk(i)) for i in range(3)] + [
            point(axis(i), talk_chunk(i)) for i in range(2)
        ]
        await store.upsert(DOCS, SPACES, points)

        removed = await store.delete_source(DOCS, MANUAL.source_id)

        assert removed == 3
        assert await store.count(DOCS) == 2
        assert [s.source for s in await store.list_sources(DOCS)] == [TALK]
        passages = await store.search(DOCS, q(axis(0)), limit=10)
        assert {p.chunk.source for p in passages} == {TALK}
        assert await store.delete_source(DOCS, MANUAL.source_id) == 0

    async def test_delete_source_from_an_index_keeps_the_chunks_before_it(
        self, store: VectorStore
    ) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(i), manual_chunk(i)) for i in range(5)])
        await store.upsert(DOCS, SPACES, [point(axis(0), talk_chunk(3))])

        removed = await store.delete_source(DOCS, MANUAL.source_id, from_index=2)

        assert removed == 3
        assert [c.index for c in await store.chunks(DOCS, MANUAL.source_id, 0, 10)] == [0, 1]
        assert len(await store.chunks(DOCS, TALK.source_id, 0, 10)) == 1

    async def test_drop_deletes_the_collection_and_reports_whether_it_existed(
        self, store: VectorStore
    ) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
        await store.upsert(OTHER, SPACES, [point(axis(0), talk_chunk(0))])

        assert await store.drop(DOCS) is True

        assert await store.count(DOCS) == 0
        assert await store.search(DOCS, q(axis(0)), limit=5) == []
        assert await store.drop(DOCS) is False
        assert await store.count(OTHER) == 1

    async def test_a_dropped_collection_can_be_created_again(self, store: VectorStore) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(0))])
        await store.drop(DOCS)

        await store.upsert(
            DOCS, (VectorSpace("a", 4),), [point((0.0, 1.0, 0.0, 0.0), talk_chunk(0))]
        )

        passages = await store.search(DOCS, q((0.0, 1.0, 0.0, 0.0)), limit=5)
        assert [p.chunk.source for p in passages] == [TALK]

    async def test_a_missing_collection_reads_as_empty(self, store: VectorStore) -> None:
        assert await store.search(MISSING, q(axis(0)), limit=5) == []
        assert await store.list_sources(MISSING) == []
        assert await store.delete_source(MISSING, MANUAL.source_id) == 0
        assert await store.count(MISSING) == 0
        assert await store.drop(MISSING) is False
        # Reading must not have created it.
        assert await store.count(MISSING) == 0

    async def test_count_counts_the_points_of_one_collection(self, store: VectorStore) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(i), manual_chunk(i)) for i in range(4)])
        await store.upsert(DOCS, SPACES, [point(axis(i), talk_chunk(i)) for i in range(3)])

        assert await store.count(DOCS) == 7

    async def test_a_search_scores_by_the_weighted_mean_of_the_cosines_in_every_space(
        self, store: VectorStore
    ) -> None:
        b_axis = (1.0, 0.0, 0.0, 0.0)
        await store.upsert(
            DOCS,
            TWO_SPACES,
            [
                # Best in "a" alone, poor in "b".
                two(axis(0), (0.0, 1.0, 0.0, 0.0), manual_chunk(0)),
                # Good in both.
                two(blend({0: 1.0, 1: 1.0}), b_axis, talk_chunk(0)),
            ],
        )
        query = QueryVectors({"a": axis(0), "b": b_axis}, {"a": 1.0, "b": 3.0})

        passages = await store.search(DOCS, query, limit=2)

        assert [p.chunk.source for p in passages] == [TALK, MANUAL]
        assert passages[0].score == pytest.approx((1.0 * math.sqrt(0.5) + 3.0) / 4, abs=1e-5)
        assert passages[1].score == pytest.approx((1.0 + 0.0) / 4, abs=1e-5)

    async def test_a_candidate_found_in_one_space_only_is_scored_in_the_others(
        self, store: VectorStore
    ) -> None:
        # 30 points crowd space "a" near the query; the one that matters is far in "a" but
        # exact in "b", so only "b" proposes it.
        crowd = [
            two(blend({0: 1.0, 1: 0.01 * i}), (0.0, 0.0, 1.0, 0.0), notes_chunk(i))
            for i in range(30)
        ]
        target = two(blend({0: 0.2, 1: 1.0}), (1.0, 0.0, 0.0, 0.0), manual_chunk(0))
        await store.upsert(DOCS, TWO_SPACES, [*crowd, target])
        query = QueryVectors({"a": axis(0), "b": (1.0, 0.0, 0.0, 0.0)}, {"a": 1.0, "b": 1.0})

        passages = await store.search(DOCS, query, limit=1)

        assert passages[0].chunk.source == MANUAL
        expected = (cosine(axis(0), blend({0: 0.2, 1: 1.0})) + 1.0) / 2
        assert passages[0].score == pytest.approx(expected, abs=1e-5)

    async def test_a_language_filter_admits_only_that_language_or_only_the_others(
        self, store: VectorStore
    ) -> None:
        await store.upsert(
            DOCS,
            SPACES,
            [
                point(axis(0), manual_chunk(0)),
                point(blend({0: 1.0, 1: 0.5}), talk_chunk(0)),
                point(blend({0: 1.0, 1: 1.0}), notes_chunk(0)),
            ],
        )

        korean = await store.search(DOCS, q(axis(0)), 5, LanguageFilter("ko"))
        others = await store.search(DOCS, q(axis(0)), 5, LanguageFilter("ko", other=True))

        assert [p.chunk.source for p in korean] == [TALK]
        # A chunk of no known language counts as another language.
        assert [p.chunk.source for p in others] == [MANUAL, NOTES]

    async def test_a_passage_carries_its_cosine_in_every_space(self, store: VectorStore) -> None:
        await store.upsert(DOCS, TWO_SPACES, [two(axis(0), (0.0, 1.0, 0.0, 0.0), manual_chunk(0))])
        query = QueryVectors({"a": axis(0), "b": (1.0, 0.0, 0.0, 0.0)}, {"a": 1.0, "b": 1.0})

        (passage,) = await store.search(DOCS, query, limit=1)

        assert passage.cosines == pytest.approx({"a": 1.0, "b": 0.0}, abs=1e-5)

    async def test_upsert_rejects_a_point_missing_a_space(self, store: VectorStore) -> None:
        with pytest.raises(ValueError):
            await store.upsert(DOCS, TWO_SPACES, [point(axis(0), manual_chunk(0))])

        assert await store.count(DOCS) == 0

    async def test_chunks_returns_a_window_of_one_source_in_order(self, store: VectorStore) -> None:
        points = [point(axis(i % DIMENSION), manual_chunk(i, f"line {i}")) for i in range(8)]
        points += [point(axis(i), talk_chunk(i)) for i in range(4)]
        await store.upsert(DOCS, SPACES, list(reversed(points)))

        window = await store.chunks(DOCS, MANUAL.source_id, 2, 4)

        assert [chunk.text for chunk in window] == ["line 2", "line 3", "line 4"]
        assert await store.chunks(DOCS, MANUAL.source_id, 7, 12) == [manual_chunk(7, "line 7")]
        assert await store.chunks(MISSING, MANUAL.source_id, 0, 3) == []

    async def test_all_chunks_and_collections_list_what_the_store_holds(
        self, store: VectorStore
    ) -> None:
        await store.upsert(DOCS, SPACES, [point(axis(0), manual_chunk(i)) for i in range(300)])
        await store.upsert(OTHER, SPACES, [point(axis(0), talk_chunk(0))])

        chunks = await store.all_chunks(DOCS)

        assert sorted(chunk.index for chunk in chunks) == list(range(300))
        assert await store.all_chunks(MISSING) == []
        names = await store.collections()
        assert DOCS in names and OTHER in names and MISSING not in names

    async def test_a_memory_keeps_when_who_where_and_what_it_cited(
        self, store: VectorStore
    ) -> None:
        memory = memory_chunk(0, NOV_2 + 0.25)
        question = memory_chunk(1, NOV_2 + 0.5, text="Who chose stew?", open_question=True)
        await store.upsert(
            DOCS,
            SPACES,
            [point(axis(0), memory), point(axis(1), manual_chunk(0)), point(axis(2), question)],
        )

        passages = await store.search(DOCS, q(blend({0: 1.0, 1: 0.5, 2: 0.25})), limit=3)

        assert passages[2].chunk == question and question.open_question
        assert passages[0].chunk == memory and not memory.open_question
        assert passages[0].chunk.said_at == NOV_2 + 0.25
        assert passages[0].chunk.author == "민지 Kim"
        assert passages[0].chunk.thread_id == "1730000000.000100"
        assert passages[0].chunk.cited == ("Recipes.pdf", "벡터 검색 발표")
        # A chunk written without them reads back with none.
        document = passages[1].chunk
        assert (document.said_at, document.author, document.thread_id, document.cited) == (
            None,
            None,
            None,
            (),
        )
        assert memory in await store.all_chunks(DOCS)

    async def test_a_time_window_keeps_what_was_said_from_its_start_up_to_its_end(
        self, store: VectorStore
    ) -> None:
        said = {
            0: NOV_2 - 1.0,  # the second before the window
            1: NOV_2,  # its first instant: inside
            2: NOV_2 + 3 * DAY,
            3: NOV_2 + 7 * DAY - 0.001,  # its last millisecond: inside
            4: NOV_2 + 7 * DAY,  # its end: outside
            5: NOV_2 + 30 * DAY,
        }
        await store.upsert(
            DOCS,
            SPACES,
            [point(blend({0: 1.0, 1: 0.1 * i}), memory_chunk(i, at)) for i, at in said.items()],
        )

        passages = await store.search(
            DOCS, q(axis(0)), limit=10, said_between=(NOV_2, NOV_2 + 7 * DAY)
        )

        assert [p.chunk.index for p in passages] == [1, 2, 3]
        everything = await store.search(DOCS, q(axis(0)), limit=10)
        assert len(everything) == 6
        empty = await store.search(
            DOCS, q(axis(0)), limit=10, said_between=(NOV_2 + 60 * DAY, NOV_2 + 61 * DAY)
        )
        assert empty == []

    async def test_a_time_window_combines_with_the_language_filter(
        self, store: VectorStore
    ) -> None:
        await store.upsert(
            DOCS,
            SPACES,
            [
                point(axis(0), memory_chunk(0, NOV_2 + DAY, "ko", "스튜로 정했어요.")),
                point(blend({0: 1.0, 1: 0.2}), memory_chunk(1, NOV_2 + DAY, "en")),
                point(blend({0: 1.0, 1: 0.4}), memory_chunk(2, NOV_2 - DAY, "ko")),
                point(blend({0: 1.0, 1: 0.6}), memory_chunk(3, NOV_2 + 2 * DAY, None)),
            ],
        )
        week = (NOV_2, NOV_2 + 7 * DAY)

        korean = await store.search(DOCS, q(axis(0)), 10, LanguageFilter("ko"), said_between=week)
        others = await store.search(
            DOCS, q(axis(0)), 10, LanguageFilter("ko", other=True), said_between=week
        )

        assert [p.chunk.index for p in korean] == [0]
        assert [p.chunk.index for p in others] == [1, 3]

    async def test_a_point_said_at_no_known_time_lies_outside_every_window(
        self, store: VectorStore
    ) -> None:
        await store.upsert(
            DOCS,
            SPACES,
            [
                point(axis(0), manual_chunk(0)),
                point(axis(0), memory_chunk(1, None)),
                point(blend({0: 1.0, 1: 1.0}), memory_chunk(2, 0.0)),
            ],
        )

        widest = await store.search(DOCS, q(axis(0)), 10, said_between=(-1e12, 1e12))

        # The epoch itself is a time: only the undated points are left out.
        assert [p.chunk.index for p in widest] == [2]
