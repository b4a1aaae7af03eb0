"""Replies to a slash command: shown only to the person who ran it, once the command is done."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.slack.blocks import MessageLook
from adapters.slack.chat import SlackChat
from core.models import Button, ChannelRef, MessageRef, SourceLink
from core.streaming import CURSOR


class CommandReplies:
    """ChatClient, ButtonsCapable and NativeSources for one slash command.

    Ephemeral messages cannot be edited through the Web API, so what the core posts and
    edits is collected and each message is posted once, in its final form, by `flush`.
    """

    def __init__(self, chat: SlackChat, user_id: str) -> None:
        self._chat = chat
        self._user = user_id
        self._looks: list[tuple[MessageRef, MessageLook]] = []

    @property
    def message_limit(self) -> int:
        """As for any Slack message."""
        return self._chat.message_limit

    @property
    def min_edit_interval(self) -> float:
        """Edits are collected, not sent: no throttle needed."""
        return 0.0

    def _find(self, ref: MessageRef) -> MessageLook:
        for known, look in self._looks:
            if known.message_id == ref.message_id:
                return look
        raise KeyError(ref.message_id)

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Collect a reply."""
        ref = MessageRef(channel, f"ephemeral-{len(self._looks) + 1}", thread_id)
        self._looks.append((ref, MessageLook(text)))
        return ref

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Change a collected reply."""
        self._find(ref).text = text

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Ephemeral replies take no reactions."""

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        """Buttons under a collected reply (the reset confirmation)."""
        self._find(ref).buttons = list(buttons)

    async def show_sources(
        self, ref: MessageRef, heading: str, sources: Sequence[SourceLink]
    ) -> None:
        """Sources under a collected answer."""
        look = self._find(ref)
        look.heading = heading
        look.sources = list(sources)

    async def flush(self) -> None:
        """Show every collected reply to the person who ran the command."""
        for ref, look in self._looks:
            if look.text.removesuffix(CURSOR).strip(" …"):
                await self._chat.post_look_ephemeral(ref.channel, self._user, look)
        self._looks.clear()
