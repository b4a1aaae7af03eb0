"""Slack's message markup in incoming text, turned into plain words the core can read."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

# <@U123>, <@U123|name>, <#C123|general>, <!here>, <!subteam^S1|@team>, <https://x|label>
_TOKEN = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")

_SPACES = re.compile(r"[ \t]+")

NameOf = Callable[[str], Awaitable[str]]


async def plain_text(text: str, bot_user_id: str, user_name: NameOf, channel_name: NameOf) -> str:
    """`text` with mentions and channels as names, links as their URL, the bot's own
    mention removed and HTML entities decoded."""
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            if target != bot_user_id:
                parts.append("@" + (label or await user_name(target)))
        elif sigil == "#":
            parts.append("#" + (label or await channel_name(target)))
        elif sigil == "!":
            # <!here>, <!channel>, <!subteam^S1|@team>, <!date^...|fallback>
            parts.append(label or "@" + target.split("^", 1)[0])
        elif target.startswith("mailto:"):
            parts.append(label or target.removeprefix("mailto:"))
        else:
            # A link keeps its URL: it may be a source to index.
            parts.append(target if not label or label == target else f"{label} ({target})")
    parts.append(text[position:])
    return html.unescape(_SPACES.sub(" ", "".join(parts))).strip()


def mentions(text: str, user_id: str) -> bool:
    """Whether `text` mentions `user_id`."""
    return f"<@{user_id}>" in text or f"<@{user_id}|" in text
