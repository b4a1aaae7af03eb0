"""Media made on the spot and served on 127.0.0.1, for the tests and bench/media_bench.py:
speech from espeak-ng, muxed with ffmpeg, on an HTML page holding a `<video>` or `<audio>`
(and a `<track>`) that yt-dlp's generic extractor reads."""

from __future__ import annotations

import html
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

# What a player needs to see a video file: enough for yt-dlp, which never opens it when it
# only reads captions.
PLACEHOLDER_MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024

Served = Mapping[str, tuple[bytes, str]]


def missing_tools(*names: str) -> list[str]:
    """The programs among `names` that are not on PATH."""
    return [name for name in names if shutil.which(name) is None]


def speak(text: str, path: Path) -> float:
    """Write `text` spoken by espeak-ng (en-us) to the WAV file `path`; return its seconds."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def mux(audio: Path, target: Path, video: bool = False) -> Path:
    """Encode `audio` with ffmpeg into `target` (AAC; `.m4a`, or `.mp4` with a still black
    picture when `video`)."""
    command = ["ffmpeg", "-loglevel", "error", "-y"]
    if video:
        command += ["-f", "lavfi", "-i", "color=c=black:s=160x120:r=1"]
    command += ["-i", str(audio)]
    if video:
        command += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-tune", "stillimage"]
        command += ["-pix_fmt", "yuv420p", "-shortest"]
    command += ["-c:a", "aac", str(target)]
    subprocess.run(command, check=True)
    return target


def media_page(title: str, media: str, captions: str | None = None, tag: str = "video") -> str:
    """An HTML page holding one `<video>` (or `<audio>`) at `media`, with an English
    `<track>` at `captions` when given."""
    track = f'<track kind="captions" src="{captions}" srclang="en">' if captions else ""
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f'<{tag} controls src="{media}">{track}</{tag}></body></html>'
    )


def vtt_time(seconds: float) -> str:
    """A WebVTT timestamp, hh:mm:ss.mmm."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def webvtt(cues: list[tuple[float, float, str]]) -> str:
    """A WebVTT file of (start, end, text) cues."""
    blocks = [f"{vtt_time(start)} --> {vtt_time(end)}\n{text}" for start, end, text in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


@asynccontextmanager
async def serve(files: Served) -> AsyncIterator[str]:
    """Serve `files` ({path: (body, content type)}) on 127.0.0.1; yields the base URL."""

    async def reply(request: web.Request) -> web.Response:
        body, kind = files[request.path]
        return web.Response(body=body, content_type=kind)

    app = web.Application()
    for path in files:
        app.router.add_get(path, reply)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
