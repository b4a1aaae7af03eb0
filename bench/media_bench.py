"""Videos from link to done: each speech-to-text backend's speed, and each stage's time.

On one clip (bench/transcribe_bench.py's English passage spoken by espeak-ng, muxed by
ffmpeg into an MP4 with a still picture, served on 127.0.0.1 in a page with a `<video>`):
  1. the real-time factor of faster-whisper and openai-whisper with each model (tiny.en,
     base) and how many words the two agree on (transcribe_bench's measurement, each
     backend in a process of its own, the model loaded, the two in turns);
  2. the time from link to done by stage, through the bot's adapters as bots/bootstrap.py
     builds them: YtDlpMedia (metadata, then captions or the audio), the default
     transcriber, core.timed_chunks, the default embedders and the Qdrant Edge store
     through IngestionService.store_chunks. Once with the page's `<track>` (captions) and
     once without (speech-to-text).
  3. a captioned 10-minute video: a WebVTT track of 1,500 words of spoken English (the
     podcast transcript of tests/data/retrieval, cues of 1.6-6.7 s) beside a placeholder
     video file, and the seconds from its captions' arrival to done (target 5 s).

Done means the chunks are stored and searchable; the two-sentence summary the bot then
asks the language model for is not counted. Engines are loaded and one untimed run goes
first, as in a bot that has started. Each figure is the median of --repeats runs.

    python bench/media_bench.py [--models tiny.en base] [--repeats 3] [--threads 2]
                                [--models-dir models/whisper]

Needs `make whisper-models`, espeak-ng and ffmpeg (apt).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds adapters/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.links import media as media_module
from adapters.links.captions import parse_vtt
from adapters.links.media import MediaLimits, YtDlpMedia
from bench.transcribe_bench import (
    ENGINES,
    MODELS_DIR,
    PASSAGE,
    WARM_UP_TEXT,
    Run,
    agreement,
    measure_apart,
    word_error_rate,
    words,
)
from bots.bootstrap import build_embeddings, build_reader, build_store, build_transcriber
from config.settings import load_settings
from core.embeddings import EmbeddingSet
from core.ingestion import IngestionService, IngestionSettings, source_id_for
from core.language import detect_language
from core.models import ChannelRef, Cue, Source, SourceKind, Vectors
from core.ports import Transcriber, VectorStore
from core.timed_chunks import timed_chunks
from tests.support.media import (
    PLACEHOLDER_MP4,
    media_page,
    missing_tools,
    mux,
    serve,
    speak,
    webvtt,
)

ROOT = Path(__file__).resolve().parents[1]
TALK = ROOT / "tests" / "data" / "retrieval" / "documents" / "podcast-transcript-ep42.txt"
TALK_WORDS = 1500
TALK_SECONDS = 600.0
CAPTIONS_TARGET = 5.0
RTF_TARGET = 0.1
CHANNEL = ChannelRef("bench", "team", "media")
_SPEAKER = re.compile(r"^(?:ANA|RAFI|GUEST \([^)]*\)):\s*(.+)$")
_STAGE_DIRECTION = re.compile(r"\([a-z ]+\)\s*")
STAGES = (
    "metadata",
    "captions download",
    "captions parse",
    "audio download",
    "transcription",
    "chunking",
    "embedding",
    "storing",
)


def cue_track(text: str, seconds: float) -> list[tuple[float, float, str]]:
    """`text` as caption cues over `seconds`: 6 to 12 words each (the lengths cycle), each
    shown for a time in proportion to its characters, as a speaker's pace would give."""
    spoken = text.split()
    pieces: list[str] = []
    at, sizes = 0, (8, 11, 6, 9, 12, 7, 10)
    while at < len(spoken):
        size = sizes[len(pieces) % len(sizes)]
        pieces.append(" ".join(spoken[at : at + size]))
        at += size
    per_char = seconds / sum(len(piece) + 1 for piece in pieces)
    cues: list[tuple[float, float, str]] = []
    start = 0.0
    for piece in pieces:
        end = start + (len(piece) + 1) * per_char
        cues.append((round(start, 3), round(end, 3), piece))
        start = end
    return cues


def talk_text(limit: int = TALK_WORDS) -> str:
    """The first `limit` words said in the podcast transcript: its speakers' lines without
    their names, headings or stage directions such as "(laughs)"."""
    said: list[str] = []
    for line in TALK.read_text(encoding="utf-8").splitlines():
        spoken = _SPEAKER.match(line.strip())
        if spoken:
            said.extend(_STAGE_DIRECTION.sub("", spoken.group(1)).split())
    return " ".join(said[:limit])


