"""Several embedding models as one: each text gets a vector per model, scored by weight.

Measured on the cross-language set (README, Retrieval): multilingual e5 and Google's
multilingual USE make different mistakes, and the mean of their two cosines separates
answerable from unrelated questions far better than either alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import QueryVectors, Vectors, VectorSpace
from core.ports import Embedder


@dataclass(frozen=True)
class WeightedEmbedder:
    """One member of the set and the weight of its cosine in a score."""

    embedder: Embedder
    weight: float = 1.0


class EmbeddingSet:
    """Embeds with every member concurrently; names the vector spaces a collection holds."""

    def __init__(self, members: Sequence[WeightedEmbedder]) -> None:
        if not members:
            raise ValueError("an embedding set needs at least one embedder")
        names = [member.embedder.name for member in members]
        if len(set(names)) != len(names):
            raise ValueError(f"embedder names must differ: {names}")
        if any(member.weight <= 0 for member in members):
            raise ValueError("embedder weights must be positive")
        self._members = tuple(members)

    @property
    def members(self) -> tuple[WeightedEmbedder, ...]:
        """The embedders and their weights."""
        return self._members

    @property
    def spaces(self) -> tuple[VectorSpace, ...]:
        """The named vectors each point carries."""
        return tuple(VectorSpace(m.embedder.name, m.embedder.dimension) for m in self._members)

    @property
    def key(self) -> str:
        """Identifies the vectors a collection was built with (part of its name)."""
        return "-".join(sorted(member.embedder.name for member in self._members))

    @property
    def weights(self) -> dict[str, float]:
        """The weight of each space's cosine in a score."""
        return {member.embedder.name: member.weight for member in self._members}

    async def embed_passages(self, texts: Sequence[str]) -> list[Vectors]:
        """Every text in every space, in order."""
        if not texts:
            return []
        results = await asyncio.gather(
            *(member.embedder.embed_passages(texts) for member in self._members)
        )
        return [
            {
                member.embedder.name: tuple(vectors[row])
                for member, vectors in zip(self._members, results, strict=True)
            }
            for row in range(len(texts))
        ]

    async def embed_query(self, text: str) -> QueryVectors:
        """The query in every space, with the weights that score it."""
        # One after the other: each engine uses the cores itself, and run at once they
        # contend for them (measured: p50 24 ms in turn, 26-30 ms at once, on 2 cores).
        results = [await member.embedder.embed_query(text) for member in self._members]
        vectors = {
            member.embedder.name: tuple(vector)
            for member, vector in zip(self._members, results, strict=True)
        }
        return QueryVectors(vectors=vectors, weights=self.weights)
