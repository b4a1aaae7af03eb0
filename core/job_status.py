"""The one status message of an ingestion job, edited as the job moves on: queued, downloading,
transcribing, indexing, then done or failed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from core.citations import format_seconds
from core.messages import say
from core.models import IncomingMessage, MessageRef
from core.ports import ChatClient, ProgressReporter
from core.streaming import LiveMessage


class JobStatus:
    """Shows a job's state where its source was shared.

    Nothing is posted for a job that is quick: the first state shown is a wait (queued) or a
    slow stage (a download, a transcription); once a message is up, every later state edits
    it, the outcome included. A chat with its own progress display (the console) shows the
    states there and the outcome as a reply, so piped scripts get one reply per line.
    """

    def __init__(
        self,
        chat: ChatClient,
        message: IncomingMessage,
        title: str,
        language: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chat = chat
        self._message = message
        self._title = title
        self._language = language
        self._clock = clock
        self._live = LiveMessage(
            chat,
            message.channel,
            message.thread_id,
            min_interval=chat.min_edit_interval,
            clock=clock,
        )
        self._posted = False
        self._turn = asyncio.Lock()  # the job and the queue's position updates both show
        self._transcribing_since: float | None = None

    def retitle(self, title: str) -> None:
        """Name the source by its real title once it is known (a page, a video)."""
        self._title = title

    async def resumed(self) -> None:
        """The job was cut off by a restart and starts again."""
        await self._show(say("job_resumed", self._language, title=self._title))

    async def queued(self, ahead: int) -> None:
        """Waiting behind `ahead` other jobs of the channel."""
        if ahead > 0:
            await self._show(say("job_queued", self._language, title=self._title, ahead=ahead))

    async def downloading(self, fraction: float | None = None) -> None:
        """Fetching the file, page or media (`fraction` done when known)."""
        percent = "" if fraction is None else f" {round(100 * min(fraction, 1.0))}%"
        text = say("job_downloading", self._language, title=self._title, percent=percent)
        await self._show(text, percent=None if fraction is None else round(100 * fraction))

    async def transcribing(self, fraction: float) -> None:
        """Speech to text, with the time left once it can be told."""
        now = self._clock()
        if self._transcribing_since is None:
            self._transcribing_since = now
        elapsed = now - self._transcribing_since
        left = ""
        if 0.02 <= fraction < 1.0 and elapsed > 0:
            seconds = elapsed / fraction * (1.0 - fraction)
            left = say("job_time_left", self._language, left=format_seconds(seconds))
        text = say(
            "job_transcribing",
            self._language,
            title=self._title,
            percent=round(100 * min(fraction, 1.0)),
            left=left,
        )
        await self._show(text, percent=round(100 * fraction))

    async def indexing(self) -> None:
        """Reading, chunking and embedding; shown only when a message is already up."""
        if self._posted:
            await self._show(say("job_indexing", self._language, title=self._title))

    async def finished(self, text: str) -> MessageRef:
        """The outcome (done or failed) replaces the status, or is the one reply."""
        async with self._turn:
            if isinstance(self._chat, ProgressReporter) and self._posted:
                await self._chat.progress(100, 100, "")
            if isinstance(self._chat, ProgressReporter) or not self._posted:
                return await self._chat.post(self._message.channel, text, self._message.thread_id)
            await self._live.show(text, final=True)
            return self._live.messages[0]

    async def _show(self, text: str, percent: int | None = None) -> None:
        async with self._turn:
            await self._show_now(text, percent)

    async def _show_now(self, text: str, percent: int | None) -> None:
        if isinstance(self._chat, ProgressReporter):
            # One bar of 100 steps for every state; it closes with the outcome.
            await self._chat.progress(min(max(percent or 0, 0), 99), 100, text)
        else:
            await self._live.show(text, final=not self._posted)
        self._posted = True
