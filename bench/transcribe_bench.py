"""Speech to text through both Whisper backends, side by side: speed and word error rate.

An English passage of about 30 seconds is spoken by espeak-ng, then transcribed by
faster-whisper (CTranslate2, int8) and openai-whisper (PyTorch, float32) with tiny.en and
with base (multilingual, language detected), through the project's adapters. It prints
the real-time factor (seconds of work per second of audio, the model already loaded), the
word error rate against the script and between the two backends, and which one is faster.
Each backend runs in a process of its own: in one process the OpenMP thread pools of the
two engines compete for the cores and slow whichever runs second.

    python bench/transcribe_bench.py [--models tiny.en base] [--threads 2] [--repeats 3]
                                     [--beam-size 5] [--models-dir models/whisper]

Needs `make whisper-models` and espeak-ng (apt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds adapters/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.models import Cue, Transcript
from core.ports import Transcriber
from tests.support.media import speak

if TYPE_CHECKING:
    from adapters.transcribe.faster_whisper_backend import FasterWhisperTranscriber
    from adapters.transcribe.openai_whisper_backend import OpenAIWhisperTranscriber

MODELS_DIR = Path(__file__).resolve().parents[1] / "models" / "whisper"
# No numbers and no words spelled differently in British and American English: the score
# then measures hearing, not text normalisation.
PASSAGE = (
    "The old railway station on the edge of the valley was turned into a library last "
    "spring. Volunteers carried thousands of books across the platform, sorted them by "
    "the shape of the cover at first, and later by subject when the readers complained. "
    "On quiet evenings the station master still rings the brass bell, although no train "
    "has stopped there for many years. Children come after school to read about volcanoes, "
    "pirates and distant planets, while their parents drink coffee in the waiting room."
)
WARM_UP_TEXT = "A short sentence to wake the engine up."
ENGINES = ("faster-whisper", "openai-whisper")


def words(text: str) -> list[str]:
    """Lowercase words without punctuation, for scoring."""
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """(substitutions + deletions + insertions) / words of the reference (Levenshtein)."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    previous = list(range(len(hypothesis) + 1))
    for i, expected in enumerate(reference, start=1):
        current = [i]
        for j, heard in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[j] + 1,  # deletion
                    current[j - 1] + 1,  # insertion
                    previous[j - 1] + (expected != heard),  # substitution or match
                )
            )
        previous = current
    return previous[-1] / len(reference)


@dataclass
class Run:
    """What one backend did with the passage."""

    backend: str
    load_seconds: float
    seconds: list[float]
    transcript: Transcript

    @property
    def text(self) -> str:
        """The transcript as one line."""
        return " ".join(cue.text for cue in self.transcript.cues)


async def measure(
    backend: Transcriber, load: float, clip: Path, warm_up: Path, repeats: int
) -> Run:
    """Time `repeats` transcriptions of `clip` after one untimed run on `warm_up`."""
    await backend.transcribe(str(warm_up), None)
    seconds: list[float] = []
    transcript: Transcript | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        transcript = await backend.transcribe(str(clip), None)
        seconds.append(time.perf_counter() - started)
    assert transcript is not None
    return Run(backend.name, load, seconds, transcript)


def _backend(
    engine: str, model: str, threads: int, beam_size: int, models: Path
) -> FasterWhisperTranscriber | OpenAIWhisperTranscriber:
    # Imported here: each module pulls in its engine (torch for openai-whisper), which a
    # script importing this one's helpers need not load.
    from adapters.transcribe.faster_whisper_backend import FasterWhisperTranscriber
    from adapters.transcribe.openai_whisper_backend import OpenAIWhisperTranscriber

    if engine == "faster-whisper":
        return FasterWhisperTranscriber(
            models / "ct2" / model, threads=threads, beam_size=beam_size
        )
    return OpenAIWhisperTranscriber(
        models / "openai" / f"{model}.pt", threads=threads, beam_size=beam_size
    )


