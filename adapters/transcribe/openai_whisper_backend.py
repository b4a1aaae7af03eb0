"""Speech to text with openai-whisper (PyTorch), float32 on the CPU, from a .pt checkpoint
(adapters/transcribe/convert.py makes one from a CTranslate2 model)."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any

import torch
import tqdm
import whisper

from adapters.transcribe._common import ProgressRelay, WorkerTranscriber, cues_from
from core.errors import UserFacingError
from core.models import Transcript

SAMPLE_RATE = 16_000


class OpenAIWhisperTranscriber(WorkerTranscriber):
    """A Transcriber over an openai-whisper checkpoint, loaded on first use and kept.

    `threads` sets PyTorch's intra-op thread count, which is one setting for the whole
    process: the last backend to run decides it.
    """

    def __init__(self, checkpoint: str | Path, threads: int = 2, beam_size: int = 5) -> None:
        self._checkpoint = Path(checkpoint)
        super().__init__(self._checkpoint, "openai-whisper")
        self._threads = threads
        self._beam_size = beam_size

    @property
    def name(self) -> str:
        """The engine and the checkpoint's name, like openai-whisper:tiny.en."""
        return f"openai-whisper:{self._checkpoint.name.removesuffix('.pt')}"

    def _load(self) -> Any:
        if self._model is None:
            _install_progress_hook()
            self._model = whisper.load_model(str(self._checkpoint), device="cpu")
        return self._model

    def _run(
        self, audio_path: str, file_name: str, language: str | None, relay: ProgressRelay
    ) -> Transcript:
        audio = _decode(audio_path, file_name)
        model = self._load()
        if not model.is_multilingual:
            language = "en"
        torch.set_num_threads(self._threads)
        _progress.relay = relay
        try:
            result = model.transcribe(
                audio,
                language=language,
                fp16=False,
                beam_size=self._beam_size,
                verbose=None,
            )
        finally:
            _progress.relay = None
        timed = [
            (float(segment["start"]), float(segment["end"]), str(segment["text"]))
            for segment in result["segments"]
        ]
        return Transcript(
            cues=cues_from(timed, len(audio) / SAMPLE_RATE),
            language=str(result["language"]),
            backend=self.name,
        )


def _decode(audio_path: str, file_name: str) -> Any:
    """The file's first sound track as 16 kHz mono floats (by the ffmpeg command), or the
    phrase saying why not."""
    try:
        audio = whisper.load_audio(audio_path, sr=SAMPLE_RATE)
    except RuntimeError as error:
        # ffmpeg says it in words only: a video without sound maps no stream to the output.
        if "does not contain any stream" in str(error):
            raise UserFacingError("audio_no_stream", name=file_name) from error
        raise UserFacingError("audio_unreadable", name=file_name) from error
    if audio.size == 0:
        raise UserFacingError("audio_no_stream", name=file_name)
    return audio


# openai-whisper reports progress only to a tqdm bar over mel frames. Its transcribe module
# gets a stand-in tqdm that hands the frames to the relay of the job running in this
# thread, and to the real tqdm everywhere else.
_progress = threading.local()


class _FrameBar:
    """The part of a tqdm bar whisper's transcribe uses, feeding a ProgressRelay."""

    def __init__(self, total: int, relay: ProgressRelay) -> None:
        self._total = total
        self._done = 0
        self._relay = relay

    def __enter__(self) -> _FrameBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None

    def update(self, frames: int) -> None:
        """Frames decoded since the last update."""
        self._done += frames
        if self._total > 0 and self._done > 0:
            self._relay.report(self._done / self._total)


def _progress_bar(*args: Any, **kwargs: Any) -> Any:
    relay: ProgressRelay | None = getattr(_progress, "relay", None)
    if relay is None:
        return tqdm.tqdm(*args, **kwargs)
    return _FrameBar(int(kwargs.get("total") or 0), relay)


def _install_progress_hook() -> None:
    # `whisper.transcribe` is the function; the module lives under the same name.
    module: Any = importlib.import_module("whisper.transcribe")
    if getattr(module, "tqdm", None) is tqdm:
        module.tqdm = SimpleNamespace(tqdm=_progress_bar)