class TimedMedia(YtDlpMedia):
    """YtDlpMedia noting when its captions or audio start to download, when the caption
    text has arrived (handed to the parser) and how long each step took."""

    def __init__(self, limits: MediaLimits) -> None:
        super().__init__(limits)
        self.stages: dict[str, float] = {}
        self.download_started = 0.0
        self.captions_arrived: float | None = None

    def reset(self) -> None:
        """Forget the last fetch's times."""
        self.stages, self.download_started, self.captions_arrived = {}, 0.0, None

    async def _captions(self, caption_url: str) -> list[Any]:
        self.download_started = time.perf_counter()

        def timed_parse(text: str) -> list[Cue]:
            self.captions_arrived = time.perf_counter()
            return parse_vtt(text)

        # The module's own download and parse run; only the moment between them is noted.
        with mock.patch.object(media_module, "parse_vtt", timed_parse):
            cues = await super()._captions(caption_url)
        finished = time.perf_counter()
        assert self.captions_arrived is not None
        self.stages["captions download"] = self.captions_arrived - self.download_started
        self.stages["captions parse"] = finished - self.captions_arrived
        return cues

    def _download_audio(
        self, url: str, folder: Path, hook: Callable[[dict[str, Any]], None] | None
    ) -> Path:
        self.download_started = time.perf_counter()
        path = super()._download_audio(url, folder, hook)
        self.stages["audio download"] = time.perf_counter() - self.download_started
        return path


class TimedEmbeddings(EmbeddingSet):
    """The bot's embedding set, adding up the time spent embedding passages."""

    seconds = 0.0

    async def embed_passages(self, texts: Sequence[str]) -> list[Vectors]:
        """See EmbeddingSet.embed_passages."""
        started = time.perf_counter()
        try:
            return await super().embed_passages(texts)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class Timing:
    """One link, from shared to done."""

    stages: dict[str, float]
    total: float
    after_captions: float | None  # from the captions' arrival to done
    chunks: int


@dataclass
class Pipeline:
    """The bot's engines, as bots/bootstrap.py builds them from the default settings."""

    media: TimedMedia
    embeddings: TimedEmbeddings
    ingestion: IngestionService
    store: VectorStore
    transcriber: Transcriber | None
    runs: int = field(default=0)

    async def link_to_done(self, url: str) -> Timing:
        """Index `url` as core/indexing.py does a shared video, timing each stage."""
        self.runs += 1
        url = f"{url}?run={self.runs}"  # a new source each time, in one channel
        self.media.reset()
        self.embeddings.seconds = 0.0
        with tempfile.TemporaryDirectory(prefix="media-bench-") as folder:
            started = time.perf_counter()
            fetched = await self.media.fetch(url, folder, self.transcriber is not None)
            assert fetched is not None, f"no video at {url}"
            stages = {"metadata": self.media.download_started - started, **self.media.stages}
            cues, language = list(fetched.cues), fetched.info.language
            if not cues:
                assert fetched.audio_path and self.transcriber is not None
                heard = time.perf_counter()
                transcript = await self.transcriber.transcribe(fetched.audio_path, language)
                stages["transcription"] = time.perf_counter() - heard
                cues, language = transcript.cues, transcript.language
        cut = time.perf_counter()
        language = language or detect_language(" ".join(cue.text for cue in cues[:50]))
        info = fetched.info
        source = Source(source_id_for(url), info.title, SourceKind.MEDIA, info.url)
        chunks = timed_chunks(cues, source, info.chapters, language=language)
        stored = time.perf_counter()
        stages["chunking"] = stored - cut
        await self.ingestion.store_chunks(CHANNEL, source, chunks, summarize=False)
        done = time.perf_counter()
        stages["embedding"] = self.embeddings.seconds
        stages["storing"] = done - stored - self.embeddings.seconds
        arrived = self.media.captions_arrived
        after = done - arrived if arrived is not None else None
        return Timing(stages, done - started, after, len(chunks))


def build_pipeline(data_dir: Path, models_dir: Path, threads: int) -> Pipeline:
    """The default settings' engines, media on 127.0.0.1 allowed, data under `data_dir`."""
    settings = load_settings(
        data_dir=data_dir,
        media={"allow_private_addresses": True},
        transcribe={"models_dir": models_dir, "threads": threads},
    )
    media = TimedMedia(
        MediaLimits(
            max_duration_seconds=settings.media.max_duration_minutes * 60,
            max_bytes=int(settings.media.max_download_mb * 1024 * 1024),
            allow_private=settings.media.allow_private_addresses,
            allowed_extractors=tuple(settings.media.extractors),
        )
    )
    embeddings = TimedEmbeddings(build_embeddings(settings).members)
    store = build_store(settings)
    ingestion = IngestionService(
        build_reader(settings), embeddings, store, None, IngestionSettings(summarize=False)
    )
    return Pipeline(media, embeddings, ingestion, store, build_transcriber(settings))


