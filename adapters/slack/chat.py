"""SlackChat: the core's chat verbs and capabilities over Slack's Web API."""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MESSAGE_LIMIT, MessageLook, blocks_for, fallback_text
from adapters.slack.ids import message_ts
from core.errors import UserFacingError
from core.ingestion import file_too_big
from core.models import (
    Attachment,
    Author,
    Button,
    ChannelRef,
    IncomingMessage,
    MessageRef,
    SourceLink,
    ThreadMessage,
)
from core.ports import AnswerStream

log = logging.getLogger("ragbot.slack")

ReadThread = Callable[[str, str, str], Awaitable[list[ThreadMessage]]]

# How many of the bot's messages keep their look in memory (for edits that add sources
# or buttons); older ones are re-shown from the text of the edit alone.
_REMEMBERED = 2000
_DOWNLOAD_PIECE = 64 * 1024
# Seconds between two chat.appendStream calls: smoother than edits, far below Slack's limits.
STREAM_INTERVAL = 0.5


# The scope each method needs, for when Slack's answer does not name it.
_SCOPES = {
    "files.info": "files:read",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.replies": "channels:history",
}


def api_error(error: SlackApiError, action: str) -> UserFacingError:
    """A Slack error a person can act on, as a phrase for the chat."""
    code = str(error.response.get("error", "unknown"))
    if code == "missing_scope":
        needed = error.response.get("needed") or _SCOPES.get(action, "?")
        return UserFacingError("slack_missing_scope", scope=str(needed))
    if code in {"not_in_channel", "channel_not_found", "is_archived"}:
        return UserFacingError("slack_not_in_channel")
    return UserFacingError("slack_failed", action=action, code=code)


