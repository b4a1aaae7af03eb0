"""What both Whisper backends share: one worker thread, progress handed to the event loop,
segments turned into cues."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from core.errors import UserFacingError
from core.models import Cue, Transcript

log = logging.getLogger("ragbot.transcribe")

T = TypeVar("T")
ProgressCallback = Callable[[float], Awaitable[None]]


class Cancelled(Exception):
    """Raised inside the worker when the coroutine waiting for it was cancelled."""


class ProgressRelay:
    """Carries progress from the worker thread to `on_progress` on the event loop.

    The worker never waits for the callback (a slow chat edit must not slow the engine):
    it leaves the latest fraction, and the loop delivers the newest one when it can. The
    fractions delivered rise and lie in (0, 1]; 1.0 is always the last one.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, on_progress: ProgressCallback | None):
        self._loop = loop
        self._on_progress = on_progress
        self._latest = 0.0
        self._delivered = 0.0
        self._wake = asyncio.Event()
        self._done = False
        self.cancelled = threading.Event()
        self._task = loop.create_task(self._deliver()) if on_progress else None

    def report(self, fraction: float) -> None:
        """Called from the worker thread; stops the work once the caller has gone."""
        if self.cancelled.is_set():
            raise Cancelled
        if self._on_progress is not None:
            self._loop.call_soon_threadsafe(self._offer, min(fraction, 1.0))

    def _offer(self, fraction: float) -> None:
        if fraction > self._latest:
            self._latest = fraction
            self._wake.set()

    async def finish(self) -> None:
        """Deliver 1.0 and wait until the callback has seen it."""
        if self._task is None:
            return
        self._offer(1.0)
        self._done = True
        self._wake.set()
        await self._task

    def abandon(self) -> None:
        """Stop the worker at its next report and drop undelivered progress."""
        self.cancelled.set()
        if self._task is not None:
            self._task.cancel()

    async def _deliver(self) -> None:
        assert self._on_progress is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._latest > self._delivered:
                self._delivered = self._latest
                try:
                    await self._on_progress(self._delivered)
                except Exception:
                    # Progress is a courtesy: a failed status edit must not fail the work.
                    log.warning("progress callback failed; no more progress", exc_info=True)
                    return
            if self._done and self._delivered >= 1.0:
                return


class Worker:
    """One thread per backend: the engine never runs on the event loop, and jobs of a
    cancelled caller still finish (or stop) before the next job starts."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.lock = asyncio.Lock()

    async def run(
        self,
        job: Callable[[ProgressRelay], T],
        on_progress: ProgressCallback | None,
    ) -> T:
        """Run `job(relay)` in the worker thread, one job at a time."""
        async with self.lock:
            loop = asyncio.get_running_loop()
            relay = ProgressRelay(loop, on_progress)
            try:
                result = await loop.run_in_executor(self._executor, job, relay)
            except BaseException:
                relay.abandon()
                raise
            await relay.finish()
            return result

    def close(self) -> None:
        """Let the thread end after its current job."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class WorkerTranscriber:
    """What every backend shares: the model file checked before any work, every engine call
    on the backend's own worker thread, the model loaded on first use. A backend names
    itself and implements `_load` and `_run`."""

    def __init__(self, model_path: Path, worker_name: str) -> None:
        self._model_path = model_path
        self._model: Any = None
        self._worker = Worker(worker_name)

    @property
    def name(self) -> str:
        """The engine and model, as a transcript's `backend` names them."""
        raise NotImplementedError

    async def transcribe(
        self,
        audio_path: str,
        language: str | None,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe `audio_path` (any file ffmpeg reads, video included)."""
        file_name = check_input(audio_path)
        check_model(self._model_path)

        def job(relay: ProgressRelay) -> Transcript:
            return self._run(audio_path, file_name, language, relay)

        return await self._worker.run(job, on_progress)

    async def warm_up(self) -> None:
        """Load the model now rather than on the first transcription."""
        check_model(self._model_path)
        await self._worker.run(lambda _relay: self._load(), None)

    def close(self) -> None:
        """Release the worker thread."""
        self._worker.close()

    def _load(self) -> Any:
        """The engine's model, loaded once (on the worker thread)."""
        raise NotImplementedError

    def _run(
        self, audio_path: str, file_name: str, language: str | None, relay: ProgressRelay
    ) -> Transcript:
        """Transcribe on the worker thread, telling `relay` how far it is."""
        raise NotImplementedError


def check_input(audio_path: str) -> str:
    """The file's name for messages; a missing file is the caller's bug, not the user's."""
    path = Path(audio_path)
    if not path.is_file():
        raise FileNotFoundError(audio_path)
    return path.name


def check_model(model_path: Path) -> None:
    """Raise the phrase that says how to install the model when it is not there."""
    if not model_path.exists():
        raise UserFacingError("transcriber_model_missing", path=str(model_path))


def cues_from(segments: Iterable[tuple[float, float, str]], duration: float) -> list[Cue]:
    """Cues in time order within [0, duration], blank segments dropped.

    Whisper's timestamps can overshoot the end of the audio by a fraction of a second and,
    rarely, step back at a window boundary; captions must not.
    """
    cues: list[Cue] = []
    previous_start = 0.0
    for start, end, text in segments:
        text = " ".join(text.split())
        if not text:
            continue
        start = min(max(start, previous_start), duration)
        end = min(max(end, start), duration)
        cues.append(Cue(start=start, end=end, text=text))
        previous_start = start
    return cues
