"""Progress of a long job shown as one chat message, edited at most once per interval."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.models import ChannelRef, IncomingMessage
from core.ports import ChatClient, ProgressReporter
from core.streaming import LiveMessage

BAR_WIDTH = 10


def progress_line(done: int, total: int, label: str) -> str:
    """A text progress bar such as `[####------] 4/10 notes.pdf`."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return f"[{bar}] {done}/{total} {label}".rstrip()


class ChatProgress:
    """Implements ProgressReporter with post and edit, for platforms without a native bar."""

    def __init__(
        self,
        chat: ChatClient,
        channel: ChannelRef,
        thread_id: str | None,
        *,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._live = LiveMessage(chat, channel, thread_id, min_interval=min_interval, clock=clock)

    async def progress(self, done: int, total: int, label: str) -> None:
        """Show the state; the final state (done == total) is always shown."""
        await self._live.show(progress_line(done, total, label), final=done >= total)


def progress_for(
    message: IncomingMessage, chat: ChatClient, clock: Callable[[], float] = time.monotonic
) -> ProgressReporter:
    """The platform's own progress display, else a text bar edited where `message` was said."""
    if isinstance(chat, ProgressReporter):
        return chat
    return ChatProgress(
        chat, message.channel, message.thread_id, min_interval=chat.min_edit_interval, clock=clock
    )
