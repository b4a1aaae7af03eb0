"""Videos and recordings behind shared links, with yt-dlp: metadata first, refusals before
any download, captions first (manual in the video's language, then the automatic ones of
its original language, never a translated track), audio only when there are none."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import DownloadError, UnsupportedError

from adapters.links.captions import parse_vtt
from adapters.links.guard import check_url, fetch_capped, guarded_client
from core.errors import UserFacingError
from core.links import canonical_video_url, youtube_video_id
from core.models import Chapter, MediaFetch, MediaInfo
from core.ports import Progress

log = logging.getLogger("ragbot.media")

_CAPTION_BYTES = 5 * 1024 * 1024
# What yt-dlp says, and the phrase a person is told (core/messages.py), first match wins.
_FAILURES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), key)
    for pattern, key in (
        (r"private video|this video is private", "media_private"),
        (r"confirm you.?re not a bot|sign in to confirm(?! your age)", "media_sign_in"),
        (r"confirm your age|age.restricted|inappropriate for some users", "media_age"),
        (r"available in your country|geo.?restrict|blocked it in your country", "media_region"),
        (r"live event|is live|premieres in", "media_live"),
        (r"http error 429|too many requests|rate.?limit", "media_rate_limited"),
        (r"video unavailable|has been removed|does not exist|not available", "media_unavailable"),
        (r"unsupported url", "media_unsupported"),
        (r"unable to download|failed to resolve|connection|timed out|network", "media_network"),
    )
)


@dataclass(frozen=True)
class MediaLimits:
    """Caps checked on the metadata, before anything is downloaded."""

    max_duration_seconds: float = 3 * 3600
    max_bytes: int = 500 * 1024 * 1024
    allow_private: bool = False
    # "generic" hands a page's <video>/<audio> to yt-dlp's "html5" extractor.
    allowed_extractors: tuple[str, ...] = ("youtube", "generic", "html5")
    cookies_file: str | None = None


def media_failure(error: Exception, url: str) -> UserFacingError:
    """The phrase for a yt-dlp failure a person can understand."""
    text = str(error)
    for pattern, key in _FAILURES:
        if pattern.search(text):
            return UserFacingError(key, url=url)
    log.warning("yt-dlp failed on %s: %s", url, text)
    return UserFacingError("media_failed", url=url)


def pick_captions(info: dict[str, Any]) -> tuple[str, str, str] | None:
    """(kind, language, VTT url) of the captions to use: manual ones in the video's
    language (or the only manual track), else the automatic ones of its original language.
    Auto-translated tracks are never taken: YouTube rate-limits them first."""
    language = info.get("language")
    manual = {k: v for k, v in (info.get("subtitles") or {}).items() if k != "live_chat"}
    automatic = info.get("automatic_captions") or {}
    chosen: list[tuple[str, str, list[dict[str, Any]]]] = []
    if manual:
        if language:
            matches = [k for k in manual if k == language or k.split("-")[0] == language]
        else:
            matches = list(manual)[:1]
        chosen += [("manual", key, manual[key]) for key in matches]
    originals = [key for key in automatic if key.endswith("-orig")]
    if language and language in automatic:
        originals.append(language)
    chosen += [("automatic", key.removesuffix("-orig"), automatic[key]) for key in originals]
    for kind, key, formats in chosen:
        for entry in formats:
            if entry.get("ext") == "vtt" and entry.get("url"):
                return kind, key, str(entry["url"])
    return None


def media_info(info: dict[str, Any], shared_url: str) -> MediaInfo:
    """The metadata the core keeps, with the canonical link."""
    video_id = youtube_video_id(shared_url)
    url = canonical_video_url(video_id) if video_id else str(info.get("webpage_url") or shared_url)
    chapters = tuple(
        Chapter(str(item.get("title") or "").strip(), float(item["start_time"]), _end(item))
        for item in info.get("chapters") or ()
        if item.get("start_time") is not None
    )
    duration = info.get("duration")
    return MediaInfo(
        url=url,
        title=str(info.get("title") or url),
        uploader=info.get("uploader") or info.get("channel"),
        duration_seconds=float(duration) if isinstance(duration, int | float) else None,
        language=info.get("language"),
        chapters=chapters,
        extractor=str(info.get("extractor_key") or ""),
    )


def _end(chapter: dict[str, Any]) -> float | None:
    end = chapter.get("end_time")
    return float(end) if isinstance(end, int | float) else None


def refusal(info: dict[str, Any], url: str, limits: MediaLimits) -> UserFacingError | None:
    """Why a video is not taken, judged on its metadata before any download: a playlist,
    a live stream, longer or larger than the caps."""
    if info.get("_type") == "playlist":
        return UserFacingError("media_playlist", url=url)
    if info.get("is_live") or info.get("live_status") in {"is_live", "is_upcoming"}:
        return UserFacingError("media_live", url=url)
    duration = info.get("duration")
    limit = limits.max_duration_seconds
    if isinstance(duration, int | float) and duration > limit:
        return UserFacingError(
            "media_too_long", url=url, minutes=round(duration / 60), limit=round(limit / 60)
        )
    size = info.get("filesize") or info.get("filesize_approx")
    if isinstance(size, int | float) and size > limits.max_bytes:
        return UserFacingError(
            "media_too_big",
            url=url,
            megabytes=round(size / 1024 / 1024),
            limit=round(limits.max_bytes / 1024 / 1024),
        )
    return None


class GuardedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    """yt-dlp whose every request (pages, APIs, captions, media and their fragments) goes
    through the address guard: the URL before it is sent, and where its redirects ended
    before a byte of the body is read."""

    def __init__(self, params: dict[str, Any], limits: MediaLimits) -> None:
        super().__init__(params)
        self._allow_private = limits.allow_private

    def urlopen(self, req: Any) -> Any:
        """Send `req` when its address is allowed."""
        url = req if isinstance(req, str) else getattr(req, "url", None) or req.get_full_url()
        check_url(str(url), self._allow_private)
        response = super().urlopen(req)
        final = getattr(response, "url", None)
        if final and final != url:
            try:
                check_url(str(final), self._allow_private)
            except UserFacingError:
                response.close()
                raise
        return response


class YtDlpMedia:
    """MediaFetcher over yt-dlp; caption files come through the address guard."""

    def __init__(self, limits: MediaLimits) -> None:
        self._limits = limits

    def _options(self, **extra: Any) -> dict[str, Any]:
        options: dict[str, Any] = {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "noplaylist": True,
            "allowed_extractors": list(self._limits.allowed_extractors),
            "socket_timeout": 20,
        }
        if self._limits.cookies_file:
            options["cookiefile"] = self._limits.cookies_file
        options.update(extra)
        return options

    async def fetch(
        self,
        url: str,
        folder: str,
        want_audio: bool,
        on_download: Progress | None = None,
    ) -> MediaFetch | None:
        """See core.ports.MediaFetcher."""
        await asyncio.to_thread(check_url, url, self._limits.allow_private)
        info = await asyncio.to_thread(self._probe, url)
        if info is None:
            return None
        refused = refusal(info, url, self._limits)
        if refused is not None:
            raise refused
        about = media_info(info, url)
        picked = pick_captions(info)
        if picked is not None:
            kind, _, caption_url = picked
            cues = await self._captions(caption_url)
            if cues:
                return MediaFetch(about, tuple(cues), kind)
        if not want_audio:
            raise UserFacingError("media_no_captions", title=about.title)
        hook = _progress_hook(on_download, asyncio.get_running_loop()) if on_download else None
        audio = await asyncio.to_thread(self._download_audio, url, Path(folder), hook)
        return MediaFetch(about, audio_path=str(audio))

    def _probe(self, url: str) -> dict[str, Any] | None:
        try:
            with GuardedYoutubeDL(self._options(skip_download=True), self._limits) as ydl:
                info = ydl.extract_info(url, download=False)
                return dict(ydl.sanitize_info(info)) if info else None
        except UnsupportedError:
            return None
        except DownloadError as error:
            if "unsupported url" in str(error).lower():
                # No video or audio at the link: a page, read as a document instead.
                return None
            raise media_failure(error, url) from error

    async def _captions(self, caption_url: str) -> list[Any]:
        async with guarded_client(allow_private=self._limits.allow_private) as client:
            body = await fetch_capped(client, caption_url, _CAPTION_BYTES)
        return parse_vtt(body.decode("utf-8", errors="replace"))

    def _download_audio(
        self, url: str, folder: Path, hook: Callable[[dict[str, Any]], None] | None
    ) -> Path:
        options = self._options(
            format="bestaudio/best",
            outtmpl=str(folder / "audio.%(ext)s"),
            max_filesize=self._limits.max_bytes,
            progress_hooks=[hook] if hook else [],
        )
        try:
            with GuardedYoutubeDL(options, self._limits) as ydl:
                ydl.extract_info(url, download=True)
        except DownloadError as error:
            raise media_failure(error, url) from error
        files = [path for path in folder.glob("audio.*") if not path.name.endswith(".part")]
        if not files:
            # yt-dlp skips a file past max_filesize without an error.
            raise UserFacingError(
                "media_too_big",
                url=url,
                megabytes="?",
                limit=round(self._limits.max_bytes / 1024 / 1024),
            )
        return files[0]


def _progress_hook(
    on_download: Progress, loop: asyncio.AbstractEventLoop
) -> Callable[[dict[str, Any]], None]:
    """A yt-dlp progress hook (called on yt-dlp's thread) that tells `on_download` on the
    event loop each time another percent is done."""
    shown = -1

    def hook(state: dict[str, Any]) -> None:
        nonlocal shown
        total = state.get("total_bytes") or state.get("total_bytes_estimate")
        done = state.get("downloaded_bytes")
        if state.get("status") != "downloading" or not total or done is None:
            return
        percent = min(int(100 * done / total), 100)
        if percent > shown:
            shown = percent
            loop.call_soon_threadsafe(_tell, on_download, percent / 100)

    return hook


_SHOWING: set[asyncio.Future[None]] = set()  # held until done: the loop keeps weak refs


def _tell(on_download: Progress, fraction: float) -> None:
    task = asyncio.ensure_future(on_download(fraction))
    _SHOWING.add(task)
    task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Future[None]) -> None:
    _SHOWING.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not show download progress", exc_info=task.exception())
