"""A video's chapter list, from yt-dlp's metadata to the chunks: each chunk lies within one
chapter, in time as in text, and carries its title."""

from __future__ import annotations

from typing import Any

from adapters.links.media import media_info
from core.models import Chapter, Cue, Source, SourceKind
from core.timed_chunks import timed_chunks

# A real video's info dict as yt-dlp recorded it in its own extractor tests
# (yt_dlp/extractor/pbs.py, FRONTLINE "Losing Iraq"): its chapters overlap by a second and
# some titles end in a space, as chapter lists from the wild do.
INFO: dict[str, Any] = {
    "id": "2365297690",
    "ext": "mp4",
    "title": "FRONTLINE - Losing Iraq",
    "duration": 5050,
    "chapters": [
        {"start_time": 0.0, "end_time": 1234.0, "title": "After Saddam, Chaos"},
        {"start_time": 1233.0, "end_time": 1719.0, "title": "The Insurgency Takes Root"},
        {"start_time": 1718.0, "end_time": 2461.0, "title": "A Light Footprint"},
        {"start_time": 2460.0, "end_time": 3589.0, "title": "The Surge "},
        {"start_time": 3588.0, "end_time": 4355.0, "title": "The Withdrawal "},
        {"start_time": 4354.0, "end_time": 5051.0, "title": "ISIS on the March "},
    ],
    "display_id": "losing-iraq",
    "extractor_key": "PBS",
    "webpage_url": "http://www.pbs.org/wgbh/pages/frontline/losing-iraq/",
}
TITLES = [
    "After Saddam, Chaos",
    "The Insurgency Takes Root",
    "A Light Footprint",
    "The Surge",
    "The Withdrawal",
    "ISIS on the March",
]
NARRATION = (
    "in the spring the city fell and for a few weeks nobody was in charge",
    "the museums were looted and the ministries burned while soldiers watched",
    "within a year small groups began to attack the convoys on the main roads",
    "the commanders on the ground asked for more troops and were told to wait",
    "officials in the capital wanted a light footprint and a quick handover",
    "then came the surge with thirty thousand more soldiers sent into the city",
    "the violence fell and the last troops left at the end of the decade",
    "but the fighters regrouped across the border and returned in force",
)


def automatic_captions(duration: float, step: float = 3.5) -> list[Cue]:
    """Automatic captions: a few words every `step` seconds, running on
    without regard for chapters (some cues straddle a chapter's start)."""
    said = " ".join(NARRATION).split()
    cues: list[Cue] = []
    start, at = 0.0, 0
    while start < duration:
        text = " ".join(said[at % len(said) : at % len(said) + 5])
        cues.append(Cue(start, min(start + step + 0.4, duration), text))
        start, at = start + step, at + 5
    return cues


def test_a_videos_chapters_bound_its_chunks_and_title_them() -> None:
    info = media_info(INFO, str(INFO["webpage_url"]))
    source = Source("pbs:2365297690", info.title, SourceKind.MEDIA, info.url)
    cues = automatic_captions(float(INFO["duration"]))

    chunks = timed_chunks(cues, source, info.chapters, language="en")

    assert [chapter.title for chapter in info.chapters] == TITLES
    assert info.chapters[1] == Chapter("The Insurgency Takes Root", 1233.0, 1719.0)
    assert [chunk.heading for chunk in chunks if chunk.heading] == [c.heading for c in chunks]
    assert sorted({chunk.heading or "" for chunk in chunks}, key=TITLES.index) == TITLES
    for chunk in chunks:
        at = TITLES.index(chunk.heading or "")
        chapter = info.chapters[at]
        assert chapter.end is not None
        begins = chapter.start
        # A chapter ends at its end or where the next begins, whichever comes first.
        ends = min([c.start for c in info.chapters[at + 1 : at + 2]] + [chapter.end])
        assert chunk.start_seconds is not None and chunk.end_seconds is not None
        assert begins <= chunk.start_seconds < chunk.end_seconds <= ends
        assert all(begins <= second < ends for _, second in chunk.cue_starts)
        assert chunk.embedded_text.startswith(f"{chunk.heading}\n")
    # Every caption is in exactly one chunk, in order.
    assert [s for chunk in chunks for _, s in chunk.cue_starts] == [cue.start for cue in cues]
