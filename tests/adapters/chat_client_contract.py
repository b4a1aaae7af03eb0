"""What every ChatClient adapter must do, written once; the console's and the recording
fake's tests inherit it now, Slack's and Discord's will."""

from __future__ import annotations

import pytest

from core.models import ChannelRef, MessageRef
from core.ports import ChatClient
from core.streaming import CURSOR, StreamingReply

CHANNEL = ChannelRef("contract", "w1", "general")


class ChatClientContract:
    """Inherit, and provide `chat` (the adapter) and `shown(chat, ref)` (what it shows);
    a platform with its own id shapes sets `channel` and `thread`."""

    channel: ChannelRef = CHANNEL
    thread: str = "th-1"

    @pytest.fixture
    def chat(self) -> ChatClient:
        raise NotImplementedError("a concrete test class provides the chat")

    def shown(self, chat: ChatClient, ref: MessageRef) -> str:
        raise NotImplementedError

    async def test_a_post_lands_in_its_channel_and_thread_and_shows_its_text(
        self, chat: ChatClient
    ) -> None:
        ref = await chat.post(self.channel, "Hello from the bot.", self.thread)

        assert ref.channel == self.channel and ref.thread_id == self.thread and ref.message_id
        assert "Hello from the bot." in self.shown(chat, ref)

    async def test_two_posts_are_two_messages(self, chat: ChatClient) -> None:
        first = await chat.post(self.channel, "one")
        second = await chat.post(self.channel, "two")

        assert first.message_id != second.message_id

    async def test_an_edit_replaces_what_the_message_shows(self, chat: ChatClient) -> None:
        ref = await chat.post(self.channel, "The tower" + CURSOR)

        await chat.edit(ref, "The tower was built in 1887.")

        assert self.shown(chat, ref).endswith("The tower was built in 1887.")

    async def test_limits_are_sane_and_a_reaction_never_fails(self, chat: ChatClient) -> None:
        ref = await chat.post(self.channel, "react to me")

        await chat.react(ref, "eyes")

        assert chat.message_limit >= 1000
        assert chat.min_edit_interval >= 0

    async def test_a_streamed_reply_ends_with_the_whole_text_and_no_cursor(
        self, chat: ChatClient
    ) -> None:
        reply = StreamingReply(chat, self.channel, None, min_interval=chat.min_edit_interval)
        for piece in ("The ", "tower ", "was ", "built ", "in ", "1887."):
            await reply.append(piece)
        await reply.finish("\n\nSources:\n[1] tower.txt")

        shown = self.shown(chat, reply.messages[0])
        assert shown.endswith("Sources:\n[1] tower.txt")
        assert "The tower was built in 1887." in shown and CURSOR not in shown