async def _measure_here(arguments: argparse.Namespace) -> None:
    backend = _backend(
        arguments.one,
        arguments.model,
        arguments.threads,
        arguments.beam_size,
        Path(arguments.models_dir),
    )
    started = time.perf_counter()
    await backend.warm_up()
    load = time.perf_counter() - started
    run = await measure(
        backend, load, Path(arguments.clip), Path(arguments.warm_up), arguments.repeats
    )
    backend.close()
    print(
        json.dumps(
            {
                "backend": run.backend,
                "load": run.load_seconds,
                "seconds": run.seconds,
                "language": run.transcript.language,
                "text": run.text,
            }
        )
    )


def measure_apart(
    engine: str, model: str, clip: Path, warm_up: Path, arguments: argparse.Namespace
) -> Run:
    """Load `engine` with `model` in a process of its own and time it on `clip`.

    `arguments` holds threads, repeats, beam_size and models_dir (as main's parser makes
    them). In one process the OpenMP thread pools of CTranslate2 and PyTorch compete for
    the cores and slow whichever runs second.
    """
    command = [sys.executable, __file__, "--one", engine, "--model", model]
    command += ["--clip", str(clip), "--warm-up", str(warm_up)]
    command += ["--threads", str(arguments.threads), "--repeats", str(arguments.repeats)]
    command += ["--beam-size", str(arguments.beam_size)]
    command += ["--models-dir", str(arguments.models_dir)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    cue = Cue(0.0, 0.0, result["text"])
    transcript = Transcript(cues=[cue], language=result["language"], backend=result["backend"])
    return Run(result["backend"], result["load"], result["seconds"], transcript)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    # One backend, one model, in this process (what main runs for each pair).
    parser.add_argument("--one", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        asyncio.run(_measure_here(arguments))
        return
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
    reference = words(PASSAGE)
    with tempfile.TemporaryDirectory() as scratch:
        clip, warm_up = Path(scratch) / "passage.wav", Path(scratch) / "warm-up.wav"
        duration = speak(PASSAGE, clip)
        speak(WARM_UP_TEXT, warm_up)
        print(
            f"passage: {duration:.1f} s, {len(reference)} words (espeak-ng en-us); "
            f"{arguments.threads} threads, beam size {arguments.beam_size}, "
            f"median of {arguments.repeats} runs, each backend in its own process"
        )
        print(f"{'backend':<26} {'load s':>7} {'run s':>7} {'RTF':>6} {'WER':>6} {'lang':>5}")
        for model in arguments.models:
            runs = [measure_apart(engine, model, clip, warm_up, arguments) for engine in ENGINES]
            for run in runs:
                median = statistics.median(run.seconds)
                wer = word_error_rate(reference, words(run.text))
                print(
                    f"{run.backend:<26} {run.load_seconds:7.2f} {median:7.2f} "
                    f"{median / duration:6.3f} {wer:6.1%} {run.transcript.language:>5}",
                    flush=True,
                )
            compare(runs)


def agreement(runs: Sequence[Run]) -> float:
    """How many words two runs share: 1 - the word error rate of one against the other."""
    first, second = runs
    return 1.0 - word_error_rate(words(first.text), words(second.text))


def compare(runs: list[Run]) -> None:
    """Print which of two runs is faster, by how much, and whether their words agree."""
    fast, slow = sorted(runs, key=lambda run: statistics.median(run.seconds))
    ratio = statistics.median(slow.seconds) / statistics.median(fast.seconds)
    between = word_error_rate(words(fast.text), words(slow.text))
    same = "the same words" if between == 0 else f"{between:.1%} of words differing"
    print(f"  -> {fast.backend} is {ratio:.2f}x faster than {slow.backend}, with {same}")
    if between:
        print(f"     {fast.backend}: {fast.text}")
        print(f"     {slow.backend}: {slow.text}")


if __name__ == "__main__":
    main()
