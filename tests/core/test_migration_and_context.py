"""Collections of an earlier embedder are re-embedded; hits are read with their neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.answering import AnsweringService, AnsweringSettings
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ingestion import embed_chunks
from core.models import Chunk, Source, StoredPoint, VectorSpace
from core.names import ChannelVocabulary
from core.naming import CollectionPurpose, collection_base, collection_name
from tests.core.conftest import CHANNEL_A, CHANNEL_B, TOWER, build_harness
from tests.fakes import MemoryStore, ScriptedModel, TableBridge, WordEmbedder, word_vector


async def seed_legacy_collection(store: MemoryStore) -> str:
    """A collection as the single-vector layout left it: no key in its name, one vector."""
    legacy = collection_base(CHANNEL_A, CollectionPurpose.DOCUMENTS)
    source = Source("s-tower", "tower.txt")
    paragraphs = TOWER.split("\n\n")
    points = [
        StoredPoint(f"p{i}", {"": tuple(word_vector(text, 32))}, Chunk(text, source, i))
        for i, text in enumerate(paragraphs)
    ]
    await store.upsert(legacy, (VectorSpace("", 32),), points)
    return legacy


async def test_an_old_collection_is_re_embedded_on_first_use_and_answers_cite_it(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path)
    legacy = await seed_legacy_collection(harness.store)

    await harness.say("When was the Glimmerstone Tower built?")

    shown = harness.chat.shown()
    assert any("Re-embedding this channel's sources" in text for text in shown)
    assert any("3/3" in text for text in shown)
    assert "[1] tower.txt" in harness.chat.last().split("Sources:")[1]
    assert legacy not in harness.store.data
    current = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, "words")
    assert await harness.store.count(current) == 3
    assert harness.store.spaces[current] == {"words": 256}


async def test_a_migration_cut_short_runs_again_without_doubling_or_losing_chunks(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path)
    legacy = await seed_legacy_collection(harness.store)
    current = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, "words")
    # A first run wrote one chunk, then the process died before dropping the old collection.
    embeddings = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
    first = (await harness.store.all_chunks(legacy))[:1]
    await harness.store.upsert(current, embeddings.spaces, await embed_chunks(embeddings, first))

    await harness.say("sources")

    assert await harness.store.count(current) == 3
    assert legacy not in harness.store.data
    assert "tower.txt" in harness.chat.last()


async def test_another_channel_is_not_migrated_or_touched(tmp_path: Path) -> None:
    harness = build_harness(tmp_path)
    legacy = await seed_legacy_collection(harness.store)

    await harness.say("sources", channel=CHANNEL_B)

    assert legacy in harness.store.data


async def test_a_hit_is_read_with_its_neighbours_and_close_hits_share_one_window() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
    source = Source("s1", "notes.md")
    texts = [f"filler sentence number {i} about nothing" for i in range(10)]
    texts[4] = "The badge office opens at nine."
    texts[5] = "The badge office closes at five."
    chunks = [Chunk(text, source, i, heading="Badges") for i, text in enumerate(texts)]
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, chunks))
    service = AnsweringService(
        store, embeddings, ScriptedModel(), AnsweringSettings(top_k=2, min_score=0.3)
    )

    passages = await service.retrieve(CHANNEL_A, "when does the badge office open", [])

    assert len(passages) == 1
    assert [chunk.index for chunk in passages[0].context] == [3, 4, 5, 6]


async def test_the_language_bonus_follows_the_question_asked_not_its_bridged_names() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
    korean = Chunk("한빛농장 open when 영업시간", Source("s1", "farm.md"), 0, language="ko")
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, [korean]))
    service = AnsweringService(
        store,
        embeddings,
        ScriptedModel(),
        AnsweringSettings(min_score=0.0, cross_language_bonus=0.5),
        ChannelVocabulary(store, TableBridge({"Hanbit": "한빛농장"})),
    )

    # Bridged, "When does 한빛농장 open" reads as Korean; the question asked is English.
    passages = await service.retrieve(CHANNEL_A, "When does Hanbit open", [])

    assert passages[0].score > 1.0


async def _service_over(chunks: list[Chunk], settings: AnsweringSettings) -> AnsweringService:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, chunks))
    return AnsweringService(store, embeddings, ScriptedModel(), settings)


ENGLISH_HIT = Chunk("annual leave days per year", Source("s1", "handbook.md"), 0, language="en")
KOREAN_NEAR = Chunk("annual 연차 휴가", Source("s2", "guide-ko.md"), 0, language="ko")
QUESTION = "how many annual leave days per year"


async def test_the_language_bonus_lifts_a_passage_in_another_language_over_the_bar() -> None:
    plain = await _service_over([KOREAN_NEAR], AnsweringSettings(min_score=0.0))
    [found] = await plain.retrieve(CHANNEL_A, QUESTION, [])
    bar = found.score + 0.01

    without = await _service_over([KOREAN_NEAR], AnsweringSettings(min_score=bar))
    with_bonus = await _service_over(
        [KOREAN_NEAR], AnsweringSettings(min_score=bar, cross_language_bonus=0.05)
    )

    assert await without.retrieve(CHANNEL_A, QUESTION, []) == []
    [lifted] = await with_bonus.retrieve(CHANNEL_A, QUESTION, [])
    assert lifted.score == pytest.approx(found.score + 0.05)
    assert lifted.similarity == pytest.approx(found.score)


async def test_the_relative_margin_judges_passages_without_the_language_bonus() -> None:
    both = [ENGLISH_HIT, KOREAN_NEAR]
    plain = await _service_over(both, AnsweringSettings(min_score=0.0, relative_margin=1.0))
    scores = {p.chunk.source.title: p.score for p in await plain.retrieve(CHANNEL_A, QUESTION, [])}
    gap = scores["handbook.md"] - scores["guide-ko.md"]
    assert gap > 0.02

    # A bonus that would bring the Korean passage within the margin leaves it out all the same.
    service = await _service_over(
        both,
        AnsweringSettings(min_score=0.0, relative_margin=gap - 0.01, cross_language_bonus=gap),
    )

    passages = await service.retrieve(CHANNEL_A, QUESTION, [])
    assert [p.chunk.source.title for p in passages] == ["handbook.md"]
