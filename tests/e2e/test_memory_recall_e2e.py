"""Memory's bar (memory.min_score) is the one the recall set gives, and recall stays good.

The set (tests/data/memory_recall.json) is kept and recalled once, through ChannelMemory
with the configured embedders on Qdrant Edge and the bot's own recall
(bench/memory_recall.py); a change to the embedders, their weights or what is embedded
for an exchange must come with a recalibration (python bench/memory_bench.py
--skip-latency).
"""

from __future__ import annotations

from datetime import UTC

import pytest_asyncio

from adapters.dateparser_dates import DateparserDates
from bench import memory_recall
from bench.memory_recall import RecallQuality
from config.settings import Settings
from core.time_windows import time_window


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def quality() -> RecallQuality:
    return await memory_recall.measure(Settings())


def test_the_set_is_shaped_like_a_team_channel() -> None:
    recall_set = memory_recall.load_set()
    questions = recall_set.questions
    answerable = [q for q in questions if q.answerable]
    pairs = {(q.language, recall_set.language_of(q.answers[0])) for q in answerable}
    days = {e.sent_at.date() for e in recall_set.exchanges}

    assert len(recall_set.exchanges) >= 60 and len({e.author for e in recall_set.exchanges}) >= 6
    assert (max(days) - min(days)).days >= 49
    assert len(answerable) >= 40 and len(questions) - len(answerable) >= 15
    assert pairs == {("en", "en"), ("en", "ko"), ("ko", "en"), ("ko", "ko")}


def test_a_time_phrase_names_the_window_its_answer_was_said_in() -> None:
    recall_set = memory_recall.load_set()
    said = {e.exchange_id: e.sent_at for e in recall_set.exchanges}
    dates = DateparserDates()
    windowed = 0
    for question in recall_set.questions:
        window = time_window(question.text, recall_set.now, recall_set.time_zone, dates)
        if window is None or not question.answerable or question.note:
            continue
        windowed += 1
        assert any(
            window.start <= said[a].astimezone(UTC) < window.end for a in question.answers
        ), question.text
    assert windowed >= 20


async def test_the_configured_memory_bar_is_the_calibrated_one(quality: RecallQuality) -> None:
    bar, balanced = quality.best_bar()

    assert abs(Settings().memory.min_score - bar) <= 0.01, "recalibrate memory.min_score"
    # Floors under today's figures (README, Memory), so a regression shows.
    assert quality.auc >= 0.85
    assert balanced >= 0.8 and quality.balanced_accuracy(quality.configured_bar) >= 0.8


async def test_the_right_exchange_is_recalled(quality: RecallQuality) -> None:
    assert quality.hit_rate(3) >= 0.92  # issue 18's target is 0.9
    assert quality.hit_rate(1) >= 0.85
    assert quality.hit_rate(3, lambda r: r.window is not None) >= 0.9
    assert quality.hit_rate(3, lambda r: r.question.language != "en") >= 0.9
