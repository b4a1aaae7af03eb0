"""Speech to text with faster-whisper (CTranslate2): int8 on the CPU, silence skipped by
the bundled Silero VAD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import faster_whisper
import numpy as np

from adapters.transcribe._common import ProgressRelay, WorkerTranscriber, cues_from
from core.errors import UserFacingError
from core.models import Transcript

SAMPLE_RATE = 16_000  # what Whisper hears; decode_audio resamples to it


class FasterWhisperTranscriber(WorkerTranscriber):
    """A Transcriber over a CTranslate2 Whisper model directory (model.bin, config.json,
    tokenizer.json), loaded on first use and kept."""

    def __init__(
        self,
        model_dir: str | Path,
        threads: int = 2,
        beam_size: int = 5,
        compute_type: str = "int8",
    ) -> None:
        self._model_dir = Path(model_dir)
        super().__init__(self._model_dir / "model.bin", "faster-whisper")
        self._threads = threads
        self._beam_size = beam_size
        self._compute_type = compute_type

    @property
    def name(self) -> str:
        """The engine and the model directory's name, like faster-whisper:tiny.en."""
        return f"faster-whisper:{self._model_dir.name}"

    def _load(self) -> Any:
        if self._model is None:
            self._model = faster_whisper.WhisperModel(
                str(self._model_dir),
                device="cpu",
                compute_type=self._compute_type,
                cpu_threads=self._threads,
                num_workers=1,
            )
        return self._model

    def _run(
        self, audio_path: str, file_name: str, language: str | None, relay: ProgressRelay
    ) -> Transcript:
        audio = _decode(audio_path, file_name)
        model = self._load()
        if not model.model.is_multilingual:
            language = "en"
        duration = len(audio) / SAMPLE_RATE
        segments, info = model.transcribe(
            audio,
            language=language,
            beam_size=self._beam_size,
            vad_filter=True,
        )
        timed: list[tuple[float, float, str]] = []
        for segment in segments:  # a generator: decoding happens as it is read
            timed.append((float(segment.start), float(segment.end), str(segment.text)))
            relay.report(max(float(segment.end), 1e-3) / duration)
        return Transcript(
            cues=cues_from(timed, duration), language=str(info.language), backend=self.name
        )


def _decode(audio_path: str, file_name: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The file's first sound track as 16 kHz mono floats, or the phrase saying why not."""
    try:
        with av.open(audio_path) as container:
            has_audio = bool(container.streams.audio)
        if has_audio:
            audio: np.ndarray[Any, np.dtype[np.float32]] = faster_whisper.decode_audio(
                audio_path, sampling_rate=SAMPLE_RATE
            )
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise UserFacingError("audio_unreadable", name=file_name) from error
    if not has_audio or audio.size == 0:
        raise UserFacingError("audio_no_stream", name=file_name)
    return audio
