"""Ordering candidates by how far each stands above the others of its language."""

from __future__ import annotations

import pytest

from core.models import Chunk, Passage, Source
from core.ranking import MIN_POOL, standings

WEIGHTS = {"e5": 1.0, "use": 1.0}


def passage(text: str, language: str, e5: float, use: float) -> Passage:
    return Passage(
        Chunk(text, Source(text, f"{text}.md"), 0, language=language),
        (e5 + use) / 2,
        cosines={"e5": e5, "use": use},
    )


def test_the_best_passage_of_another_language_outranks_an_ordinary_one_in_the_question_s() -> None:
    korean = [passage(f"ko{i}", "ko", 0.85 - i * 0.001, 0.20 - i * 0.001) for i in range(6)]
    english = [passage(f"en{i}", "en", 0.77 - i * 0.01, 0.12 - i * 0.01) for i in range(6)]
    english[0] = passage("answer", "en", 0.80, 0.22)  # far above the other English passages

    ranked = sorted(standings([korean, english], WEIGHTS), key=lambda item: -item[1])

    assert ranked[0][0].chunk.text == "answer"
    # The plain score would have put every Korean passage first.
    assert max(p.score for p in korean) > english[0].score


def test_within_one_pool_the_order_follows_the_weighted_cosines() -> None:
    pool = [passage(f"p{i}", "en", 0.9 - i * 0.01, 0.5 - i * 0.02) for i in range(MIN_POOL)]

    ranked = sorted(standings([pool, []], WEIGHTS), key=lambda item: -item[1])

    assert [p.chunk.text for p, _ in ranked] == [f"p{i}" for i in range(MIN_POOL)]


def test_a_pool_too_small_for_its_own_spread_is_standardised_among_all_candidates() -> None:
    big = [passage(f"ko{i}", "ko", 0.85 - i * 0.01, 0.3 - i * 0.01) for i in range(MIN_POOL)]
    lone = [passage("lone", "en", 0.70, 0.10)]  # lower than every Korean passage in both

    ranked = dict((p.chunk.text, value) for p, value in standings([big, lone], WEIGHTS))

    assert ranked["lone"] < min(ranked[f"ko{i}"] for i in range(MIN_POOL))
    assert ranked["lone"] == pytest.approx(min(ranked.values()))
