"""Many people at once, with the real engines: every question is answered in its own
channel from that channel's sources, and every placeholder shows before any answer is done."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from bots.bootstrap import Runtime
from core.models import Attachment, ChannelRef, IncomingMessage
from tests.e2e.conftest import USER
from tests.fakes import RecordingChat

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Five channels, each with one fact only its own source holds.
FACTS = {
    "ops": ("The ops team's pager code is 4711.", "What is the ops team's pager code?", "4711"),
    "design": (
        "The design review happens in room Kestrel.",
        "Where is the design review?",
        "Kestrel",
    ),
    "sales": ("The sales kickoff is on 14 March.", "When is the sales kickoff?", "14"),
    "hr": (
        "New staff get 27 days of leave a year.",
        "How many days of leave do new staff get?",
        "27",
    ),
    "it": ("The guest wifi is called Pelican-5.", "What is the guest wifi called?", "Pelican"),
}


async def test_ten_questions_in_five_channels_at_once_are_all_answered_in_their_channel(
    runtime: Runtime, tmp_path: Path
) -> None:
    chat = RecordingChat()
    channels = {name: ChannelRef("console", f"busy-{uuid.uuid4().hex[:6]}", name) for name in FACTS}
    for name, (fact, _, _) in FACTS.items():
        path = tmp_path / f"{name}-notes.txt"
        path.write_text(fact + "\n", encoding="utf-8")
        shared = IncomingMessage(
            channels[name],
            USER,
            "",
            uuid.uuid4().hex,
            attachments=(Attachment(path.name, str(path)),),
        )
        await runtime.bot.handle(shared, chat)
    started = len(chat.events)
    questions = [
        IncomingMessage(channels[name], USER, question, uuid.uuid4().hex, thread_id=f"t{turn}")
        for name, (_, question, _) in FACTS.items()
        for turn in (1, 2)
    ]

    await asyncio.gather(*(runtime.bot.handle(message, chat) for message in questions))

    events = chat.events[started:]
    posts = [index for index, event in enumerate(events) if event.verb == "post"]
    finished = [
        index
        for index, event in enumerate(events)
        if "Sources:" in event.text or "do not say that" in event.text
    ]
    assert len(posts) == 10, "one message per question: the placeholder the answer replaces"
    assert finished and max(posts) < min(finished)
    for name, (_, _, answer) in FACTS.items():
        replies = [
            chat.texts[event.ref.message_id]
            for event in events
            if event.verb == "post" and event.ref.channel == channels[name]
        ]
        assert len(replies) == 2
        for reply in replies:
            assert f"{name}-notes.txt" in reply, reply
            others = [f"{other}-notes.txt" for other in FACTS if other != name]
            assert not any(other in reply for other in others), reply
        assert any(answer in reply for reply in replies), replies
