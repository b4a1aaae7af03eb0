"""Retrieval decisions: the relevance bar, and when a follow-up may use the previous question."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from core.answering import AnsweringService, AnsweringSettings
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.models import Chunk, Exchange, Source, StoredPoint, VectorSpace
from core.naming import CollectionPurpose, collection_name
from tests.core.conftest import CHANNEL_A
from tests.fakes import MemoryStore, ScriptedModel


def unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(value * value for value in values))
    return [value / norm for value in values]


def at_angle(similarity: float) -> list[float]:
    """A vector whose cosine with (1, 0, 0) is `similarity`."""
    return [similarity, math.sqrt(1 - similarity * similarity), 0.0]


class TableEmbedder:
    """Embeds queries by a table, so each test states the similarities it relies on."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self._table = table

    @property
    def name(self) -> str:
        return "table"

    @property
    def dimension(self) -> int:
        return 3

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._table[text] for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return self._table[text]


PREVIOUS = "Who designed the tower?"
FOLLOW_UP = "And how tall is it?"


async def tower_service(question_scores: dict[str, float]) -> AnsweringService:
    store = MemoryStore()
    tower = Chunk("The tower is 212 m tall.", Source("s1", "tower.txt"), 0)
    await store.upsert(
        collection_name(CHANNEL_A, CollectionPurpose.DOCUMENTS, "table"),
        (VectorSpace("table", 3),),
        [StoredPoint("p1", {"table": (1.0, 0.0, 0.0)}, tower)],
    )
    embedder = TableEmbedder({text: at_angle(score) for text, score in question_scores.items()})
    service = AnsweringService(
        store,
        EmbeddingSet([WeightedEmbedder(embedder)]),
        ScriptedModel(),
        AnsweringSettings(min_score=0.8, follow_up_tolerance=0.01),
    )
    return service


async def retrieve(
    question_scores: dict[str, float], question: str, history: list[Exchange]
) -> list[str]:
    service = await tower_service(question_scores)
    passages = await service.retrieve(CHANNEL_A, question, history)
    return [passage.chunk.text for passage in passages]


async def test_a_passage_below_the_bar_is_not_relevant() -> None:
    assert await retrieve({"q": 0.79}, "q", []) == []
    assert await retrieve({"q": 0.80}, "q", []) == ["The tower is 212 m tall."]


@pytest.mark.parametrize("score", [0.78, 0.799, 0.80, 0.9])
async def test_the_best_match_scores_what_the_bar_judges(score: float) -> None:
    service = await tower_service({"q": score})

    best = await service.best_match(CHANNEL_A, "q")
    found = await service.retrieve(CHANNEL_A, "q", [])

    assert best is not None and math.isclose(best.score, score, abs_tol=1e-6)
    assert bool(found) == (best.score >= service.settings.min_score)


async def test_a_follow_up_that_stays_on_the_topic_finds_the_passage() -> None:
    scores = {FOLLOW_UP: 0.78, PREVIOUS: 0.90, f"{PREVIOUS} {FOLLOW_UP}": 0.905}

    found = await retrieve(scores, FOLLOW_UP, [Exchange(PREVIOUS, "Odile Marchetti.")])

    assert found == ["The tower is 212 m tall."]


async def test_a_new_question_that_dilutes_the_topic_does_not_inherit_its_passages() -> None:
    peru = "What is the capital of Peru?"
    scores = {peru: 0.73, PREVIOUS: 0.90, f"{PREVIOUS} {peru}": 0.87}

    found = await retrieve(scores, peru, [Exchange(PREVIOUS, "Odile Marchetti.")])

    assert found == []


async def test_a_passage_the_previous_question_did_not_reach_does_not_come_back() -> None:
    # Adding the new question's words lifts a passage the previous question scored under
    # the bar: it was not the previous answer's, so a new subject must not inherit it.
    peru = "What is the capital of Peru?"
    scores = {peru: 0.70, PREVIOUS: 0.79, f"{PREVIOUS} {peru}": 0.81}

    found = await retrieve(scores, peru, [Exchange(PREVIOUS, "Odile Marchetti.")])

    assert found == []


async def test_without_history_only_the_question_itself_is_searched() -> None:
    assert await retrieve({FOLLOW_UP: 0.78}, FOLLOW_UP, []) == []
