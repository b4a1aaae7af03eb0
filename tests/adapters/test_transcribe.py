"""Both Whisper backends on speech made by espeak-ng at test time, with tiny.en.

The openai-whisper checkpoint is converted here from the CTranslate2 model, so the same
run checks the converter: the converted model must hear the same words as faster-whisper.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.transcribe._common import cues_from
from adapters.transcribe.convert import convert
from adapters.transcribe.faster_whisper_backend import FasterWhisperTranscriber
from adapters.transcribe.openai_whisper_backend import OpenAIWhisperTranscriber
from core.errors import UserFacingError
from core.models import Cue, Transcript
from core.ports import Transcriber
from tests.conftest import ROOT

TINY_EN = ROOT / "models" / "whisper" / "ct2" / "tiny.en"
SCRIPT = (
    "The lighthouse keeper counted seventeen ships before the storm reached the harbour. "
    "Every captain carried copper lanterns, fresh oranges and a map of the northern islands."
)
KEY_WORDS = ("lighthouse", "storm", "copper", "lanterns")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install espeak-ng ffmpeg)")
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About ten seconds of English speech."""
    path = tmp_path_factory.mktemp("speech") / "lighthouse.wav"
    subprocess.run([_tool("espeak-ng"), "-v", "en-us", "-w", str(path), SCRIPT], check=True)
    return path


@pytest.fixture(scope="session")
def silent_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of black video without a sound track."""
    path = tmp_path_factory.mktemp("video") / "no-sound.mp4"
    command = [_tool("ffmpeg"), "-loglevel", "error", "-f", "lavfi"]
    command += ["-i", "color=c=black:s=64x64:d=2", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, check=True)
    return path


@pytest.fixture(scope="session")
def corrupt_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bytes that no decoder reads as audio, named like a recording."""
    path = tmp_path_factory.mktemp("corrupt") / "meeting.wav"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def _words(transcript: Transcript) -> list[str]:
    return re.findall(r"[a-z0-9']+", " ".join(cue.text for cue in transcript.cues).lower())


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    assert (TINY_EN / "model.bin").is_file(), (
        f"{TINY_EN} is missing: run `make whisper-models` (make test does)"
    )
    return TINY_EN


