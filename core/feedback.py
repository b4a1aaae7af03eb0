"""Feedback on answers kept in memory (tests, and a bot without a database)."""

from __future__ import annotations

from collections import Counter

from core.models import ChannelRef


class MemoryFeedback:
    """FeedbackLog in memory: one verdict per person per answer."""

    def __init__(self) -> None:
        self._verdicts: dict[ChannelRef, dict[tuple[str, str], str]] = {}

    async def record_feedback(
        self, channel: ChannelRef, answer_id: str, user_id: str, verdict: str
    ) -> None:
        """Keep the verdict, replacing the same person's earlier one on that answer."""
        self._verdicts.setdefault(channel, {})[(answer_id, user_id)] = verdict

    async def feedback_counts(self, channel: ChannelRef) -> dict[str, int]:
        """How many verdicts of each kind the channel's answers got."""
        return dict(Counter(self._verdicts.get(channel, {}).values()))
