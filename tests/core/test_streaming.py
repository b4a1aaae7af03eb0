"""Streaming replies: throttled edits, splitting at the limit, never inside a code block."""

from __future__ import annotations

import random

import pytest

from core.streaming import CURSOR, StreamingReply, split_message
from tests.core.conftest import CHANNEL_A
from tests.fakes import FakeClock, RecordingChat


def fences_balanced(page: str) -> bool:
    return page.count("```") % 2 == 0


def test_short_text_is_one_message() -> None:
    assert split_message("hello world", 100) == ["hello world"]


def test_long_text_splits_at_paragraphs_within_the_limit() -> None:
    text = "\n\n".join(f"Paragraph {n} " + "word " * 30 for n in range(10))

    pages = split_message(text, 300)

    assert len(pages) > 1
    assert all(len(page) <= 300 for page in pages)
    assert all(page.startswith("Paragraph") for page in pages)
    assert " ".join(" ".join(pages).split()) == " ".join(text.split())


def test_code_block_moves_whole_to_the_next_message() -> None:
    code = "```python\n" + "\n".join(f"x{n} = {n}" for n in range(20)) + "\n```"
    text = "Intro " * 20 + "\n\n" + code + "\n\nAfter."

    pages = split_message(text, 250)

    assert all(fences_balanced(page) for page in pages)
    assert any(page.startswith("```python") and "x19 = 19" in page for page in pages)


def test_code_block_longer_than_a_message_is_closed_and_reopened() -> None:
    code = "```sql\n" + "\n".join(f"SELECT {n} FROM t;" for n in range(100)) + "\n```"

    pages = split_message(code, 200)

    assert len(pages) > 2
    assert all(len(page) <= 200 for page in pages)
    assert all(fences_balanced(page) for page in pages)
    assert all(page.startswith("```sql") for page in pages)


@pytest.mark.parametrize("seed", range(30))
def test_random_texts_never_exceed_the_limit_or_break_fences(seed: int) -> None:
    generator = random.Random(seed)
    parts = []
    for _ in range(generator.randint(1, 12)):
        if generator.random() < 0.3:
            lines = [
                "".join(generator.choices("abc def=()", k=generator.randint(0, 60)))
                for _ in range(generator.randint(1, 30))
            ]
            parts.append("```\n" + "\n".join(lines) + "\n```")
        else:
            parts.append(
                " ".join("word" * generator.randint(1, 3) for _ in range(generator.randint(1, 80)))
            )
    text = "\n\n".join(parts)
    limit = generator.randint(120, 400)

    pages = split_message(text, limit)

    assert all(0 < len(page) <= limit for page in pages)
    assert all(fences_balanced(page) for page in pages)


async def test_reply_edits_at_most_once_per_interval() -> None:
    chat = RecordingChat(min_edit_interval=1.0)
    clock = FakeClock()
    reply = StreamingReply(chat, CHANNEL_A, "t1", min_interval=1.0, clock=clock)

    for index in range(10):
        await reply.append(f"w{index} ")
        clock.advance(0.25)
    await reply.finish()

    assert chat.count("post") == 1
    # 10 pieces over 2.5 s: the first post, edits at 1.0 s and 2.0 s, the final edit.
    assert chat.count("edit") == 3
    assert chat.last() == "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 "
    assert chat.events[0].text.endswith(CURSOR), "a reply in progress shows it is going on"
    assert chat.events[0].ref.thread_id == "t1"


async def test_reply_continues_in_a_new_message_past_the_limit() -> None:
    chat = RecordingChat(message_limit=50)
    reply = StreamingReply(chat, CHANNEL_A, None, min_interval=0.0, clock=FakeClock())

    for index in range(30):
        await reply.append(f"word{index} ")
    await reply.finish()

    assert chat.count("post") > 1
    joined = " ".join(chat.shown())
    assert joined.split() == [f"word{index}" for index in range(30)]


async def test_reply_over_existing_messages_replaces_them_and_clears_leftovers() -> None:
    chat = RecordingChat(message_limit=50)
    first = StreamingReply(chat, CHANNEL_A, None, min_interval=0.0, clock=FakeClock())
    await first.append(" ".join(f"old{index}" for index in range(20)))
    await first.finish()
    assert len(first.messages) > 1

    second = StreamingReply(
        chat, CHANNEL_A, None, min_interval=0.0, clock=FakeClock(), existing=first.messages
    )
    await second.append("new short answer")
    await second.finish()

    assert chat.shown()[0] == "new short answer"
    assert all(text == "…" for text in chat.shown()[1:])
    assert chat.count("post") == len(first.messages)
