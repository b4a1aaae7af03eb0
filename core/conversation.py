"""Short-term conversation state: recent exchanges for follow-ups, the last answer for `again`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from core.models import ChannelRef, Exchange, MessageRef, Passage

ConversationKey = tuple[ChannelRef, str | None]


@dataclass
class LastAnswer:
    """Everything needed to generate an answer again and put it in place of the old one."""

    question: str
    language: str
    passages: list[Passage]
    history: list[Exchange]
    messages: list[MessageRef] = field(default_factory=list)


class Conversations:
    """Recent exchanges per conversation (a channel, or a thread in it)."""

    def __init__(self, max_exchanges: int = 6) -> None:
        self._max_exchanges = max_exchanges
        self._exchanges: dict[ConversationKey, deque[Exchange]] = {}
        self._last_answers: dict[ConversationKey, LastAnswer] = {}

    def history(self, key: ConversationKey, turns: int) -> list[Exchange]:
        """The last `turns` exchanges, oldest first."""
        exchanges = list(self._exchanges.get(key, ()))
        return exchanges[-turns:] if turns > 0 else []

    def record(self, key: ConversationKey, exchange: Exchange) -> None:
        """Remember an exchange."""
        self._exchanges.setdefault(key, deque(maxlen=self._max_exchanges)).append(exchange)

    def replace_latest(self, key: ConversationKey, exchange: Exchange) -> None:
        """Replace the most recent exchange (after `again`)."""
        exchanges = self._exchanges.get(key)
        if exchanges:
            exchanges[-1] = exchange
        else:
            self.record(key, exchange)

    def last_answer(self, key: ConversationKey) -> LastAnswer | None:
        """The bot's latest answer in this conversation, if any."""
        return self._last_answers.get(key)

    def set_last_answer(self, key: ConversationKey, answer: LastAnswer) -> None:
        """Remember the latest answer."""
        self._last_answers[key] = answer

    def forget_channel(self, channel: ChannelRef) -> None:
        """Drop every conversation of `channel` (its threads included)."""
        for store in (self._exchanges, self._last_answers):
            for key in [key for key in store if key[0] == channel]:
                del store[key]
