"""Videos behind shared links, with the real yt-dlp against pages served on 127.0.0.1:
captions are found and read, a page without media is left to the page reader, and each
failure a person meets gets its own plain reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.links import WebPageFetcher
from adapters.links.media import (
    GuardedYoutubeDL,
    MediaLimits,
    YtDlpMedia,
    media_failure,
    pick_captions,
    refusal,
)
from adapters.transcribe.faster_whisper_backend import FasterWhisperTranscriber
from core.errors import UserFacingError
from tests.core.conftest import build_harness
from tests.fakes import ScriptedModel
from tests.support.media import PLACEHOLDER_MP4, media_page, missing_tools, mux, serve, speak

CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:04.000
The Glimmerstone Tower was built in 1887.

00:00:04.000 --> 00:00:08.000
Visitors may climb it on Thursdays only.
"""
VIDEO_PAGE = media_page("Tower talk", "talk.mp4", "talk.vtt")
SILENT_PAGE = media_page("Tower talk, no captions", "talk.mp4")
PLAIN_PAGE = "<!doctype html><html><head><title>Notes</title></head><body><p>Hi.</p></body></html>"


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[str]:
    files: dict[str, tuple[bytes, str]] = {
        "/video.html": (VIDEO_PAGE.encode(), "text/html"),
        "/silent.html": (SILENT_PAGE.encode(), "text/html"),
        "/notes.html": (PLAIN_PAGE.encode(), "text/html"),
        "/talk.vtt": (CAPTIONS.encode(), "text/vtt"),
        "/talk.mp4": (PLACEHOLDER_MP4, "video/mp4"),
    }
    async with serve(files) as base:
        yield base


LOOPBACK = MediaLimits(allow_private=True)


async def test_a_page_with_a_video_and_captions_gives_its_timed_captions(
    site: str, tmp_path: Path
) -> None:
    fetched = await YtDlpMedia(LOOPBACK).fetch(f"{site}/video.html", str(tmp_path), False)

    assert fetched is not None
    assert fetched.captions == "manual"
    assert [cue.text for cue in fetched.cues] == [
        "The Glimmerstone Tower was built in 1887.",
        "Visitors may climb it on Thursdays only.",
    ]
    assert fetched.cues[1].start == 4.0
    assert fetched.info.title.startswith("Tower talk")


async def test_a_page_without_media_is_not_a_video(site: str, tmp_path: Path) -> None:
    assert await YtDlpMedia(LOOPBACK).fetch(f"{site}/notes.html", str(tmp_path), False) is None


async def test_a_video_without_captions_and_speech_to_text_off_is_refused(
    site: str, tmp_path: Path
) -> None:
    with pytest.raises(UserFacingError) as refused:
        await YtDlpMedia(LOOPBACK).fetch(f"{site}/silent.html", str(tmp_path), False)

    assert refused.value.key == "media_no_captions"


async def test_a_private_address_is_refused_before_yt_dlp_runs(site: str, tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as refused:
        await YtDlpMedia(MediaLimits()).fetch(f"{site}/video.html", str(tmp_path), False)

    assert refused.value.key == "link_private_address"


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/talk.vtt", "http://169.254.169.254/latest", "file:///etc/passwd"]
)
def test_every_request_yt_dlp_makes_itself_goes_through_the_address_guard(url: str) -> None:
    # A page may name its media or captions anywhere: yt-dlp's own requests are checked too.
    with (
        GuardedYoutubeDL({"quiet": True}, MediaLimits()) as ydl,
        pytest.raises(UserFacingError) as refused,
    ):
        ydl.urlopen(url)

    assert refused.value.key in {"link_private_address", "link_scheme"}


def vtt(lang: str) -> list[dict[str, str]]:
    """A YouTube caption track's formats, VTT among them."""
    return [{"ext": "json3", "url": f"j/{lang}"}, {"ext": "vtt", "url": f"v/{lang}"}]


def youtube_info(**fields: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "language": "ko",
        "subtitles": {"en": vtt("en-manual"), "live_chat": vtt("chat")},
        "automatic_captions": {"ko-orig": vtt("ko-orig"), "en": vtt("en-tr"), "ja": vtt("ja")},
    }
    info.update(fields)
    return info


def test_manual_captions_in_the_videos_language_come_first() -> None:
    info = youtube_info(subtitles={"ko": [{"ext": "vtt", "url": "v/ko-manual"}]})

    assert pick_captions(info) == ("manual", "ko", "v/ko-manual")


def test_else_the_automatic_captions_of_the_original_language_never_a_translation() -> None:
    # The manual track is English; the video is Korean: its own automatic captions win.
    assert pick_captions(youtube_info()) == ("automatic", "ko", "v/ko-orig")
    assert (
        pick_captions(
            youtube_info(automatic_captions={"en": [{"ext": "vtt", "url": "x"}]}, subtitles={})
        )
        is None
    )


def test_playlists_live_streams_and_long_videos_are_refused_on_their_metadata() -> None:
    limits = MediaLimits(max_duration_seconds=3600, max_bytes=100 * 1024 * 1024)
    url = "https://www.youtube.com/watch?v=abcdefghijk"

    reasons = [
        refusal(info, url, limits)
        for info in (
            {"_type": "playlist"},
            {"is_live": True},
            {"live_status": "is_upcoming"},
            {"duration": 7200},
            {"duration": 600, "filesize_approx": 300 * 1024 * 1024},
            {"duration": 600},
        )
    ]

    assert [reason.key if reason else None for reason in reasons] == [
        "media_playlist",
        "media_live",
        "media_live",
        "media_too_long",
        "media_too_big",
        None,
    ]


