"""Links people share in chat: finding them in text and reading YouTube links.

Pure string work (no network): which URLs a message holds, which YouTube video a link
points to, where in the video it asks to start, and whether it is only a playlist.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

# Up to whitespace, angle brackets, quotes and `|` (Slack's `<url|label>` separator).
_URL = re.compile(r"https?://[^\s<>\"'|`]+", re.IGNORECASE)
# Punctuation that ends the sentence around a link rather than the link itself.
_TRAILING = ".,!?;:'\"…。、，！？；：」』》〉>*"
_CLOSERS = {")": "(", "]": "[", "}": "{", "）": "（", "】": "【"}
_PATH_JOINERS = "/=_+#?&(:~"
_HANGUL_TAIL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+$")

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PATH_PREFIXES = ("shorts", "live", "embed", "v", "e", "watch")
# 11 characters long, but a playlist embed, not a video.
_NOT_IDS = {"videoseries"}
_OFFSET = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", re.IGNORECASE)


def find_links(text: str) -> list[str]:
    """The http(s) URLs in chat text, in order and each once, without the punctuation or
    the Korean particle glued after them ("https://youtu.be/abc123xyz_-에서")."""
    links: list[str] = []
    for match in _URL.finditer(text):
        url = _trimmed(match.group())
        if _has_host(url) and url not in links:
            links.append(url)
    return links


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # a broken IPv6 literal, "http://[abc"
        return False


def _trimmed(url: str) -> str:
    while True:
        before = url
        url = url.rstrip(_TRAILING)
        tail = _HANGUL_TAIL.search(url)
        # Hangul after `/`, `=`, `_` and the like is a Korean path ("/wiki/서울",
        # "/wiki/대한_민국"); after anything else it is a particle glued on ("...com에서").
        if tail and tail.start() > 0 and url[tail.start() - 1] not in _PATH_JOINERS:
            url = url[: tail.start()]
        if url and url[-1] in _CLOSERS and url.count(url[-1]) > url.count(_CLOSERS[url[-1]]):
            url = url[:-1]
        if url == before:
            return url


def _youtube_parts(url: str) -> tuple[str, list[str], dict[str, list[str]]] | None:
    """(host kind, path segments, query) of a YouTube link, or None for any other link."""
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    query = parse_qs(parts.query)
    for key, values in parse_qs(parts.fragment).items():
        query.setdefault(key, values)
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in ("youtu.be", "www.youtu.be"):
        return "short", segments, query
    if host in ("youtube.com", "youtube-nocookie.com") or host.endswith(
        (".youtube.com", ".youtube-nocookie.com")
    ):
        return "long", segments, query
    return None


def youtube_video_id(url: str) -> str | None:
    """The 11-character id of the video a YouTube link opens, or None.

    Knows watch?v= (among t=, list=, si=, feature=...), youtu.be/, /shorts/, /live/,
    /embed/, /v/, and the www, m., music. and youtube-nocookie.com hosts.
    """
    parts = _youtube_parts(url)
    if parts is None:
        return None
    kind, segments, query = parts
    candidate: str | None = None
    if kind == "short":
        candidate = segments[0] if segments else None
    elif segments == ["watch"]:
        candidate = query.get("v", [None])[0]
    elif len(segments) >= 2 and segments[0].lower() in _PATH_PREFIXES:
        candidate = segments[1]
    if candidate and _VIDEO_ID.fullmatch(candidate) and candidate not in _NOT_IDS:
        return candidate
    return None


def canonical_video_url(video_id: str) -> str:
    """The one URL a video is kept under, whichever link form was shared."""
    if not _VIDEO_ID.fullmatch(video_id):
        raise ValueError(f"not a YouTube video id: {video_id!r}")
    return f"https://www.youtube.com/watch?v={video_id}"


def start_offset(url: str) -> int | None:
    """The second a YouTube link asks to start at (t= or start=, as 90, 90s, 1m30s or
    1h2m3s, in the query or after #), or None."""
    parts = _youtube_parts(url)
    if parts is None:
        return None
    query = parts[2]
    value = (query.get("t") or query.get("start") or [""])[0].strip()
    match = _OFFSET.fullmatch(value)
    if not value or match is None:
        return None
    hours, minutes, seconds = (int(group) if group else 0 for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def is_playlist_only(url: str) -> bool:
    """Whether a YouTube link names a playlist (list=) but no video to start with."""
    parts = _youtube_parts(url)
    return parts is not None and "list" in parts[2] and youtube_video_id(url) is None
