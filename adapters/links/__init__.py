"""Links people share: fetched only from public addresses (guard.py), pages read for their
main text (pages.py), videos and recordings through yt-dlp (media.py, captions.py)."""

from adapters.links.media import MediaLimits, YtDlpMedia
from adapters.links.pages import WebPageFetcher

__all__ = ["MediaLimits", "WebPageFetcher", "YtDlpMedia"]
