"""Conversation state: recent exchanges for follow-ups, the last answer for `again`.

The core talks to a `ConversationStore` (core/ports.py); `Conversations` here keeps it in
memory (tests, and a bot without a database), adapters/sql_state keeps it in SQL so it
survives a restart.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from core.models import ChannelRef, Exchange, MessageRef, Passage, ThreadMessage

ConversationKey = tuple[ChannelRef, str | None]


@dataclass
class LastAnswer:
    """Everything needed to generate an answer again and put it in place of the old one."""

    question: str
    language: str
    passages: list[Passage]
    history: list[Exchange]
    messages: list[MessageRef] = field(default_factory=list)
    regenerations: int = 0  # how many times `again` redid it


def thread_exchanges(messages: list[ThreadMessage], turns: int) -> list[Exchange]:
    """The last `turns` exchanges of a thread: what people said before each reply of the
    bot is the question it answered. Replies with no words before them (a file's indexing
    note) and people's messages the bot did not answer yet are left out."""
    exchanges: list[Exchange] = []
    said: list[str] = []
    for message in messages:
        text = message.text.strip()
        if not text:
            continue
        if not message.from_bot:
            said.append(text)
        elif said:
            exchanges.append(Exchange("\n".join(said), text))
            said = []
    return exchanges[-turns:] if turns > 0 else []


class Conversations:
    """A ConversationStore in memory: recent exchanges per conversation (a channel, or a
    thread in it), and its latest answer."""

    def __init__(self, max_exchanges: int = 6) -> None:
        self._max_exchanges = max_exchanges
        self._exchanges: dict[ConversationKey, deque[Exchange]] = {}
        self._last_answers: dict[ConversationKey, LastAnswer] = {}
        self._by_message: dict[tuple[ChannelRef, str], tuple[ConversationKey, LastAnswer]] = {}

    async def history(self, key: ConversationKey, turns: int) -> list[Exchange]:
        """The last `turns` exchanges, oldest first."""
        exchanges = list(self._exchanges.get(key, ()))
        return exchanges[-turns:] if turns > 0 else []

    async def record(self, key: ConversationKey, exchange: Exchange) -> None:
        """Remember an exchange."""
        self._exchanges.setdefault(key, deque(maxlen=self._max_exchanges)).append(exchange)

    async def replace_latest(self, key: ConversationKey, exchange: Exchange) -> None:
        """Replace the most recent exchange (after `again`)."""
        exchanges = self._exchanges.get(key)
        if exchanges:
            exchanges[-1] = exchange
        else:
            await self.record(key, exchange)

    async def last_answer(self, key: ConversationKey) -> LastAnswer | None:
        """The bot's latest answer in this conversation, if any."""
        return self._last_answers.get(key)

    async def set_last_answer(self, key: ConversationKey, answer: LastAnswer) -> None:
        """Remember the latest answer."""
        self._last_answers[key] = answer
        if answer.messages:
            self._by_message[(key[0], answer.messages[0].message_id)] = (key, answer)

    async def answer_at(
        self, channel: ChannelRef, message_id: str
    ) -> tuple[ConversationKey, LastAnswer] | None:
        """The answer whose first message is `message_id`, and its conversation."""
        return self._by_message.get((channel, message_id))

    async def forget_channel(self, channel: ChannelRef) -> None:
        """Drop every conversation of `channel` (its threads included)."""
        for store in (self._exchanges, self._last_answers):
            for key in [key for key in store if key[0] == channel]:
                del store[key]
        for spot in [spot for spot in self._by_message if spot[0] == channel]:
            del self._by_message[spot]


class HandledIds:
    """HandledMessages in memory: the most recent `capacity` message ids per workspace."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    async def first_time(self, channel: ChannelRef, message_id: str) -> bool:
        """True the first time a message id is seen in the workspace, False after."""
        key = (channel.platform, channel.workspace, message_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True
