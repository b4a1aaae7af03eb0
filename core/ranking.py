"""Order candidates so a passage in another language than the question can come first.

A multilingual embedder scores every passage in the question's own language higher than an
equally relevant one in another, and by a different amount in each vector space. Within the
nearest candidates of one language, though, how far a passage stands above the others is
comparable: so the candidates are fetched per language (the question's, and any other),
each space's cosines are standardised within each pool, and the weighted mean of those
standings orders the passages. Measured on the labelled set (README, Retrieval); the
decision "anything relevant?" still uses the plain weighted cosine, which separates
on-topic from unrelated questions better.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from core.models import Passage

# A pool smaller than this (a language the channel barely holds) has no reliable spread
# of its own: it is standardised among all candidates.
MIN_POOL = 5


def standings(
    pools: Sequence[Sequence[Passage]], weights: Mapping[str, float]
) -> list[tuple[Passage, float]]:
    """Every passage of every pool with the weighted mean, over vector spaces, of its cosine
    standardised within its pool."""
    everyone = [passage for pool in pools for passage in pool]
    total = sum(weights.values())
    ranked: list[tuple[Passage, float]] = []
    for pool in pools:
        reference = pool if len(pool) >= MIN_POOL else everyone
        spreads = {
            name: _mean_and_spread([p.cosines.get(name, 0.0) for p in reference])
            for name in weights
        }
        for passage in pool:
            standing = sum(
                weight * (passage.cosines.get(name, 0.0) - spreads[name][0]) / spreads[name][1]
                for name, weight in weights.items()
            )
            ranked.append((passage, standing / total))
    return ranked


def _mean_and_spread(values: list[float]) -> tuple[float, float]:
    # In floats: statistics.pstdev works in exact fractions, 1.7 ms a question.
    if not values:
        return 0.0, 1.0
    mean = math.fsum(values) / len(values)
    spread = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))
    return mean, spread or 1.0
