"""Lazy threads and structured sources, through the optional chat capabilities."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.bot import THREAD_TITLE_CHARS, thread_title
from core.conversation import thread_exchanges
from core.models import (
    ChannelRef,
    Exchange,
    IncomingMessage,
    MessageRef,
    SourceLink,
    ThreadMessage,
)
from tests.core.conftest import TOWER, Harness, build_harness
from tests.fakes import RecordingChat, ScriptedModel


class ThreadedChat(RecordingChat):
    """A recording chat that opens threads and renders sources natively."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[tuple[str, str]] = []
        self.sources: dict[str, tuple[str, list[SourceLink]]] = {}

    async def start_thread(self, message: IncomingMessage, title: str) -> str:
        self.threads.append((message.message_id, title))
        return f"thread-of-{message.message_id}"

    async def show_sources(
        self, ref: MessageRef, heading: str, sources: Sequence[SourceLink]
    ) -> None:
        self.sources[ref.message_id] = (heading, list(sources))


@pytest.fixture
def threaded(tmp_path: Path) -> Harness:
    model = ScriptedModel("The tower was built in 1887 [1].", "Odile Marchetti built it.")
    harness = build_harness(tmp_path, model=model)
    harness.chat = ThreadedChat()
    return harness


async def test_an_answer_opens_a_thread_named_after_the_question_and_stays_in_it(
    threaded: Harness,
) -> None:
    chat = threaded.chat
    assert isinstance(chat, ThreadedChat)
    await threaded.share(threaded.write("tower.txt", TOWER))
    posts_before = chat.count("post")

    await threaded.say("When was the Glimmerstone Tower built?")

    assert [title for _, title in chat.threads] == ["When was the Glimmerstone Tower built?"]
    answer_posts = [event for event in chat.events[posts_before:] if event.verb == "post"]
    assert answer_posts and all(
        event.ref.thread_id == f"thread-of-{chat.threads[0][0]}" for event in answer_posts
    )


async def test_a_follow_up_in_the_thread_opens_no_new_thread_and_keeps_the_history(
    threaded: Harness,
) -> None:
    chat = threaded.chat
    assert isinstance(chat, ThreadedChat)
    await threaded.share(threaded.write("tower.txt", TOWER))
    await threaded.say("When was the Glimmerstone Tower built?")
    thread = f"thread-of-{chat.threads[0][0]}"

    await threaded.say("And who built the Glimmerstone Tower?", thread=thread)

    assert len(chat.threads) == 1
    follow_up_prompt = threaded.model.prompts[-1]
    assert any(
        "When was the Glimmerstone Tower built?" in turn.content for turn in follow_up_prompt
    )


async def test_a_command_or_a_shared_file_opens_no_thread(threaded: Harness) -> None:
    chat = threaded.chat
    assert isinstance(chat, ThreadedChat)

    await threaded.share(threaded.write("tower.txt", TOWER))
    await threaded.say("sources")

    assert chat.threads == []


async def test_sources_arrive_as_data_under_the_answer_and_not_as_text(
    threaded: Harness,
) -> None:
    chat = threaded.chat
    assert isinstance(chat, ThreadedChat)
    await threaded.share(threaded.write("tower.txt", TOWER))

    await threaded.say("When was the Glimmerstone Tower built?")

    answer = chat.order[-1]
    heading, links = chat.sources[answer]
    assert heading == "Sources"
    assert [link.title for link in links] == ["tower.txt"]
    assert links[0].numbers == (1,)
    assert "Sources" not in chat.texts[answer]
    assert chat.texts[answer].startswith("The tower was built in 1887")


async def test_without_native_sources_the_answer_ends_with_a_markdown_sources_list(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path)
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("When was the Glimmerstone Tower built?")

    assert harness.chat.last().endswith("Sources:\n[1] tower.txt")


async def test_nothing_found_gets_no_sources(threaded: Harness) -> None:
    chat = threaded.chat
    assert isinstance(chat, ThreadedChat)
    await threaded.share(threaded.write("tower.txt", TOWER))

    await threaded.say("What is the capital of Peru?")

    assert chat.sources == {}


def test_a_thread_title_is_the_first_line_cut_at_a_word() -> None:
    long_question = "How does the " + "very " * 30 + "long question end?"

    title = thread_title(long_question + "\nsecond line")

    assert len(title) <= THREAD_TITLE_CHARS
    assert title.endswith("very…")
    assert thread_title("Short?\nMore") == "Short?"


class ReadableThreadChat(ThreadedChat):
    """A threaded chat whose threads the bot can read back, as Slack's conversations.replies."""

    def __init__(self, earlier: list[ThreadMessage]) -> None:
        super().__init__()
        self.earlier = earlier
        self.read: list[tuple[str, str]] = []

    async def thread_history(
        self, channel: ChannelRef, thread_id: str, before_message_id: str
    ) -> list[ThreadMessage]:
        self.read.append((thread_id, before_message_id))
        return self.earlier


async def test_a_question_in_a_thread_sees_what_was_said_there_before_the_bot_knew_it(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, model=ScriptedModel("Odile Marchetti built it."))
    chat = ReadableThreadChat(
        [
            ThreadMessage("Mina", "When was the Glimmerstone Tower built?", from_bot=False),
            ThreadMessage("ragbot", "It was built in 1887.", from_bot=True),
            ThreadMessage("Jun", "nice, I did not know", from_bot=False),
        ]
    )
    harness.chat = chat
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("And who built the Glimmerstone Tower?", thread="t-9")

    prompt = " ".join(turn.content for turn in harness.model.prompts[-1])
    assert "When was the Glimmerstone Tower built?" in prompt
    assert "It was built in 1887." in prompt
    assert chat.read and chat.read[0][0] == "t-9"


def test_thread_exchanges_pair_what_people_said_with_the_bots_next_reply() -> None:
    messages = [
        ThreadMessage("ragbot", "Indexed *notes.txt*: 3 chunks.", from_bot=True),
        ThreadMessage("Mina", "what is the wifi?", from_bot=False),
        ThreadMessage("Jun", "the office one", from_bot=False),
        ThreadMessage("ragbot", "Pelican-5.", from_bot=True),
        ThreadMessage("Mina", "thanks", from_bot=False),
    ]

    assert thread_exchanges(messages, 3) == [
        Exchange("what is the wifi?\nthe office one", "Pelican-5.")
    ]
