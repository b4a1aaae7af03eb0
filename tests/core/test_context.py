"""Retrieved units are read with the chunks around them; close hits share one window."""

from __future__ import annotations

from core.context import context_text, with_context
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ingestion import embed_chunks
from core.models import Chunk, Passage, Source
from tests.fakes import MemoryStore, WordEmbedder

SOURCE = Source("s1", "runbook.md")
COLLECTION = "documents"


async def _stored(chunks: list[Chunk]) -> MemoryStore:
    store = MemoryStore()
    embeddings = EmbeddingSet([WeightedEmbedder(WordEmbedder())])
    await store.upsert(COLLECTION, embeddings.spaces, await embed_chunks(embeddings, chunks))
    return store


async def test_touching_hits_share_a_window_with_the_score_of_the_best_match() -> None:
    chunks = [Chunk(f"Step {n}.", SOURCE, n, heading="Payments") for n in range(6)]
    store = await _stored(chunks)
    # Ordered first by standing, but the second cleared the bar with the higher score.
    first, second = Passage(chunks[2], 0.61), Passage(chunks[3], 0.66)

    merged = await with_context(store, COLLECTION, [first, second], window=1)

    assert len(merged) == 1
    assert merged[0].score == 0.66
    assert [chunk.index for chunk in merged[0].context] == [1, 2, 3, 4]


async def test_touching_hits_in_two_sections_share_a_window_holding_both() -> None:
    chunks = [
        Chunk("Parking is in the basement.", SOURCE, 0, heading="Parking"),
        Chunk("Fees are listed in the contract.", SOURCE, 1, heading="Fees"),
        Chunk("The hotline is 1600-7720.", SOURCE, 2, heading="Contacts"),
    ]
    store = await _stored(chunks)

    found = await with_context(
        store, COLLECTION, [Passage(chunks[1], 0.7), Passage(chunks[2], 0.65)], window=1
    )

    # The neighbour in a third section is left out; neither hit's text is.
    assert [context_text(passage) for passage in found] == [
        "Fees\nFees are listed in the contract.\nContacts\nThe hotline is 1600-7720."
    ]
