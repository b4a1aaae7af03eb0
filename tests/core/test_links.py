"""Finding shared links in chat text and reading YouTube links, as users paste them."""

from __future__ import annotations

import pytest

from core.links import (
    canonical_video_url,
    find_links,
    is_playlist_only,
    start_offset,
    youtube_video_id,
)

ID = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://example.com/a", ["https://example.com/a"]),
        ("HTTPS://Example.com/A?b=1", ["HTTPS://Example.com/A?b=1"]),
        ("http://example.com.", ["http://example.com"]),
        ("Look at this: https://youtu.be/dQw4w9WgXcQ!", ["https://youtu.be/dQw4w9WgXcQ"]),
        ("really?? https://example.com/x?", ["https://example.com/x"]),
        ("(https://example.com/a), and more", ["https://example.com/a"]),
        ("[docs](https://example.com/docs)", ["https://example.com/docs"]),
        (
            "https://en.wikipedia.org/wiki/Python_(programming_language).",
            ["https://en.wikipedia.org/wiki/Python_(programming_language)"],
        ),
        (
            "two: https://a.example/1, https://b.example/2;",
            ["https://a.example/1", "https://b.example/2"],
        ),
        ("twice https://a.example/1 https://a.example/1", ["https://a.example/1"]),
        ('he said "https://example.com/q" loudly', ["https://example.com/q"]),
        ("<https://example.com/slack|the label>", ["https://example.com/slack"]),
        ("<https://example.com/plain>", ["https://example.com/plain"]),
        ("line one\nhttps://example.com/next\nline three", ["https://example.com/next"]),
        ("no links here, just example.com", []),
        ("ftp://example.com/file and mailto:a@b.example", []),
        ("broken https:// nothing", []),
        ("https://youtu.be/abc123xyz_-에서 봤어요", ["https://youtu.be/abc123xyz_-"]),
        (
            "이 영상 https://youtu.be/dQw4w9WgXcQ에서 3분부터 보세요",
            ["https://youtu.be/dQw4w9WgXcQ"],
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s를 참고하세요.",
            ["https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s"],
        ),
        ("자료: https://example.com이에요.", ["https://example.com"]),
        ("https://namu.wiki/w/BTS의 내용", ["https://namu.wiki/w/BTS"]),
        ("링크(https://example.com/a)를 보세요", ["https://example.com/a"]),
        ("https://example.com/a。다음", ["https://example.com/a"]),
        ("https://ko.wikipedia.org/wiki/서울 참고", ["https://ko.wikipedia.org/wiki/서울"]),
        ("https://ko.wikipedia.org/wiki/대한_민국", ["https://ko.wikipedia.org/wiki/대한_민국"]),
        (
            "https://ko.wikipedia.org/wiki/%EC%84%9C%EC%9A%B8에 있어요",
            ["https://ko.wikipedia.org/wiki/%EC%84%9C%EC%9A%B8"],
        ),
        ("video: https://youtu.be/abcdefghij_ ok", ["https://youtu.be/abcdefghij_"]),
        ("*https://example.com/bold*", ["https://example.com/bold"]),
        ("http://[::1]:8080/x", ["http://[::1]:8080/x"]),
        ("http://[broken/x", []),
        ("유튜브 링크입니다:https://youtu.be/dQw4w9WgXcQ", ["https://youtu.be/dQw4w9WgXcQ"]),
        ("영상https://youtu.be/dQw4w9WgXcQ?t=30입니다", ["https://youtu.be/dQw4w9WgXcQ?t=30"]),
        ("（https://example.com/a）를 참고", ["https://example.com/a"]),
        ("https://youtu.be/dQw4w9WgXcQ...", ["https://youtu.be/dQw4w9WgXcQ"]),
    ],
)
def test_find_links(text: str, links: list[str]) -> None:
    assert find_links(text) == links


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={ID}",
        f"https://youtube.com/watch?v={ID}",
        f"http://www.youtube.com/watch?v={ID}",
        f"https://m.youtube.com/watch?v={ID}&feature=youtu.be",
        f"https://music.youtube.com/watch?v={ID}&list=RDAMVM{ID}",
        f"https://www.youtube.com/watch?t=42&v={ID}",
        f"https://www.youtube.com/watch?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&v={ID}&index=3",
        f"https://www.youtube.com/watch?app=desktop&v={ID}&si=Ab12Cd34Ef56Gh78",
        f"https://www.youtube.com/watch?feature=share&v={ID}",
        f"https://www.youtube.com/watch?v={ID}#t=1m5s",
        f"https://WWW.YouTube.com/watch?v={ID}",
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?si=XyZ123abcDEF",
        f"https://youtu.be/{ID}?t=90",
        f"https://www.youtube.com/shorts/{ID}",
        f"https://youtube.com/shorts/{ID}?feature=share",
        f"https://www.youtube.com/live/{ID}?si=abc",
        f"https://www.youtube.com/embed/{ID}",
        f"https://www.youtube.com/embed/{ID}?start=30&autoplay=1",
        f"https://www.youtube-nocookie.com/embed/{ID}",
        f"https://www.youtube.com/v/{ID}?version=3",
        f"https://www.youtube.com/watch/{ID}",
        f"www.youtube.com/watch?v={ID}",
        f"youtu.be/{ID}",
    ],
)
def test_every_shape_of_a_video_link_gives_its_id(url: str) -> None:
    assert youtube_video_id(url) == ID


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/",
        "https://www.youtube.com/watch",
        "https://www.youtube.com/watch?v=",
        "https://www.youtube.com/watch?v=short",
        f"https://www.youtube.com/watch?v={ID}x",
        "https://www.youtube.com/watch?v=dQw4w9WgXc!",
        "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://www.youtube.com/@SomeChannel",
        "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        "https://www.youtube.com/results?search_query=python",
        f"https://vimeo.com/{ID}",
        f"https://example.com/watch?v={ID}",
        f"https://notyoutube.com/watch?v={ID}",
        f"https://youtube.com.evil.example/watch?v={ID}",
        f"ftp://www.youtube.com/watch?v={ID}",
        f"https://youtu.be/{ID}x",
        "https://youtu.be/",
        "http://[broken/watch?v=x",
    ],
)
def test_links_that_open_no_video_give_none(url: str) -> None:
    assert youtube_video_id(url) is None


