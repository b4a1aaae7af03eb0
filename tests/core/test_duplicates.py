"""A message delivered twice (a platform's retry) is answered once."""

from __future__ import annotations

from core.conversation import HandledIds
from core.models import Attachment, ChannelRef, IncomingMessage
from tests.core.conftest import CHANNEL_A, USER, Harness

TEXT = (
    "The Glimmerstone Tower was built in 1887 by the harbour guild.\n\n"
    "Its lantern room holds a brass bell."
)


async def test_a_repeated_message_id_is_dropped_without_a_reply(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TEXT))
    question = IncomingMessage(CHANNEL_A, USER, "When was the Glimmerstone Tower built?", "E1")
    await harness.bot.handle(question, harness.chat)
    posts = harness.chat.count("post")

    await harness.bot.handle(question, harness.chat)

    assert harness.chat.count("post") == posts


async def test_the_same_id_in_another_workspace_is_another_message() -> None:
    handled = HandledIds()
    here = ChannelRef("slack", "T1", "C1")
    elsewhere = ChannelRef("slack", "T2", "C1")

    assert await handled.first_time(here, "E1")
    assert await handled.first_time(elsewhere, "E1")
    assert not await handled.first_time(ChannelRef("slack", "T1", "C2"), "E1")


async def test_only_the_most_recent_ids_are_kept_in_memory() -> None:
    handled = HandledIds(capacity=2)
    channel = ChannelRef("console", "local", "general")
    for message_id in ("a", "b", "c"):
        await handled.first_time(channel, message_id)

    assert await handled.first_time(channel, "a")
    assert not await handled.first_time(channel, "c")


async def test_a_plain_channel_message_is_not_answered_but_its_file_is_indexed(
    harness: Harness,
) -> None:
    tower = harness.write("tower.txt", TEXT)
    chatter = IncomingMessage(
        CHANNEL_A, USER, "lunch at noon?", "P1", addressed=False, permalink="https://x/p1"
    )
    shared = IncomingMessage(
        CHANNEL_A,
        USER,
        "here are the tower notes",
        "P2",
        attachments=(Attachment("tower.txt", str(tower)),),
        addressed=False,
    )

    await harness.bot.handle(chatter, harness.chat)
    assert harness.chat.count("post") == 0
    await harness.bot.handle(shared, harness.chat)

    assert "Indexed" in harness.chat.last()