async def start(pipeline: Pipeline) -> None:
    """Load the engines as a started bot has (the embedders, and the transcriber too)."""
    for member in pipeline.embeddings.members:
        load = getattr(member.embedder, "load", None)
        if load is not None:
            await load()
    warm_up = getattr(pipeline.transcriber, "warm_up", None)
    if warm_up is not None:
        await warm_up()


async def close(pipeline: Pipeline) -> None:
    """Release the transcriber's worker thread and the store."""
    finish = getattr(pipeline.transcriber, "close", None)
    if finish is not None:
        finish()
    await pipeline.store.close()


def median_timing(timings: Sequence[Timing]) -> Timing:
    """Each stage's median, the total's, and the median from the captions to done."""
    names = {name for timing in timings for name in timing.stages}
    stages = {name: statistics.median(t.stages.get(name, 0.0) for t in timings) for name in names}
    afters = [t.after_captions for t in timings if t.after_captions is not None]
    after = statistics.median(afters) if afters else None
    total = statistics.median(t.total for t in timings)
    return Timing(stages, total, after, timings[0].chunks)


@dataclass
class RtfRuns:
    """Both backends' runs with one model, and each round's openai / faster time ratio."""

    runs: list[Run]
    ratios: list[float]


def interleaved(model: str, clip: Path, warm_up: Path, arguments: argparse.Namespace) -> RtfRuns:
    """Both backends on `clip`, one run each per round, in turns (the order flips each
    round), each in a process of its own: load from other work on the machine then falls
    on both alike, and each round gives a ratio of its own."""
    once = argparse.Namespace(**{**vars(arguments), "repeats": 1})
    seconds: dict[str, list[float]] = {engine: [] for engine in ENGINES}
    loads: dict[str, list[float]] = {engine: [] for engine in ENGINES}
    last: dict[str, Run] = {}
    ratios: list[float] = []
    for round_number in range(arguments.repeats):
        order = ENGINES if round_number % 2 == 0 else ENGINES[::-1]
        for engine in order:
            last[engine] = measure_apart(engine, model, clip, warm_up, once)
            seconds[engine] += last[engine].seconds
            loads[engine].append(last[engine].load_seconds)
        ratios.append(seconds[ENGINES[1]][-1] / seconds[ENGINES[0]][-1])
    runs = [
        Run(last[e].backend, statistics.median(loads[e]), seconds[e], last[e].transcript)
        for e in ENGINES
    ]
    return RtfRuns(runs, ratios)


def rtf_table(
    clip: Path, warm_up: Path, duration: float, reference: list[str], arguments: argparse.Namespace
) -> dict[str, list[Run]]:
    """Both backends with each model on the clip, printed; the runs by model."""
    print(f"{'speech to text':<26} {'load s':>7} {'run s':>7} {'RTF':>6} {'WER':>6} {'<=0.1':>6}")
    by_model: dict[str, list[Run]] = {}
    for model in arguments.models:
        measured = interleaved(model, clip, warm_up, arguments)
        by_model[model] = measured.runs
        for run in measured.runs:
            median = statistics.median(run.seconds)
            wer = word_error_rate(reference, words(run.text))
            met = "yes" if median / duration <= RTF_TARGET else "no"
            print(
                f"{run.backend:<26} {run.load_seconds:7.2f} {median:7.2f} "
                f"{median / duration:6.3f} {wer:6.1%} {met:>6}",
                flush=True,
            )
        ratios = measured.ratios
        print(
            f"  -> {model}: {ENGINES[1]} / {ENGINES[0]} time {statistics.median(ratios):.2f}x "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f}x); "
            f"{max(0.0, agreement(measured.runs)):.1%} of words agree",
            flush=True,
        )
    return by_model


def stage_table(columns: dict[str, Timing]) -> None:
    """Seconds per stage (median), one column per case."""
    width = max(14, *(len(name) for name in columns))
    print(f"{'link to done, s':<18}" + "".join(f" {name:>{width}}" for name in columns))
    for stage in STAGES:
        if not any(stage in timing.stages for timing in columns.values()):
            continue
        cells = [timing.stages.get(stage) for timing in columns.values()]
        row = "".join(f" {'-' if c is None else f'{c:.3f}':>{width}}" for c in cells)
        print(f"{stage:<18}{row}")
    print(f"{'total':<18}" + "".join(f" {t.total:>{width}.3f}" for t in columns.values()))
    print(f"{'chunks':<18}" + "".join(f" {t.chunks:>{width}}" for t in columns.values()))


