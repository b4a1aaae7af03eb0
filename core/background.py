"""BackgroundJobs on asyncio tasks alone: for tests and a bot without a job store. Nothing
outlasts the process; the sources catalog still resumes unfinished ingestion."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("ragbot.background")


class TaskJobs:
    """Runs each submitted job as an asyncio task, and upkeep on a timer."""

    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[str], Awaitable[None]]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._timers: list[asyncio.Task[None]] = []
        self._started = False
        self._pending: list[tuple[str, str]] = []

    def on(self, kind: str, work: Callable[[str], Awaitable[None]]) -> None:
        """Run `work(key)` for every job of `kind`."""
        self._handlers[kind] = work

    async def start(self) -> None:
        """Run what was submitted before the start, then everything as it comes."""
        self._started = True
        pending, self._pending = self._pending, []
        for kind, key in pending:
            self._launch(kind, key)

    async def submit(self, kind: str, key: str) -> None:
        """Run `kind` for `key` now (once while one is waiting or running)."""
        if not self._started:
            if (kind, key) not in self._pending:
                self._pending.append((kind, key))
            return
        running = self._tasks.get((kind, key))
        if running is None or running.done():
            self._launch(kind, key)

    async def drop(self, kind: str, key: str) -> None:
        """Forget a job that has not started; a started one is its handler's to stop."""
        if (kind, key) in self._pending:
            self._pending.remove((kind, key))

    async def every(self, kind: str, seconds: float) -> None:
        """Run `kind` every `seconds` while the process lives."""
        self._timers.append(asyncio.create_task(self._repeat(kind, seconds)))

    async def close(self) -> None:
        """Stop the timers and wait for running jobs to end."""
        for timer in self._timers:
            timer.cancel()
        running = [task for task in self._tasks.values() if not task.done()]
        await asyncio.gather(*self._timers, *running, return_exceptions=True)
        self._timers.clear()

    def _launch(self, kind: str, key: str) -> None:
        self._tasks[(kind, key)] = asyncio.create_task(self._run(kind, key))

    async def _run(self, kind: str, key: str) -> None:
        try:
            await self._handlers[kind](key)
        except Exception:
            log.exception("background job %s %s failed", kind, key)
        finally:
            self._tasks.pop((kind, key), None)

    async def _repeat(self, kind: str, seconds: float) -> None:
        while True:
            # A timer between upkeep rounds, not a wait for some other work to finish.
            await asyncio.sleep(seconds)
            await self._run(kind, "")
