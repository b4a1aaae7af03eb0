"""Recognising "let's pick up where we left off on X" / "X 얘기 이어서 하자": a request to
resume a topic from the channel's memory."""

from __future__ import annotations

import re

_ENGLISH = (
    re.compile(
        r"\b(?:pick(?:ing)?\s+up|resume|continue|carry\s+on|get\s+back\s+to|go\s+back\s+to)\b"
        r"(?:\s+where\s+we\s+(?:left|stopped)\s+off)?"
        r"(?:\s+(?:on|about|with|discussing|talking\s+about|our\s+discussion\s+(?:on|about|of)"
        r"|the\s+discussion\s+(?:on|about|of)|our\s+talk\s+(?:on|about)))?\s+(?P<topic>.+)$",
        re.IGNORECASE,
    ),
)
_KOREAN = (
    re.compile(
        r"^(?P<topic>.+?)\s*(?:에\s*대한\s*|관련\s*)?(?:얘기|이야기|논의|대화)(?:를|을|는|도)?\s*"
        r"(?:다시\s*)?(?:이어서|이어|계속)"
    ),
    re.compile(r"^(?P<topic>.+?)\s*(?:얘기|이야기|논의)?\s*(?:를|을)?\s*다시\s*시작"),
)
_FILLER = re.compile(
    r"^(?:let'?s|can\s+we|could\s+we|shall\s+we|we\s+should|please|ok(?:ay)?,?)\s+",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s?!.。,]+$")
_LEADING_TOPIC = re.compile(r"^(?:the|our)\s+", re.IGNORECASE)


def resume_topic(text: str) -> str | None:
    """The topic a message asks to resume, or None when it asks no such thing."""
    stripped = _TRAILING.sub("", text.strip())
    for pattern in _KOREAN:
        found = pattern.search(stripped)
        if found:
            return _clean(found.group("topic"))
    body = _FILLER.sub("", stripped)
    for pattern in _ENGLISH:
        found = pattern.search(body)
        if found and found.start() == 0:
            return _clean(found.group("topic"))
    return None


def _clean(topic: str) -> str | None:
    topic = _LEADING_TOPIC.sub("", _TRAILING.sub("", topic.strip()))
    for suffix in (" again", " from there", " from where we left off"):
        if topic.lower().endswith(suffix):
            topic = topic[: -len(suffix)]
    return topic.strip() or None
