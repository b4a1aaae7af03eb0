"""The Block Kit a message of the bot is shown with: its Markdown, its sources, its buttons."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.models import Button, SourceLink

# A markdown block holds up to 12,000 characters; a message is cut well before that so
# an answer with its sources and buttons stays one readable message.
MESSAGE_LIMIT = 3000
# Slack's limits: button text 75 characters, value 2,000, context elements 10.
_BUTTON_TEXT = 75
_CONTEXT_ELEMENTS = 10

Block = dict[str, Any]


@dataclass
class MessageLook:
    """What one bot message shows: its text, and the sources and buttons under it."""

    text: str
    heading: str = ""
    sources: list[SourceLink] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)


def source_line(link: SourceLink) -> str:
    """One source as Slack mrkdwn: numbers, a linked title and where in it."""
    numbers = "".join(f"[{n}]" for n in link.numbers)
    title = _escape(link.title)
    if link.url:
        title = f"<{link.url}|{title}>"
    where = ""
    if link.locator:
        where = (" @ " if link.locator[0].isdigit() else ", ") + _escape(link.locator)
    return f"{numbers} {title}{where}".strip()


def blocks_for(look: MessageLook) -> list[Block]:
    """The blocks of a message: a markdown block, a context block of sources, buttons."""
    blocks: list[Block] = [{"type": "markdown", "text": look.text or " "}]
    if look.sources:
        lines = [source_line(link) for link in look.sources]
        elements = (
            [{"type": "mrkdwn", "text": f"*{_escape(look.heading)}*"}] if look.heading else []
        )
        elements += [{"type": "mrkdwn", "text": line} for line in lines]
        blocks.append({"type": "context", "elements": elements[:_CONTEXT_ELEMENTS]})
    if look.buttons:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": button.label[:_BUTTON_TEXT]},
                        "action_id": f"{button.action}:{index}",
                        "value": json.dumps({"action": button.action, "value": button.value}),
                    }
                    for index, button in enumerate(look.buttons)
                ],
            }
        )
    return blocks


def fallback_text(look: MessageLook) -> str:
    """The plain text of a message (notifications, screen readers, old clients)."""
    if not look.sources:
        return look.text
    lines = [f"{look.heading}:"] + [
        "".join(f"[{n}]" for n in link.numbers) + f" {link.title}" for link in look.sources
    ]
    return look.text + "\n\n" + "\n".join(lines)


def button_of(value: str) -> tuple[str, str] | None:
    """The core's action and value a clicked button carries, None for a foreign one."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        return None
    return data["action"], str(data.get("value", ""))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