class SlackChat:
    """ChatClient, WorkingSignal, ButtonsCapable, EphemeralReplies, NativeSources,
    ThreadStarter, ThreadHistory, NativeStreaming and FileDownloads for one Slack
    workspace.

    Text is sent as standard Markdown in a `markdown` block; sources and buttons are blocks
    of their own under it.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        bot_token: str,
        working_emoji: str = "eyes",
        on_thread_post: Callable[[str, str], None] | None = None,
        read_thread: ReadThread | None = None,
        native_streaming: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._native = native_streaming
        self._clock = clock
        self._read_thread = read_thread
        self._on_thread_post = on_thread_post
        self._client = client
        self._token = bot_token
        self._emoji = working_emoji
        self._looks: OrderedDict[tuple[str, str], MessageLook] = OrderedDict()

    @property
    def message_limit(self) -> int:
        """Characters per message before the core continues in the next one."""
        return MESSAGE_LIMIT

    @property
    def min_edit_interval(self) -> float:
        """Slack allows about one update a second per channel."""
        return 1.0

    def _look(self, ref: MessageRef, text: str = "") -> MessageLook:
        key = (ref.channel.channel, ref.message_id)
        look = self._looks.get(key) or MessageLook(text)
        self._remember(key, look)
        return look

    def _remember(self, key: tuple[str, str], look: MessageLook) -> None:
        self._looks[key] = look
        self._looks.move_to_end(key)
        while len(self._looks) > _REMEMBERED:
            self._looks.popitem(last=False)

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Post `text` (in the thread `thread_id` when given)."""
        look = MessageLook(text)
        try:
            answer = await self._client.chat_postMessage(
                channel=channel.channel,
                thread_ts=thread_id,
                text=fallback_text(look),
                blocks=blocks_for(look),
            )
        except SlackApiError as error:
            raise api_error(error, "chat.postMessage") from error
        ref = MessageRef(channel, str(answer["ts"]), thread_id)
        self._remember((channel.channel, ref.message_id), look)
        if thread_id and self._on_thread_post is not None:
            self._on_thread_post(channel.channel, thread_id)
        return ref

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Replace the text of a message, keeping its sources and buttons."""
        look = self._look(ref, text)
        look.text = text
        await self._show(ref, look)

    async def _show(self, ref: MessageRef, look: MessageLook) -> None:
        try:
            await self._client.chat_update(
                channel=ref.channel.channel,
                ts=ref.message_id,
                text=fallback_text(look),
                blocks=blocks_for(look),
            )
        except SlackApiError as error:
            raise api_error(error, "chat.update") from error

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Add a reaction to a message."""
        await self._react(ref.channel.channel, ref.message_id, emoji)

    async def _react(self, channel: str, ts: str, emoji: str) -> None:
        try:
            await self._client.reactions_add(channel=channel, timestamp=ts, name=emoji)
        except SlackApiError as error:
            # A reaction is a courtesy: the answer must not depend on the reactions scope.
            if error.response.get("error") != "already_reacted":
                log.warning("could not react in %s: %s", channel, error.response.get("error"))

    async def working(self, message: IncomingMessage) -> None:
        """React to the question at once, before anything else happens."""
        await self._react(message.channel.channel, message_ts(message.message_id), self._emoji)

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        """Show buttons under a message."""
        look = self._look(ref)
        look.buttons = list(buttons)
        await self._show(ref, look)

    async def show_sources(
        self, ref: MessageRef, heading: str, sources: Sequence[SourceLink]
    ) -> None:
        """Show an answer's sources as a context block of links under it."""
        look = self._look(ref)
        look.heading = heading
        look.sources = list(sources)
        await self._show(ref, look)

    async def post_ephemeral(
        self, channel: ChannelRef, user_id: str, text: str, thread_id: str | None = None
    ) -> None:
        """Show `text` to one person."""
        await self.post_look_ephemeral(channel, user_id, MessageLook(text), thread_id)

    async def post_look_ephemeral(
        self, channel: ChannelRef, user_id: str, look: MessageLook, thread_id: str | None = None
    ) -> None:
        """Show a message with its sources and buttons to one person."""
        try:
            await self._client.chat_postEphemeral(
                channel=channel.channel,
                user=user_id,
                thread_ts=thread_id,
                text=fallback_text(look),
                blocks=blocks_for(look),
            )
        except SlackApiError as error:
            raise api_error(error, "chat.postEphemeral") from error

    async def start_stream(self, placeholder: MessageRef, asker: Author) -> AnswerStream | None:
        """Stream the answer with chat.startStream in the placeholder's thread (the
        placeholder is deleted); None where the workspace does not allow it."""
        if not self._native or not placeholder.thread_id:
            return None
        channel = placeholder.channel
        try:
            started = await self._client.chat_startStream(
                channel=channel.channel,
                thread_ts=placeholder.thread_id,
                recipient_team_id=channel.workspace,
                recipient_user_id=asker.id,
            )
        except SlackApiError as error:
            # Not every workspace or plan streams: edits it is, for this workspace.
            self._native = False
            log.warning("slack: no native streaming (%s); editing", error.response.get("error"))
            return None
        ref = MessageRef(channel, str(started["ts"]), placeholder.thread_id)
        try:
            await self._client.chat_delete(channel=channel.channel, ts=placeholder.message_id)
        except SlackApiError as error:
            log.warning("slack: placeholder left in place: %s", error.response.get("error"))
        look = MessageLook("")
        self._remember((channel.channel, ref.message_id), look)
        return SlackAnswerStream(self._client, ref, look, self._clock)

    async def thread_history(
        self, channel: ChannelRef, thread_id: str, before_message_id: str
    ) -> list[ThreadMessage]:
        """The thread's earlier messages, read from Slack (a restart loses nothing)."""
        if self._read_thread is None:
            return []
        try:
            return await self._read_thread(
                channel.channel, thread_id, message_ts(before_message_id)
            )
        except SlackApiError as error:
            raise api_error(error, "conversations.replies") from error

    async def start_thread(self, message: IncomingMessage, title: str) -> str:
        """A Slack thread is the question's own ts: replying there opens it."""
        return message_ts(message.message_id)

    async def download(self, attachment: Attachment, folder: str, max_bytes: int) -> str:
        """Fetch a shared file with the bot token, stopping past `max_bytes`."""
        if not attachment.file_id:
            raise UserFacingError("file_unavailable", name=attachment.name)
        try:
            info = await self._client.files_info(file=attachment.file_id)
        except SlackApiError as error:
            raise api_error(error, "files.info") from error
        file = info.get("file") or {}
        size = file.get("size")
        if isinstance(size, int) and size > max_bytes:
            raise file_too_big(attachment.name, size, max_bytes)
        url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise UserFacingError("file_unavailable", name=attachment.name)
        target = Path(folder) / os.path.basename(attachment.name or "file")
        headers = {"Authorization": f"Bearer {self._token}"}
        size = 0
        # The platform's own file host, not a link someone shared: no private-address guard.
        async with (
            aiohttp.ClientSession() as session,
            session.get(str(url), headers=headers) as response,
        ):
            if response.status != 200 or "text/html" in response.content_type:
                # Slack answers a download without the files:read scope with a login page.
                raise UserFacingError("slack_missing_scope", scope="files:read")
            with target.open("wb") as handle:
                async for piece in response.content.iter_chunked(_DOWNLOAD_PIECE):
                    size += len(piece)
                    if size > max_bytes:
                        raise file_too_big(attachment.name, size, max_bytes)
                    handle.write(piece)
        return str(target)


class SlackAnswerStream:
    """One answer streamed with chat.appendStream, sent at most every `interval` seconds,
    ended with chat.stopStream."""

    def __init__(
        self,
        client: AsyncWebClient,
        ref: MessageRef,
        look: MessageLook,
        clock: Callable[[], float],
        interval: float = STREAM_INTERVAL,
    ) -> None:
        self._client = client
        self._ref = ref
        self._look = look
        self._clock = clock
        self._interval = interval
        self._pending = ""
        self._sent_at: float | None = None

    @property
    def ref(self) -> MessageRef:
        """The streaming message."""
        return self._ref

    async def append(self, text: str) -> None:
        """Add text; it is sent when the interval allows."""
        self._pending += text
        self._look.text += text
        now = self._clock()
        if self._sent_at is not None and now - self._sent_at < self._interval:
            return
        await self._send()
        self._sent_at = now

    async def _send(self) -> None:
        if not self._pending:
            return
        piece, self._pending = self._pending, ""
        try:
            await self._client.chat_appendStream(
                channel=self._ref.channel.channel, ts=self._ref.message_id, markdown_text=piece
            )
        except SlackApiError as error:
            raise api_error(error, "chat.appendStream") from error

    async def stop(self) -> None:
        """Send what is left and end the stream."""
        piece, self._pending = self._pending, ""
        try:
            await self._client.chat_stopStream(
                channel=self._ref.channel.channel,
                ts=self._ref.message_id,
                markdown_text=piece or None,
            )
        except SlackApiError as error:
            raise api_error(error, "chat.stopStream") from error
