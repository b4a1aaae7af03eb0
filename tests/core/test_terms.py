"""The rare words a question shares with a passage count for that passage."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from core.answering import AnsweringService, AnsweringSettings
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ingestion import embed_chunks
from core.models import Chunk, Source, WordParts
from core.names import ChannelVocabulary
from core.naming import CollectionPurpose, collection_name
from core.terms import TermStatistics, terms, word_forms
from tests.core.conftest import CHANNEL_A
from tests.fakes import MemoryStore, ScriptedModel, TableBridge


class _SameVector:
    """Every text gets the same vector, so only shared words tell passages apart."""

    name = "same"
    dimension = 4

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [[0.5, 0.5, 0.5, 0.5] for _ in texts]

    async def embed_query(self, text: str) -> list[float]:
        return [0.5, 0.5, 0.5, 0.5]


class _TableAnalyser:
    """A morphological analyser by table: each test states the analyses it relies on."""

    def __init__(self, table: dict[str, WordParts]) -> None:
        self._table = table

    def parts(self, word: str) -> WordParts:
        return self._table[word]


def _nouns(*nouns: str, predicate: bool = False) -> WordParts:
    return WordParts(frozenset(nouns), bool(nouns), predicate)


def test_terms_are_topic_words_with_korean_particles_taken_off() -> None:
    assert terms("퀼론은 언제 장애가 났어? What caused the Quillon outage in 2026") == {
        "퀼론",
        "장애",
        "났어",
        "caused",
        "quillon",
        "outage",
        "2026",
    }


def test_a_one_syllable_particle_may_be_the_words_own_end() -> None:
    # 이 is a particle, and the end of the name 바로페이.
    assert word_forms("바로페이 장애") == [frozenset({"바로페이", "바로페"}), frozenset({"장애"})]
    assert "바로페이" in terms("바로페이와 누리결제를 씁니다")


def test_a_verb_made_of_a_noun_holds_the_noun() -> None:
    assert "전화" in terms("어디로 전화하면 돼")
    assert "처리" in terms("초당 몇 건 처리했대")
    assert "연결" in terms("담당 엔지니어에게 연결됩니다")


def test_question_words_and_their_particles_are_left_out() -> None:
    assert terms("어디로 가야 돼? 언제가 좋아") == {"가야", "좋아"}


def test_a_question_word_counts_once_whichever_of_its_forms_a_passage_holds() -> None:
    passage = "바로페이와 누리결제 핫라인은 1600-7720번입니다."
    statistics = TermStatistics([passage] + ["회의 메모"] * 20)
    question = word_forms("바로페이 쪽 장애면 어디로 전화하면 돼")

    assert statistics.shared(question, passage) == pytest.approx(statistics.rarity("바로페이"))


def test_a_passage_holds_stems_not_the_particles_of_its_words() -> None:
    # The question's whole words are tried against stems: 회사가 matches 회사, and an
    # inflected form the passage repeats exactly counts no more than the stem.
    assert terms("회사가 내줍니다") == {"회사", "내줍니다"}


def test_a_word_one_chunk_holds_weighs_about_one_and_a_common_word_little() -> None:
    statistics = TermStatistics(
        [f"the office opens at nine, note {n}" for n in range(40)] + ["Quillon failed at night"]
    )

    assert statistics.rarity("quillon") == pytest.approx(1.0, abs=0.15)
    assert statistics.rarity("office") < 0.1
    assert statistics.rarity("unknown") > statistics.rarity("quillon")
    assert statistics.shared(word_forms("quillon office"), "Quillon office") == pytest.approx(
        statistics.rarity("quillon") + statistics.rarity("office")
    )


async def test_a_passage_sharing_a_rare_word_with_the_question_scores_and_ranks_higher() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(_SameVector())])
    source = Source("s1", "ops.md")
    chunks = [
        Chunk(f"Routine maintenance note number {n} for the office.", source, n) for n in range(12)
    ]
    chunks.append(Chunk("The Quillon outage was caused by an expired certificate.", source, 12))
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, chunks))
    vocabulary = ChannelVocabulary(store, TableBridge())
    plain = AnsweringService(
        store, embeddings, ScriptedModel(), AnsweringSettings(min_score=0.0), vocabulary
    )
    weighted = AnsweringService(
        store,
        embeddings,
        ScriptedModel(),
        AnsweringSettings(min_score=0.0, term_weight=0.1, term_standing=1.0),
        vocabulary,
    )
    question = "what caused the quillon outage?"

    without = await plain.retrieve(CHANNEL_A, question, [])
    found = await weighted.retrieve(CHANNEL_A, question, [])

    assert found[0].chunk.index == 12
    assert found[0].score > without[0].score + 0.1


async def test_a_name_written_in_the_other_script_counts_once_more_for_the_bar() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(_SameVector())])
    source = Source("ko", "런북.md")
    chunks = [Chunk(f"일반 운영 메모 {n}번입니다.", source, n, language="ko") for n in range(12)]
    chunks.append(Chunk("온콜 리드 정하윤(내선 4417)이 지휘합니다.", source, 12, language="ko"))
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, chunks))
    vocabulary = ChannelVocabulary(store, TableBridge({"Jeong Ha-yun": "정하윤"}))

    async def best(question: str, named_weight: float) -> tuple[int, float]:
        settings = AnsweringSettings(
            min_score=0.0, term_weight=0.1, term_standing=1.0, bridged_name_weight=named_weight
        )
        service = AnsweringService(store, embeddings, ScriptedModel(), settings, vocabulary)
        found = await service.retrieve(CHANNEL_A, question, [])
        return found[0].chunk.index, found[0].score

    plain_index, plain = await best("What's Jeong Ha-yun's extension?", 0.0)
    named_index, named = await best("What's Jeong Ha-yun's extension?", 0.1)
    # Written in the passage's own script, the name counts once, as any shared word.
    _, same_script = await best("What's 정하윤's extension?", 0.1)

    assert plain_index == named_index == 12
    assert named > plain + 0.05
    assert same_script == pytest.approx(plain)


class _ThreadRecordingBridge(TableBridge):
    """Records the thread each reading of a channel's names ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def names_in(self, texts: object) -> set[str]:
        self.threads.append(threading.get_ident())
        return set()


