"""Show a reply while it is generated: throttled edits, split at the platform's length limit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from core.models import Author, ChannelRef, MessageRef
from core.ports import AnswerStream, ChatClient, NativeStreaming

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

    def mark_shown(self, index: int, text: str) -> None:
        """Note that message `index` already shows `text` (a finished native stream)."""
        self._shown[index] = text

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
    reuses messages the bot posted before, as `again` does to replace an answer. Given
    `native` (the placeholder of a new answer and who asked), a chat that streams natively
    streams the answer in its place while it fits one message; edits take over after.
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
        native: tuple[MessageRef, Author] | None = None,
    ) -> None:
        self._chat = chat
        self._channel = channel
        self._thread_id = thread_id
        self._min_interval = min_interval
        self._clock = clock
        self._live = LiveMessage(
            chat,
            channel,
            thread_id,
            min_interval=min_interval,
            clock=clock,
            existing=existing,
        )
        self._native_request = native if isinstance(chat, NativeStreaming) else None
        self._stream: AnswerStream | None = None
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
        if self._stream is not None:
            return [self._stream.ref]
        return self._live.messages

    async def append(self, piece: str) -> None:
        """Add generated text; the chat is updated when the throttle allows."""
        self._text += piece
        if await self._streaming(piece):
            return
        await self._live.show(self._text + CURSOR)

    async def _streaming(self, piece: str) -> bool:
        """Send `piece` down the native stream, starting it on the first piece; False
        once the answer no longer fits one message (edits take over from there)."""
        if self._native_request is not None:
            placeholder, asker = self._native_request
            self._native_request = None
            assert isinstance(self._chat, NativeStreaming)
            self._stream = await self._chat.start_stream(placeholder, asker)
            if self._stream is not None:
                await self._stream.append(self._text)
                return True
        if self._stream is None:
            return False
        if len(self._text) < self._chat.message_limit:
            await self._stream.append(piece)
            return True
        await self._end_stream()
        return False

    async def _end_stream(self) -> None:
        stream = self._stream
        if stream is None:
            return
        await stream.stop()
        self._stream = None
        # What the stream showed is the first message; edits continue from it.
        self._live = LiveMessage(
            self._chat,
            self._channel,
            self._thread_id,
            min_interval=self._min_interval,
            clock=self._clock,
            existing=[stream.ref],
        )

    async def finish(self, trailer: str = "") -> None:
        """Show the final text (plus `trailer`) and clear leftovers of a longer old reply."""
        self._text += trailer
        if self._stream is not None and len(self._text) < self._chat.message_limit:
            if trailer:
                await self._stream.append(trailer)
            stream, self._stream = self._stream, None
            await stream.stop()
            self._live = LiveMessage(
                self._chat, self._channel, self._thread_id, existing=[stream.ref]
            )
            self._live.mark_shown(0, self._text)
            return
        await self._end_stream()
        await self._live.show(self._text, final=True)
