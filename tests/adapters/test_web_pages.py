"""Shared links fetched for real from a server on 127.0.0.1: a page becomes its main text,
a PDF and a text file are kept as they are, private addresses are refused by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from adapters.links.pages import WebPageFetcher
from core.errors import UserFacingError

ARTICLE = """<!doctype html><html><head><title>Release handbook | Acme Wiki</title></head>
<body><nav><a href="/">Home</a> · <a href="/login">Sign in</a></nav>
<article><h1>Release handbook</h1>
<p>The code freeze starts every second Monday at 18:00 KST. During the freeze only fixes
for release blockers are merged, each approved by the release captain.</p>
<h2>Rolling back</h2>
<p>Run the deploy job with the previous tag. A rollback needs no approval when the error
rate stays above two percent for ten minutes.</p></article>
<footer>© Acme · Privacy · Cookie settings</footer></body></html>"""


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[str]:
    async def article(_: web.Request) -> web.Response:
        return web.Response(text=ARTICLE, content_type="text/html")

    async def notes(_: web.Request) -> web.Response:
        return web.Response(text="wifi: Pelican-5", content_type="text/plain")

    async def image(_: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")

    async def empty_page(_: web.Request) -> web.Response:
        # A page whose text is all drawn by scripts.
        page = '<html><body><div id="app"></div><script src="/app.js"></script></body></html>'
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/handbook", article)
    app.router.add_get("/notes.txt", notes)
    app.router.add_get("/logo.png", image)
    app.router.add_get("/empty", empty_page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_page_becomes_its_main_text_under_its_title(site: str, tmp_path: Path) -> None:
    fetched = await WebPageFetcher(allow_private=True).fetch(
        f"{site}/handbook", str(tmp_path), 10**6
    )

    text = Path(fetched.path).read_text(encoding="utf-8")
    assert "Release handbook" in fetched.title
    assert "code freeze starts every second Monday" in text
    assert "Rolling back" in text
    assert "Cookie settings" not in text and "Sign in" not in text


async def test_a_text_file_is_kept_as_it_is(site: str, tmp_path: Path) -> None:
    fetched = await WebPageFetcher(allow_private=True).fetch(
        f"{site}/notes.txt", str(tmp_path), 10**6
    )

    assert Path(fetched.path).suffix == ".txt"
    assert Path(fetched.path).read_text(encoding="utf-8") == "wifi: Pelican-5"


async def test_an_image_or_an_empty_page_is_refused_with_its_reason(
    site: str, tmp_path: Path
) -> None:
    fetcher = WebPageFetcher(allow_private=True)

    with pytest.raises(UserFacingError) as image:
        await fetcher.fetch(f"{site}/logo.png", str(tmp_path), 10**6)
    with pytest.raises(UserFacingError) as empty:
        await fetcher.fetch(f"{site}/empty", str(tmp_path), 10**6)

    assert image.value.key == "link_unsupported" and "image/png" in image.value.message
    assert empty.value.key == "link_no_text"


async def test_a_private_address_is_refused_by_default(site: str, tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as refused:
        await WebPageFetcher().fetch(f"{site}/handbook", str(tmp_path), 10**6)

    assert refused.value.key == "link_private_address"
    assert list(tmp_path.iterdir()) == []


async def test_a_page_over_the_cap_is_refused(site: str, tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as refused:
        await WebPageFetcher(allow_private=True).fetch(f"{site}/handbook", str(tmp_path), 100)

    assert refused.value.key == "link_too_large"
