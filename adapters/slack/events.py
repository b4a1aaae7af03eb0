"""Slack events, slash commands and clicks translated into the core's messages and actions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import button_of
from adapters.slack.directory import SlackDirectory
from adapters.slack.ids import message_id
from adapters.slack.markup import mentions, plain_text
from core.links import find_links
from core.models import (
    Attachment,
    ChannelRef,
    IncomingAction,
    IncomingMessage,
    MessageRef,
    ThreadMessage,
)
from core.streaming import CURSOR

log = logging.getLogger("ragbot.slack")

PLATFORM = "slack"
# Message subtypes that are people saying something; edits, joins and bot posts are not.
_SPOKEN = {None, "file_share", "thread_broadcast"}
# How long "the bot is not in this thread" is believed before asking Slack again.
_NOT_IN_THREAD_SECONDS = 60.0

Event = Mapping[str, Any]


def channel_ref(team_id: str, channel_id: str) -> ChannelRef:
    """The core's channel for a Slack channel of workspace `team_id`."""
    return ChannelRef(PLATFORM, team_id, channel_id)


def _sent_at(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except ValueError:
        return datetime.now(UTC)


class SlackEvents:
    """Turns what Slack delivers into IncomingMessage and IncomingAction."""

    def __init__(
        self,
        client: AsyncWebClient,
        directory: SlackDirectory,
        bot_user_id: str,
        bot_id: str = "",
        team_url: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._directory = directory
        self._bot_user = bot_user_id
        self._bot_id = bot_id
        self._team_url = team_url.rstrip("/")
        self._clock = clock
        self._bot_threads: set[tuple[str, str]] = set()
        self._other_threads: dict[tuple[str, str], float] = {}

    def is_from_bot(self, event: Event) -> bool:
        """Whether a bot (this one included) wrote the event's message."""
        return bool(event.get("bot_id")) or event.get("user") == self._bot_user

    def joined_thread(self, channel_id: str, thread_ts: str) -> None:
        """Remember that the bot posted in a thread: replies there are questions."""
        self._bot_threads.add((channel_id, thread_ts))

    async def message(self, event: Event, team_id: str) -> IncomingMessage | None:
        """The core's message for a `message` or `app_mention` event; None for what the bot
        ignores (bots, edits, joins, chatter without files). A mention and its `message`
        copy get the same id."""
        if event.get("subtype") not in _SPOKEN or self.is_from_bot(event):
            return None
        user = event.get("user")
        channel_id = event.get("channel")
        ts = event.get("ts")
        if not (isinstance(user, str) and isinstance(channel_id, str) and isinstance(ts, str)):
            log.warning("slack event without user, channel or ts: %s", event.get("type"))
            return None
        raw = str(event.get("text") or "")
        thread_ts = event.get("thread_ts")
        thread_ts = thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None
        addressed = (
            event.get("type") == "app_mention"
            or event.get("channel_type") == "im"
            or mentions(raw, self._bot_user)
            or (thread_ts is not None and await self._bot_in_thread(channel_id, thread_ts, event))
        )
        attachments = tuple(_attachment(file) for file in event.get("files") or ())
        links = find_links(raw)
        if not addressed and not attachments and not links:
            # Chatter in the channel: nothing for the bot, not even a name to look up.
            return None
        if (attachments or links) and thread_ts is None:
            # The reply about a shared file or link goes in that message's thread.
            thread_ts = ts
        text = await plain_text(
            raw, self._bot_user, self._directory.user_name, self._directory.channel_name
        )
        return IncomingMessage(
            channel=channel_ref(team_id, channel_id),
            author=await self._directory.author(user),
            text=text,
            message_id=message_id(channel_id, ts),
            thread_id=thread_ts,
            attachments=attachments,
            addressed=addressed,
            permalink=self._permalink(channel_id, ts, thread_ts),
            sent_at=_sent_at(ts),
        )

    async def command(self, body: Event) -> IncomingMessage:
        """A slash command (`/rag sources`) as a message addressed to the bot."""
        channel_id = str(body.get("channel_id", ""))
        team_id = str(body.get("team_id", ""))
        user_id = str(body.get("user_id", ""))
        text = await plain_text(
            str(body.get("text") or "help"),
            self._bot_user,
            self._directory.user_name,
            self._directory.channel_name,
        )
        return IncomingMessage(
            channel=channel_ref(team_id, channel_id),
            author=await self._directory.author(user_id),
            text=text or "help",
            message_id=f"command:{body.get('trigger_id') or time.time_ns()}",
        )

    async def action(self, body: Event) -> IncomingAction | None:
        """A click on one of the bot's buttons; None for anything else."""
        actions = body.get("actions") or []
        if not actions:
            return None
        clicked = actions[0]
        decoded = button_of(str(clicked.get("value", "")))
        if decoded is None:
            return None
        team_id = str((body.get("team") or {}).get("id") or body.get("team_id") or "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id"))
        ts = str(message.get("ts") or container.get("message_ts") or "")
        thread_ts = message.get("thread_ts") or container.get("thread_ts")
        channel = channel_ref(team_id, channel_id)
        user_id = str((body.get("user") or {}).get("id", ""))
        action, value = decoded
        return IncomingAction(
            channel=channel,
            author=await self._directory.author(user_id),
            action=action,
            value=value,
            message=MessageRef(channel, ts, str(thread_ts) if thread_ts else None),
            action_id=f"click:{clicked.get('action_ts') or body.get('trigger_id')}",
        )

    async def _bot_in_thread(self, channel_id: str, thread_ts: str, event: Event) -> bool:
        key = (channel_id, thread_ts)
        if event.get("parent_user_id") == self._bot_user or key in self._bot_threads:
            return True
        checked = self._other_threads.get(key)
        if checked is not None and self._clock() - checked < _NOT_IN_THREAD_SECONDS:
            return False
        try:
            answer = await self._client.conversations_replies(
                channel=channel_id, ts=thread_ts, limit=200
            )
        except SlackApiError as error:
            log.warning("conversations.replies %s: %s", channel_id, error.response.get("error"))
            return False
        if any(self.is_own(reply) for reply in answer.get("messages") or []):
            self._bot_threads.add(key)
            return True
        self._other_threads[key] = self._clock()
        return False

    async def thread_messages(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> list[ThreadMessage]:
        """A thread's messages older than `before_ts`, oldest first, read from Slack
        (conversations.replies), the bot's own included; other bots' are left out."""
        answer = await self._client.conversations_replies(
            channel=channel_id, ts=thread_ts, limit=200
        )
        earlier: list[ThreadMessage] = []
        for message in answer.get("messages") or []:
            ts = str(message.get("ts", ""))
            if _ts_order(ts) >= _ts_order(before_ts):
                continue
            if self.is_own(message):
                earlier.append(ThreadMessage("ragbot", _own_text(message), from_bot=True))
            elif not message.get("bot_id") and isinstance(message.get("user"), str):
                text = await plain_text(
                    str(message.get("text") or ""),
                    self._bot_user,
                    self._directory.user_name,
                    self._directory.channel_name,
                )
                name = await self._directory.user_name(message["user"])
                earlier.append(ThreadMessage(name, text, from_bot=False))
        return earlier

    def is_own(self, message: Event) -> bool:
        """Whether this bot wrote `message`."""
        return message.get("user") == self._bot_user or (
            bool(self._bot_id) and message.get("bot_id") == self._bot_id
        )

    def _permalink(self, channel_id: str, ts: str, thread_ts: str | None) -> str | None:
        if not self._team_url:
            return None
        link = f"{self._team_url}/archives/{channel_id}/p{ts.replace('.', '')}"
        return f"{link}?thread_ts={thread_ts}&cid={channel_id}" if thread_ts else link


def _ts_order(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return (int(seconds or 0), int(fraction or 0)) if seconds.isdigit() else (0, 0)


def _own_text(message: Mapping[str, Any]) -> str:
    """What the bot said in one of its messages: the markdown block, without the sources
    and buttons under it, or the plain text."""
    for block in message.get("blocks") or ():
        if block.get("type") == "markdown":
            return str(block.get("text", "")).removesuffix(CURSOR).strip(" …")
    return str(message.get("text") or "").removesuffix(CURSOR).strip(" …")


def _attachment(file: Mapping[str, Any]) -> Attachment:
    size = file.get("size")
    return Attachment(
        name=str(file.get("name") or file.get("title") or file.get("id") or "file"),
        url=file.get("permalink") or file.get("url_private"),
        size_bytes=size if isinstance(size, int) else None,
        mime_type=file.get("mimetype"),
        file_id=file.get("id"),
    )
