"""How Slack's ids map onto the core's: a message id is "channel:ts"."""

from __future__ import annotations


def message_id(channel: str, ts: str) -> str:
    """The core's id of a Slack message (a ts is unique within its channel only)."""
    return f"{channel}:{ts}"


def message_ts(core_id: str) -> str:
    """The Slack ts inside a core message id."""
    return core_id.rsplit(":", 1)[-1]
