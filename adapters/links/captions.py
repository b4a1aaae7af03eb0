"""WebVTT captions (YouTube's or anyone's) as plain timed cues, read with webvtt-py.

Cue text loses its markup: inline tags (<c>, <i>, <v Speaker>, word timestamps such as
<00:00:01.199>), HTML entities and the ">>" that marks a change of speaker. YouTube's
automatic captions roll: each cue shows the previous line again above the new one, and a
10 ms cue in between shows the old line alone. Here every line is kept once, at the
start of the cue that first showed it, so each spoken phrase appears once.
"""

from __future__ import annotations

import html
import re
from typing import Any

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from core.errors import UserFacingError
from core.models import Cue

_TAG = re.compile(r"<[^>]*>")
_SPEAKER_ARROWS = re.compile(r"(?:^|\s)>>+(?=\s|$)")
_TIMING_LINE = re.compile(r"-->")
# A caption that is only a sound, "[Music]" or "[음악]": no words to search for.
_SOUND_ONLY = re.compile(r"\[[^\]]*\]|\([^)]*\)|♪+")
# A stand-in for a line of spaces inside a cue; it contains no space, so webvtt-py keeps
# it in the cue, and it unescapes to a space, so it vanishes from the text.
_SPACE_LINE = "&#32;"


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file, in order: plain text, rolling repeats removed.

    Raises UserFacingError("captions_unreadable") for text that is not WebVTT.
    """
    try:
        captions = webvtt.from_string(_kept_space_lines(text)).captions
    except (MalformedFileError, MalformedCaptionError) as error:
        raise UserFacingError("captions_unreadable", detail=str(error)) from error
    cues: list[Cue] = []
    previous_lines: list[str] = []
    for caption in captions:
        lines = [line for line in map(_plain, caption.lines) if line]
        # A line the previous cue showed is that cue's line, still on screen.
        new = [line for line in lines if line not in previous_lines]
        previous_lines = lines
        phrase = " ".join(new)
        if not phrase or _SOUND_ONLY.sub("", phrase).strip() == "":
            continue
        start, end = _seconds(caption.start_time), _seconds(caption.end_time)
        if cues and phrase.startswith(cues[-1].text + " "):
            # Captions that grow word by word ("hello", "hello there"): one phrase.
            cues[-1] = Cue(start=cues[-1].start, end=max(end, cues[-1].end), text=phrase)
        else:
            cues.append(Cue(start=start, end=end, text=phrase))
    return cues


def _kept_space_lines(text: str) -> str:
    """`text` with LF line ends and no BOM, where a line of spaces straight after a cue's
    timing line (YouTube's empty upper line) is kept as part of the cue.

    The WebVTT spec ends a cue only at an empty line, but webvtt-py also ends it at a
    line of spaces, which would drop the first line YouTube's automatic captions show.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number in range(1, len(lines) - 1):
        if (
            lines[number]
            and not lines[number].strip()
            and _TIMING_LINE.search(lines[number - 1])
            and lines[number + 1].strip()
        ):
            lines[number] = _SPACE_LINE
    return "\n".join(lines)


def _plain(line: str) -> str:
    """A caption line without tags, entities or speaker arrows, spaces collapsed."""
    text = html.unescape(_TAG.sub("", line))
    text = _SPEAKER_ARROWS.sub(" ", text)
    return " ".join(text.split())


def _seconds(timestamp: Any) -> float:
    hours, minutes, seconds, milliseconds = (int(part) for part in timestamp.to_tuple())
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds) / 1000
