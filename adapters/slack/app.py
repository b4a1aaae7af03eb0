"""The slack-bolt app: events, the slash command and clicks, delivered to the core once."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MessageLook
from adapters.slack.chat import SlackChat
from adapters.slack.directory import SlackDirectory
from adapters.slack.events import SlackEvents, channel_ref
from adapters.slack.ids import message_id
from core.collected_replies import CollectedReplies
from core.commands import parse_command
from core.models import ChannelRef, IncomingAction, IncomingMessage
from core.ports import ChatClient

log = logging.getLogger("ragbot.slack")

HandleMessage = Callable[[IncomingMessage, ChatClient], Awaitable[None]]
HandleAction = Callable[[IncomingAction, ChatClient], Awaitable[None]]
# (workspace, file id) of a file deleted in Slack.
HandleFileDeleted = Callable[[str, str], Awaitable[object]]
# A message deleted in Slack: its channel and the core's id of it.
HandleMessageDeleted = Callable[[ChannelRef, str], Awaitable[object]]
_ASK = re.compile(r"^(ask|질문)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class SlackConfig:
    """What the Slack adapter needs to know."""

    bot_token: str
    signing_secret: str | None = None
    api_url: str = "https://slack.com/api/"
    command: str = "/rag"
    admin_users: frozenset[str] = frozenset()
    working_emoji: str = "eyes"
    native_streaming: bool = True
    verify_requests: bool = True  # HTTP mode; Socket Mode requests are not signed


def web_client(config: SlackConfig) -> AsyncWebClient:
    """The Web API client: Slack's 429 answers are waited out (Retry-After) and retried."""
    return AsyncWebClient(
        token=config.bot_token,
        base_url=config.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


class SlackBot:
    """One workspace's bolt app, with the chat client it answers through."""

    def __init__(
        self,
        config: SlackConfig,
        on_message: HandleMessage,
        on_action: HandleAction,
        client: AsyncWebClient | None = None,
        on_file_deleted: HandleFileDeleted | None = None,
        on_message_deleted: HandleMessageDeleted | None = None,
    ) -> None:
        self._on_file_deleted = on_file_deleted
        self._on_message_deleted = on_message_deleted
        self._config = config
        self._on_message = on_message
        self._on_action = on_action
        self.client = client or web_client(config)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret,
            request_verification_enabled=config.verify_requests,
            process_before_response=False,
        )
        self._events: SlackEvents | None = None
        self.chat: SlackChat | None = None
        self._register()

    async def connect(self) -> None:
        """Learn who the bot is (auth.test); called before events are served."""
        identity = await self.client.auth_test()
        directory = SlackDirectory(self.client, self._config.admin_users)
        self._events = SlackEvents(
            self.client,
            directory,
            bot_user_id=str(identity.get("user_id", "")),
            bot_id=str(identity.get("bot_id") or ""),
            team_url=str(identity.get("url") or ""),
        )
        events = self._events
        self.chat = SlackChat(
            self.client,
            self._config.bot_token,
            self._config.working_emoji,
            on_thread_post=events.joined_thread,
            read_thread=events.thread_messages,
            native_streaming=self._config.native_streaming,
        )
        log.info("slack: connected as %s in %s", identity.get("user_id"), identity.get("team"))

    def _ready(self) -> tuple[SlackEvents, SlackChat]:
        if self._events is None or self.chat is None:
            raise RuntimeError("SlackBot.connect() was not awaited")
        return self._events, self.chat

    def _register(self) -> None:
        app = self.app
        app.middleware(self._drop_retries)
        app.event("app_mention")(self._message_event)
        app.event("message")(self._message_event)
        app.event("file_deleted")(self._file_deleted)
        app.command(self._config.command)(ack=self._ack_command, lazy=[self._run_command])
        app.action(re.compile(".*"))(self._click)

    async def _drop_retries(
        self,
        req: AsyncBoltRequest,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        # Slack retries an event it thinks was not acked; the first delivery is already
        # being answered (and its id is checked durably by the core as well).
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        if retry.isdigit() and int(retry) > 0:
            log.info("slack: dropped retry %s (%s)", retry, req.headers.get("x-slack-retry-reason"))
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return await next()

    async def _message_event(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        events, chat = self._ready()
        team_id = str(body.get("team_id") or event.get("team") or "")
        if event.get("subtype") == "message_deleted":
            await self._message_deleted(event, team_id)
            return
        message = await events.message(event, team_id)
        if message is not None:
            await self._on_message(message, chat)

    async def _message_deleted(self, event: dict[str, Any], team_id: str) -> None:
        """A message deleted in Slack leaves the channel's memory."""
        channel_id, deleted_ts = event.get("channel"), event.get("deleted_ts")
        if not isinstance(channel_id, str) or not isinstance(deleted_ts, str):
            return
        if self._on_message_deleted is not None:
            where = channel_ref(team_id, channel_id)
            await self._on_message_deleted(where, message_id(channel_id, deleted_ts))

    async def _file_deleted(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        file_id = event.get("file_id")
        team_id = str(body.get("team_id") or "")
        log.info("slack: file %s deleted in %s", file_id, team_id)
        if isinstance(file_id, str) and self._on_file_deleted is not None:
            await self._on_file_deleted(team_id, file_id)

    async def _ack_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        text = str(body.get("text") or "")
        # A question gets a sign at once; the answer follows when it is ready.
        if text and parse_command(text.strip()) is None:
            await ack(text="…")
        else:
            await ack()

    async def _run_command(self, body: dict[str, Any]) -> None:
        events, chat = self._ready()
        message = await events.command(body)
        text = _ASK.sub("", message.text)
        replies = CollectedReplies(chat.message_limit)
        await self._on_message(
            IncomingMessage(
                channel=message.channel,
                author=message.author,
                text=text,
                message_id=message.message_id,
                sent_at=message.sent_at,
            ),
            replies,
        )
        # Ephemeral messages cannot be edited: each reply is shown once, in its final form.
        for reply in replies.replies():
            look = MessageLook(reply.text, reply.heading, reply.sources, reply.buttons)
            await chat.post_look_ephemeral(message.channel, message.author.id, look)

    async def _click(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        events, chat = self._ready()
        action = await events.action(body)
        if action is not None:
            await self._on_action(action, chat)
