"""Time-aware chunks of transcripts, and the second an answer cites inside a chunk."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import pytest

from core.models import Chapter, Chunk, Cue, Source, SourceKind
from core.timed_chunks import approximate_tokens, cited_second, ends_sentence, timed_chunks

VIDEO = Source(
    source_id="yt:dQw4w9WgXcQ",
    title="How the Eiffel Tower was built",
    kind=SourceKind.MEDIA,
    url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
)


def cues_from(lines: Sequence[str], start: float = 0.0, step: float = 3.0) -> list[Cue]:
    """Captions `step` seconds apart, each shown until the next one starts."""
    return [Cue(start + at * step, start + (at + 1) * step, text) for at, text in enumerate(lines)]


def words(text: str) -> int:
    return len(text.split())


ENGLISH_LINES = [
    "Hi everyone, and welcome back to the channel.",
    "Today we look at how the Eiffel Tower was built,",
    "and why Paris almost tore it down.",
    "Construction started in January 1887",
    "on the Champ de Mars, next to the river Seine.",
    "About three hundred workers joined",
    "eighteen thousand wrought iron parts",
    "with two and a half million rivets.",
    "The tower was finished in March 1889,",
    "just in time for the World's Fair.",
    "At 300 meters it was the tallest structure in the world",
    "until the Chrysler Building passed it in 1930.",
    "Many artists hated it at first.",
    "They signed a letter calling it useless and monstrous.",
    "The permit was only for twenty years,",
    "so the tower was meant to come down in 1909.",
    "It was saved because it was useful as a radio antenna.",
    "Today it welcomes almost seven million visitors a year.",
]
ENGLISH = cues_from(ENGLISH_LINES)
ENGLISH_CHAPTERS = [
    Chapter("Intro", 0.0),
    Chapter("Construction", 9.0),
    Chapter("Controversy", 36.0),
]

# Korean automatic captions: no punctuation, sentences end in 니다/어요 and the like.
KOREAN_LINES = [
    "안녕하세요 여러분 오늘은 에펠탑 이야기를 해 보겠습니다",
    "에펠탑은 파리 마르스 광장에",
    "1887년 1월부터 짓기 시작했고",
    "1889년 3월에 완공되었습니다",
    "높이는 약 330미터로",
    "당시 세계에서 가장 높은 건축물이었어요",
    "처음에는 많은 예술가들이 반대했는데",
    "무선 안테나로 쓸모가 있어서 철거되지 않았죠",
    "지금은 해마다 약 700만 명이 찾는다고 합니다",
]
KOREAN = cues_from(KOREAN_LINES, start=1.5, step=4.0)


def cue_texts(chunk: Chunk) -> list[str]:
    """The caption texts of a chunk, read back through its cue offsets."""
    ends = [offset for offset, _ in chunk.cue_starts[1:]] + [len(chunk.text)]
    return [
        chunk.text[offset:end].strip()
        for (offset, _), end in zip(chunk.cue_starts, ends, strict=True)
    ]


# --- chunking ---------------------------------------------------------------------------


def test_every_caption_lands_in_exactly_one_chunk_in_order() -> None:
    chunks = timed_chunks(ENGLISH, VIDEO, target_tokens=25, count_tokens=words)

    assert [text for chunk in chunks for text in cue_texts(chunk)] == ENGLISH_LINES
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert len(chunks) > 2


def test_a_chunk_knows_its_start_end_and_the_start_of_every_caption() -> None:
    chunks = timed_chunks(ENGLISH, VIDEO, target_tokens=25, count_tokens=words)
    by_text = {cue.text: cue for cue in ENGLISH}

    for chunk in chunks:
        texts = cue_texts(chunk)
        assert chunk.start_seconds == by_text[texts[0]].start
        assert chunk.end_seconds == by_text[texts[-1]].end
        assert [start for _, start in chunk.cue_starts] == [by_text[t].start for t in texts]
        for offset, start in chunk.cue_starts:
            assert chunk.text[offset:].startswith(next(c.text for c in ENGLISH if c.start == start))
        assert chunk.source == VIDEO


def test_chunks_stay_within_the_target_and_end_at_sentence_ends() -> None:
    chunks = timed_chunks(ENGLISH, VIDEO, target_tokens=25, count_tokens=words)

    assert all(words(chunk.text) <= 25 for chunk in chunks)
    assert sum(ends_sentence(chunk.text) for chunk in chunks) >= len(chunks) - 1
    for chunk in chunks:
        if not ends_sentence(chunk.text):
            # Cut mid-sentence only when every sentence end in it comes before half the target.
            texts = cue_texts(chunk)
            for through in range(1, len(texts) + 1):
                if ends_sentence(texts[through - 1]):
                    assert words(" ".join(texts[:through])) * 2 < 25


def test_a_sentence_end_too_early_in_the_chunk_is_not_waited_for() -> None:
    # Only the first caption ends a sentence: cutting there would leave a tiny chunk.
    cues = cues_from(["Short.", *[f"word{n} goes on and on" for n in range(8)]])

    chunks = timed_chunks(cues, VIDEO, target_tokens=20, count_tokens=words)

    assert words(chunks[0].text) > 10
    assert all(words(chunk.text) <= 20 for chunk in chunks)


def test_chunks_never_cross_a_chapter_and_carry_its_title() -> None:
    chunks = timed_chunks(ENGLISH, VIDEO, ENGLISH_CHAPTERS, target_tokens=40, count_tokens=words)

    for chunk in chunks:
        assert chunk.start_seconds is not None and chunk.end_seconds is not None
        chapter = max(
            (c for c in ENGLISH_CHAPTERS if c.start <= chunk.start_seconds), key=lambda c: c.start
        )
        assert chunk.heading == chapter.title
        later = [c.start for c in ENGLISH_CHAPTERS if c.start > chunk.start_seconds]
        assert not later or chunk.end_seconds <= min(later)
    assert [chunk.heading for chunk in chunks][:2] == ["Intro", "Construction"]
    assert chunks[0].text == " ".join(ENGLISH_LINES[:3])
    assert chunks[0].embedded_text.startswith("Intro\n")


def test_chapters_may_come_in_any_order_and_captions_before_the_first_have_none() -> None:
    chapters = [Chapter("Later", 30.0), Chapter("Middle", 12.0)]

    chunks = timed_chunks(ENGLISH, VIDEO, chapters, target_tokens=200, count_tokens=words)

    assert [(chunk.heading, chunk.start_seconds) for chunk in chunks] == [
        (None, 0.0),
        ("Middle", 12.0),
        ("Later", 30.0),
    ]


def test_a_chapter_with_an_end_leaves_the_captions_after_it_without_a_title() -> None:
    chunks = timed_chunks(ENGLISH, VIDEO, [Chapter("Only part", 0.0, end=9.0)], count_tokens=words)

    assert [(chunk.heading, chunk.start_seconds) for chunk in chunks] == [
        ("Only part", 0.0),
        (None, 9.0),
    ]


def test_english_automatic_captions_without_punctuation_split_at_the_target() -> None:
    lines = [line.lower().strip(".,") for line in ENGLISH_LINES]
    chunks = timed_chunks(cues_from(lines), VIDEO, target_tokens=20, count_tokens=words)

    assert [text for chunk in chunks for text in cue_texts(chunk)] == lines
    assert all(words(chunk.text) <= 20 for chunk in chunks)
    # Full chunks: each holds as many captions as fit.
    for chunk, following in pairwise(chunks):
        assert words(chunk.text) + words(cue_texts(following)[0]) > 20


def test_korean_captions_end_chunks_at_korean_sentence_endings() -> None:
    chunks = timed_chunks(KOREAN, VIDEO, target_tokens=14, count_tokens=words, language="ko")

    assert [text for chunk in chunks for text in cue_texts(chunk)] == KOREAN_LINES
    assert [chunk.text.split()[-1] for chunk in chunks] == [
        "보겠습니다",
        "완공되었습니다",
        "건축물이었어요",
        "않았죠",
        "합니다",
    ]
    assert all(chunk.language == "ko" for chunk in chunks)
    assert chunks[1].start_seconds == 5.5
    assert chunks[1].cue_starts == ((0, 5.5), (16, 9.5), (35, 13.5))


def test_a_caption_longer_than_the_target_is_a_chunk_of_its_own() -> None:
    cues = cues_from(["short one", "this caption is much longer than the target allows", "end"])

    chunks = timed_chunks(cues, VIDEO, target_tokens=4, count_tokens=words)

    assert [chunk.text for chunk in chunks] == [
        "short one",
        "this caption is much longer than the target allows",
        "end",
    ]


def test_empty_captions_are_skipped_and_no_captions_give_no_chunks() -> None:
    assert timed_chunks([], VIDEO) == []
    assert timed_chunks([Cue(0, 1, "  ")], VIDEO) == []
    [chunk] = timed_chunks([Cue(0, 1, " "), Cue(1, 2, " Hello there. ")], VIDEO)
    assert (chunk.text, chunk.cue_starts, chunk.start_seconds) == ("Hello there.", ((0, 1),), 1)


def test_captions_out_of_order_are_put_in_time_order() -> None:
    chunks = timed_chunks(list(reversed(ENGLISH[:3])), VIDEO, count_tokens=words)

    assert chunks[0].text == " ".join(ENGLISH_LINES[:3])


def test_the_default_token_estimate_keeps_chunks_near_the_default_target() -> None:
    chunks = timed_chunks(cues_from(ENGLISH_LINES * 6), VIDEO)

    assert len(chunks) > 1
    assert all(approximate_tokens(chunk.text) <= 160 for chunk in chunks)
    assert all(approximate_tokens(chunk.text) >= 80 for chunk in chunks[:-1])


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("the tower", 2),
        ("construction", 2),
        ("1889", 2),
        ("에펠탑은", 2),
        ("Hi, there.", 4),
    ],
)
def test_approximate_tokens(text: str, tokens: int) -> None:
    assert approximate_tokens(text) == tokens


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("It was finished.", True),
        ("Was it?", True),
        ('He said "no."', True),
        ("wait for it…", True),
        ("and then", False),
        ("in 1889,", False),
        ("완공되었습니다", True),
        ("가장 높은 건축물이었어요 ", True),
        ("않았죠", True),
        ("높이는 약 330미터로", False),
        ("1887년 1월부터 짓기 시작했고", False),
    ],
)
def test_ends_sentence(text: str, ends: bool) -> None:
    assert ends_sentence(text) is ends


# --- the cited second -------------------------------------------------------------------


def english_chunk() -> Chunk:
    [chunk] = timed_chunks(ENGLISH, VIDEO, target_tokens=500, count_tokens=words)
    return chunk


def test_the_cited_second_is_the_caption_that_states_the_answer() -> None:
    chunk = english_chunk()

    second = cited_second(
        chunk, "When was the Eiffel Tower finished?", "It was finished in March 1889 [1]."
    )

    assert second == 24.0  # "The tower was finished in March 1889,"


def test_the_answers_words_outweigh_the_questions() -> None:
    chunk = english_chunk()

    second = cited_second(
        chunk,
        "Why was the Eiffel Tower not torn down?",
        "It was saved because it was useful as a radio antenna.",
    )

    assert second == 48.0


def test_numbers_alone_can_find_the_caption() -> None:
    chunk = english_chunk()

    assert (
        cited_second(chunk, "How many rivets?", "About 2,500,000; well, two and a half million")
        == 21.0
    )
    assert cited_second(chunk, "What passed it?", "The Chrysler Building, in 1930.") == 33.0


def test_without_a_match_the_chunk_start_is_cited() -> None:
    chunk = english_chunk()

    assert cited_second(chunk, "Who won the match?", "Nobody knows.") == chunk.start_seconds


def test_a_chunk_without_caption_starts_cites_its_start_or_zero() -> None:
    plain = Chunk(text="Some page text about 1889.", source=VIDEO, index=0)
    timed = Chunk(text="Tower talk about 1889.", source=VIDEO, index=0, start_seconds=42.0)

    assert cited_second(plain, "When?", "In 1889.") == 0.0
    assert cited_second(timed, "When?", "In 1889.") == 42.0


def test_the_cited_second_in_a_korean_transcript_matches_words_with_other_particles() -> None:
    [chunk] = timed_chunks(KOREAN, VIDEO, target_tokens=500, count_tokens=words)

    assert cited_second(chunk, "에펠탑의 높이가 얼마나 되나요?", "약 330미터입니다.") == 17.5
    # No word matches as written: 예술가들의 and 예술가들이 meet only without their particles.
    assert cited_second(chunk, "누가 싫어했나요?", "예술가들의 반대가 있었습니다.") == 25.5
    assert (
        cited_second(chunk, "에펠탑은 언제 완공되었나요?", "1889년 3월에 완공되었습니다.") == 13.5
    )
    assert (
        cited_second(chunk, "왜 철거되지 않았나요?", "무선 안테나로 쓸모가 있었기 때문입니다.")
        == 29.5
    )
    assert cited_second(chunk, "입장료는 얼마인가요?", "자료에 나와 있지 않습니다.") == 1.5