async def test_a_channels_words_are_read_off_the_loop_once_for_questions_asked_meanwhile() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(_SameVector())])
    chunks = [Chunk("The Quillon outage notes.", Source("s1", "notes.md"), 0)]
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, chunks))
    bridge = _ThreadRecordingBridge()
    vocabulary = ChannelVocabulary(store, bridge)

    read = await asyncio.gather(*(vocabulary.read(collection, "quillon?") for _ in range(3)))

    assert bridge.threads and threading.get_ident() not in bridge.threads
    assert len(bridge.threads) == 1
    assert all(statistics is read[0][1] for _, statistics in read)
    # A source indexed since: read again.
    more = [Chunk("The Kestrel release notes.", Source("s2", "kestrel.md"), 0)]
    await store.upsert(collection, embeddings.spaces, await embed_chunks(embeddings, more))
    _, statistics = await vocabulary.read(collection, "kestrel?")
    assert len(bridge.threads) == 2 and statistics is not read[0][1]


async def test_the_cross_language_lift_moves_a_passage_in_the_other_language_up() -> None:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(_SameVector())])
    english = Chunk("The Quillon outage notes.", Source("en", "notes.md"), 0, language="en")
    korean = Chunk("퀼론 장애 기록.", Source("ko", "기록.md"), 0, language="ko")
    collection = collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, embeddings.key)
    await store.upsert(
        collection, embeddings.spaces, await embed_chunks(embeddings, [english, korean])
    )

    async def first(lift: float) -> str:
        settings = AnsweringSettings(
            min_score=0.0,
            rank_within_languages=True,
            term_weight=0.0,
            term_standing=0.5,
            cross_language_standing=lift,
        )
        service = AnsweringService(
            store, embeddings, ScriptedModel(), settings, ChannelVocabulary(store, TableBridge())
        )
        found = await service.retrieve(CHANNEL_A, "what caused the quillon outage?", [])
        return found[0].chunk.source.title

    # The English passage shares a rare word with the question; a lift above what that word
    # adds puts the Korean one first.
    assert await first(0.0) == "notes.md"
    assert await first(1.0) == "기록.md"


def test_with_an_analyser_a_korean_word_counts_by_its_nouns_not_its_verbs_or_adverbs() -> None:
    analyser = _TableAnalyser(
        {
            "생크림": _nouns("생크림", "크림"),
            "없이": _nouns(),
            "까르보나라": _nouns("까르보나라"),
            "만드는": _nouns(predicate=True),
            "법": _nouns(),
        }
    )

    # The rules alone take the verb 만드는 and the adverb 없이 for topics.
    assert {"없이", "만드"} <= terms("생크림 없이 까르보나라 만드는 법")
    assert terms("생크림 없이 까르보나라 만드는 법", analyser) == {"생크림", "크림", "까르보나라"}


def test_with_an_analyser_a_word_without_a_predicate_keeps_its_stem_beside_its_nouns() -> None:
    # The analyser splits the product name oddly (an adverb and a noun); the stem still counts.
    analyser = _TableAnalyser(
        {"바로페이": _nouns("페이"), "전화하면": _nouns("전화", predicate=True)}
    )

    assert word_forms("바로페이 전화하면", analyser) == [
        frozenset({"바로페이", "바로페", "페이"}),
        frozenset({"전화"}),
    ]


def test_the_statistics_find_a_questions_words_as_they_found_the_chunks_words() -> None:
    analyser = _TableAnalyser(
        {
            "수수료율이": _nouns("수수료", "수수료율"),
            "수수료는": _nouns("수수료"),
            "입니다": _nouns(predicate=True),
            "회의": _nouns("회의"),
            "메모": _nouns("메모"),
        }
    )
    statistics = TermStatistics(["수수료는 2%입니다"] + ["회의 메모"] * 20, analyser)

    question = statistics.question_forms("수수료율이")

    assert statistics.shared(question, "수수료는 2%입니다") == pytest.approx(
        statistics.rarity("수수료")
    )
    assert statistics.shared(word_forms("수수료율이"), "수수료는 2%입니다") == 0.0
