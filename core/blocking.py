"""Run blocking engines off the event loop: one worker thread per engine, streams included."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class EngineWorker:
    """One thread that runs every call of one blocking engine, so its CPU work is serialised."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, function: Callable[[], T]) -> T:
        """Run `function` on the worker thread and await its result."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def stream(self, produce: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
        """Iterate a blocking iterator on the worker thread, yielding items on the loop.

        When the consumer stops early (closes or is cancelled), the producer stops at its
        next item instead of running on.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def pump() -> None:
            items = produce()
            try:
                for item in items:
                    if stop.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, item)
            except BaseException as error:  # handed to the consumer, which re-raises it
                loop.call_soon_threadsafe(queue.put_nowait, error)
            finally:
                # Closed here, on this thread: a producer holding an engine lock lets go now.
                close = getattr(items, "close", None)
                if close is not None:
                    close()
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        future = loop.run_in_executor(self._executor, pump)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            stop.set()
            if not future.done():
                # Let the producer notice `stop`; never leave its thread running unseen.
                await asyncio.shield(future)

    def shutdown(self) -> None:
        """Stop the worker once queued calls have finished."""
        self._executor.shutdown(wait=True)
