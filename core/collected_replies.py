"""Replies collected while a command runs, shown at its end: for platforms whose answer to
a command (an ephemeral follow-up) cannot be edited the way a message can."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.models import Button, ChannelRef, MessageRef, SourceLink
from core.streaming import CURSOR


@dataclass
class CollectedReply:
    """One reply in its final form."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    heading: str = ""
    sources: list[SourceLink] = field(default_factory=list)


class CollectedReplies:
    """ChatClient, ButtonsCapable and NativeSources that keeps what the core posts and
    edits; the adapter shows `replies()` once the command is done."""

    def __init__(self, message_limit: int) -> None:
        self._limit = message_limit
        self._replies: list[tuple[MessageRef, CollectedReply]] = []

    @property
    def message_limit(self) -> int:
        """The platform's limit, so long answers still split."""
        return self._limit

    @property
    def min_edit_interval(self) -> float:
        """Edits are kept, not sent: no throttle."""
        return 0.0

    def _find(self, ref: MessageRef) -> CollectedReply:
        for known, reply in self._replies:
            if known.message_id == ref.message_id:
                return reply
        raise KeyError(ref.message_id)

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Keep a reply."""
        ref = MessageRef(channel, f"collected-{len(self._replies) + 1}", thread_id)
        self._replies.append((ref, CollectedReply(text)))
        return ref

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Change a kept reply."""
        self._find(ref).text = text

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Collected replies take no reactions."""

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        """Buttons under a kept reply."""
        self._find(ref).buttons = list(buttons)

    async def show_sources(
        self, ref: MessageRef, heading: str, sources: Sequence[SourceLink]
    ) -> None:
        """Sources under a kept answer, for the platform to render."""
        reply = self._find(ref)
        reply.heading = heading
        reply.sources = list(sources)

    def replies(self) -> list[CollectedReply]:
        """The replies with words in them, in order (a lone placeholder is dropped)."""
        return [reply for _, reply in self._replies if reply.text.removesuffix(CURSOR).strip(" …")]
