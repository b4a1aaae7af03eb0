"""Show a reply while it is generated: throttled edits, split at the platform's length limit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from core.models import ChannelRef, MessageRef
from core.ports import ChatClient

FENCE = "```"
CURSOR = " …"


def _fence_positions(text: str) -> list[int]:
    positions: list[int] = []
    start = text.find(FENCE)
    while start != -1:
        positions.append(start)
        start = text.find(FENCE, start + len(FENCE))
    return positions


def _boundary(window: str, floor: int) -> int:
    """The best place to cut `window`: a paragraph, a line, a word, or its very end."""
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position > floor:
            return position
    return len(window)


def _split_once(text: str, limit: int) -> tuple[str, str]:
    cut = _boundary(text[:limit], limit // 3)
    head = text[:cut]
    fences = _fence_positions(head)
    if len(fences) % 2 == 0:
        return head.rstrip(), text[cut:].lstrip("\n ")
    opening = fences[-1]
    if head[:opening].strip():
        # Move the whole code block to the next message rather than cut it.
        return head[:opening].rstrip(), text[opening:]
    # The code block alone is longer than a message: close it here, reopen it there.
    line_end = text.find("\n", opening)
    opener = text[opening:line_end] if line_end != -1 else FENCE
    closing = "\n" + FENCE
    cut = _boundary(text[: limit - len(closing)], len(opener) + 1)
    return text[:cut].rstrip() + closing, opener + "\n" + text[cut:].lstrip("\n")


def split_message(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, never inside a code block."""
    pages: list[str] = []
    rest = text
    while len(rest) > limit:
        head, rest = _split_once(rest, limit)
        if head:
            pages.append(head)
    pages.append(rest)
    return [page for page in pages if page.strip()] or [text[:limit] or "…"]


class LiveMessage:
    """Text shown in chat as it changes: posted, then edited at most once per
    `min_interval` seconds (a final state always shows), continued in new messages past
    the platform's limit. Streaming answers and progress bars both show through it.
    Passing `existing` reuses messages the bot posted before."""

    def __init__(
        self,
        chat: ChatClient,
        channel: ChannelRef,
        thread_id: str | None,
        *,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        existing: Sequence[MessageRef] = (),
    ) -> None:
        self._chat = chat
        self._channel = channel
        self._thread_id = thread_id
        self._min_interval = min_interval
        self._clock = clock
        self._messages: list[MessageRef] = list(existing)
        self._shown: list[str | None] = [None] * len(self._messages)
        self._last_flush: float | None = None

    @property
    def messages(self) -> list[MessageRef]:
        """The messages that show the text, in order."""
        return list(self._messages)

    async def show(self, text: str, final: bool = False) -> None:
        """Show `text` now if the throttle allows (always when `final`); a final text also
        blanks leftover messages of a longer earlier text."""
        now = self._clock()
        due = self._last_flush is None or now - self._last_flush >= self._min_interval
        if not (due or final):
            return
        pages = split_message(text, self._chat.message_limit)
        for index, page in enumerate(pages):
            if index < len(self._messages):
                if self._shown[index] != page:
                    await self._chat.edit(self._messages[index], page)
                    self._shown[index] = page
            else:
                self._messages.append(await self._chat.post(self._channel, page, self._thread_id))
                self._shown.append(page)
        self._last_flush = now
        if final:
            for index in range(len(pages), len(self._messages)):
                if self._shown[index] != "…":
                    await self._chat.edit(self._messages[index], "…")
                    self._shown[index] = "…"


class StreamingReply:
    """Posts text as it grows, editing at most once per `min_interval` seconds.

    Pieces past the platform's limit continue in new messages. Passing `existing`
    reuses messages the bot posted before, as `again` does to replace an answer.
    """

    def __init__(
        self,
        chat: ChatClient,
        channel: ChannelRef,
        thread_id: str | None,
        *,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        existing: Sequence[MessageRef] = (),
    ) -> None:
        self._live = LiveMessage(
            chat,
            channel,
            thread_id,
            min_interval=min_interval,
            clock=clock,
            existing=existing,
        )
        self._chat = chat
        self._text = ""

    @property
    def chat(self) -> ChatClient:
        """The chat the reply is shown in."""
        return self._chat

    @property
    def text(self) -> str:
        """Everything appended so far."""
        return self._text

    @property
    def messages(self) -> list[MessageRef]:
        """The messages that show this reply, in order."""
        return self._live.messages

    async def append(self, piece: str) -> None:
        """Add generated text; the chat is updated when the throttle allows."""
        self._text += piece
        await self._live.show(self._text + CURSOR)

    async def finish(self, trailer: str = "") -> None:
        """Show the final text (plus `trailer`) and clear leftovers of a longer old reply."""
        self._text += trailer
        await self._live.show(self._text, final=True)
