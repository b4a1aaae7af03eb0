"""Progress of a long job shown as one chat message, edited at most once per interval."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.models import ChannelRef, MessageRef
from core.ports import ChatClient

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
        self._chat = chat
        self._channel = channel
        self._thread_id = thread_id
        self._min_interval = min_interval
        self._clock = clock
        self._message: MessageRef | None = None
        self._last_edit: float | None = None

    async def progress(self, done: int, total: int, label: str) -> None:
        """Show the state; the final state (done == total) is always shown."""
        text = progress_line(done, total, label)
        now = self._clock()
        if self._message is None:
            self._message = await self._chat.post(self._channel, text, self._thread_id)
            self._last_edit = now
            return
        throttled = self._last_edit is not None and now - self._last_edit < self._min_interval
        if throttled and done < total:
            return
        await self._chat.edit(self._message, text)
        self._last_edit = now