@pytest.fixture(scope="session")
async def faster(tiny_en: Path) -> AsyncIterator[FasterWhisperTranscriber]:
    backend = FasterWhisperTranscriber(tiny_en, threads=2)
    await backend.warm_up()
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def converted(tiny_en: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkpoint = tmp_path_factory.mktemp("openai") / "tiny.en.pt"
    convert(tiny_en, checkpoint)
    return checkpoint


@pytest.fixture(scope="session")
async def openai(converted: Path) -> AsyncIterator[OpenAIWhisperTranscriber]:
    backend = OpenAIWhisperTranscriber(converted, threads=2)
    await backend.warm_up()
    yield backend
    backend.close()


@pytest.fixture(params=["faster", "openai"])
def backend(request: pytest.FixtureRequest) -> Transcriber:
    transcriber: Transcriber = request.getfixturevalue(request.param)
    return transcriber


@pytest.fixture(scope="session")
async def transcripts(
    faster: FasterWhisperTranscriber, openai: OpenAIWhisperTranscriber, clip: Path
) -> dict[str, Transcript]:
    """Each backend's transcript of the clip, made once."""
    return {backend.name: await backend.transcribe(str(clip), "en") for backend in (faster, openai)}


async def test_the_clip_becomes_timed_cues_with_its_words(
    backend: Transcriber, transcripts: dict[str, Transcript], clip: Path
) -> None:
    transcript = transcripts[backend.name]
    assert transcript.backend == backend.name
    assert transcript.language == "en"
    assert transcript.cues, "no speech heard"
    duration = _duration(clip)
    for cue in transcript.cues:
        assert 0.0 <= cue.start <= cue.end <= duration, cue
        assert cue.text == cue.text.strip() and cue.text
    starts = [cue.start for cue in transcript.cues]
    assert starts == sorted(starts)
    assert transcript.cues[-1].end > duration / 2
    words = _words(transcript)
    assert [word for word in KEY_WORDS if word not in words] == [], words


def test_the_converted_checkpoint_hears_the_same_words_as_faster_whisper(
    transcripts: dict[str, Transcript],
) -> None:
    heard = {name: _words(transcript) for name, transcript in transcripts.items()}
    assert heard["openai-whisper:tiny.en"] == heard["faster-whisper:tiny.en"]


def test_the_converted_checkpoint_has_tiny_en_dimensions(converted: Path) -> None:
    import torch

    dims = torch.load(converted, weights_only=True)["dims"]
    assert dims == {
        "n_mels": 80,
        "n_audio_ctx": 1500,
        "n_audio_state": 384,
        "n_audio_head": 6,
        "n_audio_layer": 4,
        "n_vocab": 51864,
        "n_text_ctx": 448,
        "n_text_state": 384,
        "n_text_head": 6,
        "n_text_layer": 4,
    }


async def test_progress_rises_within_zero_and_one_and_ends_at_one(
    backend: Transcriber, clip: Path
) -> None:
    seen: list[float] = []

    async def on_progress(fraction: float) -> None:
        seen.append(fraction)

    await backend.transcribe(str(clip), None, on_progress)
    assert seen, "no progress reported"
    assert all(0.0 < fraction <= 1.0 for fraction in seen), seen
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


async def test_the_event_loop_keeps_running_while_the_engine_works(
    faster: FasterWhisperTranscriber, clip: Path
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        first, second = await asyncio.gather(
            faster.transcribe(str(clip), "en"), faster.transcribe(str(clip), "en")
        )
    finally:
        ticker.cancel()
    assert ticks > 20
    assert first == second  # one model, one job at a time: the same words both times


async def test_a_failing_progress_callback_does_not_fail_the_transcription(
    faster: FasterWhisperTranscriber, clip: Path
) -> None:
    async def broken(fraction: float) -> None:
        raise RuntimeError("chat is down")

    transcript = await faster.transcribe(str(clip), "en", broken)
    assert transcript.cues


async def test_a_corrupt_file_is_told_to_the_user(backend: Transcriber, corrupt_file: Path) -> None:
    with pytest.raises(UserFacingError) as caught:
        await backend.transcribe(str(corrupt_file), None)
    assert caught.value.key == "audio_unreadable"
    assert "meeting.wav" in caught.value.text("en")
    assert "meeting.wav" in caught.value.text("ko")


async def test_a_video_without_sound_is_told_to_the_user(
    backend: Transcriber, silent_video: Path
) -> None:
    with pytest.raises(UserFacingError) as caught:
        await backend.transcribe(str(silent_video), None)
    assert caught.value.key == "audio_no_stream"


async def test_a_missing_model_says_how_to_install_it(tmp_path: Path, clip: Path) -> None:
    backends: list[Transcriber] = [
        FasterWhisperTranscriber(tmp_path / "nowhere"),
        OpenAIWhisperTranscriber(tmp_path / "nowhere.pt"),
    ]
    for backend in backends:
        with pytest.raises(UserFacingError) as caught:
            await backend.transcribe(str(clip), None)
        assert caught.value.key == "transcriber_model_missing"
        assert "make whisper-models" in caught.value.text("en")


def test_cues_keep_time_order_and_stay_within_the_audio() -> None:
    segments = [(0.0, 2.0, " Hello "), (1.5, 3.0, "  "), (1.8, 1.2, "there"), (9.0, 11.0, "end")]
    assert cues_from(segments, duration=10.0) == [
        Cue(0.0, 2.0, "Hello"),
        Cue(1.8, 1.8, "there"),
        Cue(9.0, 10.0, "end"),
    ]


async def test_a_cancelled_transcription_leaves_the_backend_ready_for_the_next(
    faster: FasterWhisperTranscriber, clip: Path, transcripts: dict[str, Transcript]
) -> None:
    abandoned = asyncio.create_task(faster.transcribe(str(clip), "en"))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert await faster.transcribe(str(clip), "en") == transcripts[faster.name]