YT = "ERROR: [youtube] abc: "
FAILURES = [
    (YT + "Private video. Sign in if you've been granted access", "media_private"),
    (YT + "Sign in to confirm you’re not a bot. Use --cookies", "media_sign_in"),
    (YT + "Sign in to confirm your age. This video may be inappropriate", "media_age"),
    (YT + "The uploader has not made this video available in your country", "media_region"),
    (YT + "This live event will begin in 3 hours.", "media_live"),
    (
        "ERROR: unable to download video data: HTTP Error 429: Too Many Requests",
        "media_rate_limited",
    ),
    (YT + "Video unavailable. This video has been removed by the uploader", "media_unavailable"),
    ("ERROR: Unsupported URL: https://example.com/x", "media_unsupported"),
    ("ERROR: Unable to download webpage: <urlopen error [Errno -3]>", "media_network"),
    ("ERROR: something nobody expected", "media_failed"),
]


@pytest.mark.parametrize(("said", "key"), FAILURES)
def test_each_yt_dlp_failure_is_told_in_plain_words(said: str, key: str) -> None:
    assert media_failure(RuntimeError(said), "https://youtu.be/abc").key == key


async def test_a_shared_video_link_is_indexed_and_answers_cite_the_second_it_is_said(
    site: str, tmp_path: Path
) -> None:
    harness = build_harness(
        tmp_path,
        model=ScriptedModel("Visitors may climb it on Thursdays only [1]."),
        links=WebPageFetcher(allow_private=True),
        media=YtDlpMedia(LOOPBACK),
    )

    await harness.say(f"{site}/video.html", addressed=False)
    indexed = harness.chat.last()
    await harness.say("On which day can visitors climb the Glimmerstone Tower?")

    assert indexed.startswith("Indexed *Tower talk")
    assert "(0:08, captions, en)" in indexed
    answer = harness.chat.last()
    assert f"Tower talk (1) @ 0:04 <{site}/video.html#t=4>" in answer


TINY_EN = Path(__file__).resolve().parents[2] / "models" / "whisper" / "ct2" / "tiny.en"
SPOKEN = (
    "The Glimmerstone Tower was built in eighteen eighty seven. "
    "Visitors may climb the tower on Thursdays only."
)


@pytest_asyncio.fixture(loop_scope="session")
async def spoken_site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A page holding a video with speech and no captions (espeak-ng, ffmpeg)."""
    if missing_tools("espeak-ng", "ffmpeg"):
        pytest.skip("espeak-ng and ffmpeg are needed (make test installs them)")
    folder = tmp_path_factory.mktemp("spoken")
    speak(SPOKEN, folder / "talk.wav")
    files = {
        "/talk.html": (
            media_page("Spoken tower talk", "talk.m4a", tag="audio").encode(),
            "text/html",
        ),
        "/talk.m4a": (mux(folder / "talk.wav", folder / "talk.m4a").read_bytes(), "audio/mp4"),
    }
    async with serve(files) as base:
        yield base


async def test_a_recording_without_captions_is_transcribed_and_cited_at_its_second(
    spoken_site: str, tmp_path: Path
) -> None:
    assert TINY_EN.is_dir(), "run `make whisper-models` (make test does)"
    transcriber = FasterWhisperTranscriber(TINY_EN, threads=2)
    harness = build_harness(
        tmp_path,
        model=ScriptedModel("Visitors may climb the tower on Thursdays only [1]."),
        links=WebPageFetcher(allow_private=True),
        media=YtDlpMedia(LOOPBACK),
        transcriber=transcriber,
    )
    try:
        await harness.say(f"{spoken_site}/talk.html", addressed=False)
        indexed = harness.chat.last()
        await harness.say("On which day can visitors climb the Glimmerstone Tower?")
    finally:
        transcriber.close()

    assert indexed.startswith("Indexed *Spoken tower talk"), indexed
    assert "speech-to-text, en" in indexed
    answer = harness.chat.last()
    assert "Spoken tower talk" in answer and f"{spoken_site}/talk.html#t=" in answer


async def test_a_video_shared_again_is_not_indexed_twice(site: str, tmp_path: Path) -> None:
    harness = build_harness(
        tmp_path, links=WebPageFetcher(allow_private=True), media=YtDlpMedia(LOOPBACK)
    )

    await harness.say(f"{site}/video.html", addressed=False)
    await harness.say(f"again: {site}/video.html", addressed=False)

    assert harness.chat.last().startswith("I already have *Tower talk")
    await harness.say("sources")
    assert harness.chat.last().count("Tower talk") == 1


async def test_an_audio_file_shared_in_the_channel_is_transcribed_with_its_progress_shown(
    tmp_path: Path,
) -> None:
    if missing_tools("espeak-ng"):
        pytest.skip("espeak-ng is needed (make test installs it)")
    clip = tmp_path / "standup.wav"
    speak(SPOKEN, clip)
    transcriber = FasterWhisperTranscriber(TINY_EN, threads=2)
    harness = build_harness(
        tmp_path, model=ScriptedModel("Thursdays [1]."), transcriber=transcriber
    )
    try:
        await harness.share(clip)
        await harness.say("On which day can visitors climb the Glimmerstone Tower?")
    finally:
        transcriber.close()

    # One status message: transcription progress, then edited to the outcome.
    states = [event.text for event in harness.chat.events if event.verb in {"post", "edit"}]
    assert any(text.startswith("🎙️ Transcribing *standup.wav*: ") for text in states)
    assert any(text.startswith("Indexed *standup.wav* (0:0") for text in harness.chat.shown())
    assert "standup.wav @ 0:0" in harness.chat.last()