async def bench(arguments: argparse.Namespace) -> None:
    """Make the media, serve it, run both parts, print the tables and the targets."""
    with tempfile.TemporaryDirectory(prefix="media-bench-") as scratch:
        folder = Path(scratch)
        duration = speak(PASSAGE, folder / "clip.wav")
        speak(WARM_UP_TEXT, folder / "warm-up.wav")
        clip = mux(folder / "clip.wav", folder / "clip.mp4", video=True)
        reference = words(PASSAGE)
        talk = talk_text()
        print(
            f"clip: {duration:.1f} s, {len(reference)} words (espeak-ng en-us, ffmpeg MP4); "
            f"{arguments.threads} threads, beam size {arguments.beam_size}, "
            f"median of {arguments.repeats} runs; {time.strftime('%Y-%m-%d')}; {_load()}"
        )
        by_model = rtf_table(clip, folder / "warm-up.wav", duration, reference, arguments)
        files = {
            "/clip.html": (
                media_page("Spoken passage", "clip.mp4", "clip.vtt").encode(),
                "text/html",
            ),
            "/clip-speech.html": (media_page("Spoken passage", "clip.mp4").encode(), "text/html"),
            "/clip.mp4": (clip.read_bytes(), "video/mp4"),
            "/clip.vtt": (webvtt(cue_track(PASSAGE, duration)).encode(), "text/vtt"),
            "/talk.html": (
                media_page("Ten-minute talk", "talk.mp4", "talk.vtt").encode(),
                "text/html",
            ),
            "/talk.mp4": (PLACEHOLDER_MP4, "video/mp4"),
            "/talk.vtt": (webvtt(cue_track(talk, TALK_SECONDS)).encode(), "text/vtt"),
        }
        pipeline = build_pipeline(folder / "data", arguments.models_dir, arguments.threads)
        try:
            async with serve(files) as site:
                await start(pipeline)
                cases = {
                    "clip, captions": f"{site}/clip.html",
                    f"clip, {pipeline.transcriber.name if pipeline.transcriber else '-'}": (
                        f"{site}/clip-speech.html"
                    ),
                    "10 min, captions": f"{site}/talk.html",
                }
                for url in cases.values():
                    await pipeline.link_to_done(url)  # untimed: first use of each path
                timings: dict[str, list[Timing]] = {name: [] for name in cases}
                for _ in range(arguments.repeats):  # the cases in turns, as noise comes
                    for name, url in cases.items():
                        timings[name].append(await pipeline.link_to_done(url))
                columns = {name: median_timing(runs) for name, runs in timings.items()}
        finally:
            await close(pipeline)
        print()
        stage_table(columns)
        _targets(columns, by_model, duration, talk)
        print(f"at the end: {_load()}")


def _load() -> str:
    """The machine's load average: other work on the cores shows in every figure."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def _targets(
    columns: dict[str, Timing], by_model: dict[str, list[Run]], duration: float, talk: str
) -> None:
    print()
    ten = columns["10 min, captions"]
    assert ten.after_captions is not None
    verdict = "met" if ten.after_captions <= CAPTIONS_TARGET else "MISSED"
    cues = len(cue_track(talk, TALK_SECONDS))
    print(
        f"10-minute video ({len(talk.split())} words, {cues} cues): {ten.after_captions:.2f} s "
        f"from its captions' arrival to done (target {CAPTIONS_TARGET:.0f} s: {verdict}); "
        f"link to done {ten.total:.2f} s"
    )
    met = [
        run.backend
        for runs in by_model.values()
        for run in runs
        if statistics.median(run.seconds) / duration <= RTF_TARGET
    ]
    print(f"speech-to-text RTF <= {RTF_TARGET}: met by {', '.join(met) if met else 'none'}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    arguments = parser.parse_args()
    missing = missing_tools("espeak-ng", "ffmpeg")
    if missing:
        raise SystemExit(
            f"{' and '.join(missing)} not installed (apt-get install {' '.join(missing)})"
        )
    if not (arguments.models_dir / "ct2").is_dir():
        raise SystemExit(f"no Whisper models under {arguments.models_dir}: run make whisper-models")
    asyncio.run(bench(arguments))


if __name__ == "__main__":
    main()
