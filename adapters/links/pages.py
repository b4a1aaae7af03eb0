"""Shared links to web pages, PDFs and text files, fetched safely and saved for the reader:
a page's main text is extracted with trafilatura, without menus, footers and ads."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import trafilatura

from adapters.links.guard import check_url, fetch_with_type, guarded_client
from core.errors import UserFacingError
from core.models import FetchedLink

_HTML = {"text/html", "application/xhtml+xml"}
_SAVED_AS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/json": ".json",
}
_UNSAFE = re.compile(r"[^\w.\- ]+")
_TITLE_CHARS = 120


class WebPageFetcher:
    """LinkFetcher over httpx with the private-address guard (guard.py)."""

    def __init__(self, allow_private: bool = False, timeout: float = 20.0) -> None:
        self._allow_private = allow_private
        self._timeout = timeout

    async def fetch(self, url: str, folder: str, max_bytes: int) -> FetchedLink:
        """Fetch `url` into `folder`: a page as Markdown of its main text, a PDF or a text
        file as it is; refuse what is private, too big or of another kind."""
        # Refused early with a clear reason; the client checks again at connect time.
        await asyncio.to_thread(check_url, url, self._allow_private)
        async with guarded_client(
            allow_private=self._allow_private,
            timeout=self._timeout,
            headers={"User-Agent": "ragbot (+https://github.com/ragbot)"},
        ) as client:
            fetched = await fetch_with_type(client, url, max_bytes)
        if fetched.content_type in _HTML or (
            not fetched.content_type and fetched.body.lstrip()[:1] == b"<"
        ):
            return await asyncio.to_thread(_save_page, fetched.body, fetched.url, Path(folder))
        suffix = _SAVED_AS.get(fetched.content_type)
        if suffix is None:
            raise UserFacingError(
                "link_unsupported", url=url, kind=fetched.content_type or "unknown"
            )
        title = _name_in(fetched.url) or urlsplit(fetched.url).hostname or "link"
        path = Path(folder) / (_safe(Path(title).stem) + suffix)
        path.write_bytes(fetched.body)
        return FetchedLink(str(path), title)


def _save_page(body: bytes, url: str, folder: Path) -> FetchedLink:
    html = body.decode("utf-8", errors="replace")
    text = trafilatura.extract(
        html, url=url, output_format="markdown", include_links=False, include_tables=True
    )
    if not text or not text.strip():
        raise UserFacingError("link_no_text", url=url)
    metadata = trafilatura.extract_metadata(html, default_url=url)
    title = (metadata.title if metadata and metadata.title else "") or _name_in(url) or url
    title = " ".join(title.split())[:_TITLE_CHARS]
    path = folder / (_safe(title) + ".md")
    path.write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
    return FetchedLink(str(path), title)


def _name_in(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _safe(name: str) -> str:
    return (_UNSAFE.sub("_", name).strip(" ._") or "page")[:80]
