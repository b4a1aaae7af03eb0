"""Turns on the language model: a local model generates one answer at a time, so answers
wait their turn first come, first served across channels, and background work (summaries)
lets every waiting question go first."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from core.models import ChatTurn, Sampling
from core.ports import LanguageModel

QUESTION = 0
BACKGROUND = 1

_arrivals = itertools.count()


@dataclass(order=True)
class _Waiter:
    priority: int
    arrival: int
    woken: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


class GenerationQueue:
    """Hands out turns on the model, in order of priority, then of arrival."""

    def __init__(self) -> None:
        self._waiting: list[_Waiter] = []
        self._busy = False

    def ahead(self, priority: int = QUESTION) -> int:
        """How many turns a newcomer with `priority` would wait for."""
        waiting = sum(1 for waiter in self._waiting if waiter.priority <= priority)
        return waiting + (1 if self._busy else 0)

    @asynccontextmanager
    async def turn(
        self,
        priority: int = QUESTION,
        on_wait: Callable[[int], Awaitable[None]] | None = None,
    ) -> AsyncIterator[None]:
        """Wait for a turn (telling `on_wait` how many are ahead whenever that changes),
        hold it for the body, then pass it on."""
        waiter = _Waiter(priority, next(_arrivals))
        self._waiting.append(waiter)
        self._waiting.sort()
        shown: int | None = None
        try:
            while True:
                waiter.woken.clear()
                position = self._waiting.index(waiter) + (1 if self._busy else 0)
                if position == 0:
                    break
                if on_wait is not None and position != shown:
                    shown = position
                    await on_wait(position)
                    continue  # the queue may have moved while the notice was sent
                await waiter.woken.wait()
        except BaseException:
            self._waiting.remove(waiter)
            self._wake()
            raise
        self._waiting.remove(waiter)
        self._busy = True
        try:
            yield
        finally:
            self._busy = False
            self._wake()

    def _wake(self) -> None:
        for waiter in self._waiting:
            waiter.woken.set()


class QueuedModel:
    """A LanguageModel whose every generation takes a turn first (for background work)."""

    def __init__(self, model: LanguageModel, queue: GenerationQueue, priority: int) -> None:
        self._model = model
        self._queue = queue
        self._priority = priority

    @property
    def context_length(self) -> int:
        """The wrapped model's context length."""
        return self._model.context_length

    @property
    def max_new_tokens(self) -> int:
        """The wrapped model's cap on generated tokens."""
        return self._model.max_new_tokens

    async def count_tokens(self, text: str) -> int:
        """Counted by the wrapped model, without a turn."""
        return await self._model.count_tokens(text)

    async def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """The wrapped model's stream, once it is this caller's turn."""
        async with self._queue.turn(self._priority):
            stream = self._model.stream(messages, sampling, stop)
            try:
                async for piece in stream:
                    yield piece
            finally:
                close = getattr(stream, "aclose", None)
                if close is not None:
                    await close()