def test_a_found_link_reads_straight_into_a_video_id() -> None:
    [link] = find_links("여기요 https://youtu.be/abc123xyz_-에서 보세요")

    assert youtube_video_id(link) == "abc123xyz_-"


def test_the_canonical_url_is_the_watch_url() -> None:
    assert canonical_video_url(ID) == f"https://www.youtube.com/watch?v={ID}"
    assert canonical_video_url("abc123xyz_-") == "https://www.youtube.com/watch?v=abc123xyz_-"


@pytest.mark.parametrize("bad", ["", "short", f"{ID}x", "dQw4w9WgXc!", "https://youtu.be/x"])
def test_the_canonical_url_refuses_what_is_not_an_id(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_video_url(bad)


@pytest.mark.parametrize(
    ("url", "seconds"),
    [
        (f"https://youtu.be/{ID}?t=90", 90),
        (f"https://youtu.be/{ID}?t=90s", 90),
        (f"https://youtu.be/{ID}?t=1m30s", 90),
        (f"https://youtu.be/{ID}?t=1m30", 90),
        (f"https://youtu.be/{ID}?t=1h2m3s", 3723),
        (f"https://youtu.be/{ID}?t=1h", 3600),
        (f"https://youtu.be/{ID}?t=2m", 120),
        (f"https://youtu.be/{ID}?t=0", 0),
        (f"https://youtu.be/{ID}?si=abc&t=75", 75),
        (f"https://www.youtube.com/watch?v={ID}&t=1H2M3S", 3723),
        (f"https://www.youtube.com/watch?t=42&v={ID}", 42),
        (f"https://www.youtube.com/watch?v={ID}#t=1m5s", 65),
        (f"https://www.youtube.com/embed/{ID}?start=30", 30),
    ],
)
def test_start_offset(url: str, seconds: int) -> None:
    assert start_offset(url) == seconds


@pytest.mark.parametrize(
    "url",
    [
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?t=",
        f"https://youtu.be/{ID}?t=abc",
        f"https://youtu.be/{ID}?t=1.5",
        f"https://youtu.be/{ID}?t=-5",
        f"https://youtu.be/{ID}?t=s",
        f"https://youtu.be/{ID}?t=1m2h",
        "https://example.com/video?t=90",
    ],
)
def test_no_or_unreadable_offset_gives_none(url: str) -> None:
    assert start_offset(url) is None


@pytest.mark.parametrize(
    ("url", "playlist_only"),
    [
        ("https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", True),
        ("https://youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&si=abc", True),
        ("https://m.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", True),
        ("https://music.youtube.com/playlist?list=OLAK5uy_kP6gEa4g4xwA0a7Xp6u8Ww1Zc", True),
        ("https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", True),
        (f"https://www.youtube.com/watch?v={ID}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", False),
        (f"https://youtu.be/{ID}?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG", False),
        (f"https://www.youtube.com/watch?v={ID}", False),
        ("https://www.youtube.com/playlist", False),
        ("https://example.com/playlist?list=abc", False),
    ],
)
def test_is_playlist_only(url: str, playlist_only: bool) -> None:
    assert is_playlist_only(url) is playlist_only
