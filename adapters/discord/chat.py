"""DiscordChat: the core's chat verbs and capabilities over discord.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import discord

from core.errors import UserFacingError
from core.ingestion import file_too_big
from core.language import detect_language
from core.messages import say
from core.models import Attachment, Button, ChannelRef, IncomingMessage, MessageRef, ThreadMessage

log = logging.getLogger("ragbot.discord")

MESSAGE_LIMIT = 2000
CUSTOM_ID_PREFIX = "ragbot"
_EMOJI = {"eyes": "👀", "white_check_mark": "✅", "warning": "⚠️", "x": "❌"}
_DOWNLOAD_PIECE = 64 * 1024
_NO_MENTIONS = discord.AllowedMentions.none()


def custom_id(button: Button) -> str:
    """A button's custom id: the core's action and value (Discord allows 100 characters)."""
    return f"{CUSTOM_ID_PREFIX}:{button.action}:{button.value}"[:100]


def buttons_view(buttons: Sequence[Button]) -> discord.ui.View:
    """The core's buttons as a view whose clicks the client reads back by custom id."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(discord.ui.Button(label=button.label[:80], custom_id=custom_id(button)))
    return view


def button_of(custom: str) -> tuple[str, str] | None:
    """The core's action and value of one of the bot's buttons; None for another's."""
    prefix, _, rest = custom.partition(":")
    if prefix != CUSTOM_ID_PREFIX or not rest:
        return None
    action, _, value = rest.partition(":")
    return action, value


def permission_error(error: discord.Forbidden, action: str) -> UserFacingError:
    """A missing Discord permission, said so a server admin can fix it."""
    return UserFacingError("discord_forbidden", action=action, detail=error.text or "")


class DiscordChat:
    """ChatClient, WorkingSignal, ButtonsCapable, ThreadStarter, ThreadHistory and
    FileDownloads for one Discord bot. Text is Discord's Markdown; links in it are wrapped
    in <> by the core, so they show no preview."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._told: set[ChannelRef] = set()

    @property
    def message_limit(self) -> int:
        """Discord's 2,000 characters."""
        return MESSAGE_LIMIT

    @property
    def min_edit_interval(self) -> float:
        """About one edit a second keeps well inside Discord's limits."""
        return 1.0

    def _where(
        self, channel: ChannelRef, thread_id: str | None
    ) -> discord.TextChannel | discord.Thread | discord.PartialMessageable:
        target = int(thread_id or channel.channel)
        # A known channel carries its guild, which creating a thread from a message needs.
        known = self._client.get_channel(target)
        if isinstance(known, discord.TextChannel | discord.Thread):
            return known
        return self._client.get_partial_messageable(target)

    def _message(self, ref: MessageRef) -> discord.PartialMessage:
        return self._where(ref.channel, ref.thread_id).get_partial_message(int(ref.message_id))

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Send `text` to the channel, or to the thread `thread_id` in it."""
        try:
            sent = await self._where(channel, thread_id).send(text, allowed_mentions=_NO_MENTIONS)
        except discord.Forbidden as error:
            raise permission_error(error, "send messages") from error
        return MessageRef(channel, str(sent.id), thread_id)

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Replace a message's text (its buttons stay)."""
        try:
            await self._message(ref).edit(content=text, allowed_mentions=_NO_MENTIONS)
        except discord.Forbidden as error:
            raise permission_error(error, "edit messages") from error

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """React to a message; a missing permission is logged, not raised."""
        await self._react(self._message(ref), emoji)

    async def _react(self, message: discord.PartialMessage, emoji: str) -> None:
        try:
            await message.add_reaction(_EMOJI.get(emoji, emoji))
        except discord.HTTPException as error:
            log.warning("discord: could not react: %s", error)

    async def working(self, message: IncomingMessage) -> None:
        """👀 on the question at once."""
        channel = self._where(message.channel, message.thread_id)
        await self._react(channel.get_partial_message(int(message.message_id)), "eyes")

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        """Buttons under a message; clicks come back as interactions (see client.py)."""
        try:
            await self._message(ref).edit(view=buttons_view(buttons))
        except discord.Forbidden as error:
            raise permission_error(error, "edit messages") from error

    async def start_thread(self, message: IncomingMessage, title: str) -> str | None:
        """A thread from the question, where the channel allows it; None answers in place
        (a DM, or no permission to create threads)."""
        if message.thread_id or message.channel.workspace == "dm":
            return message.thread_id
        question = self._where(message.channel, None).get_partial_message(int(message.message_id))
        try:
            thread = await question.create_thread(name=title[:100] or "…")
        except discord.HTTPException as error:
            log.warning("discord: no thread in %s (%s); answering in place", message.channel, error)
            if isinstance(error, discord.Forbidden) and message.channel not in self._told:
                # Said once per channel, so an admin knows why answers are not in threads.
                self._told.add(message.channel)
                language = detect_language(message.text)
                await self.post(message.channel, say("discord_no_threads", language))
            return None
        return str(thread.id)

    async def thread_history(
        self, channel: ChannelRef, thread_id: str, before_message_id: str
    ) -> list[ThreadMessage]:
        """The thread's earlier messages, read from Discord (a restart loses nothing)."""
        thread = self._client.get_partial_messageable(int(thread_id))
        bot = self._client.user
        earlier: list[ThreadMessage] = []
        try:
            async for message in thread.history(
                limit=50, before=discord.Object(int(before_message_id))
            ):
                own = bot is not None and message.author.id == bot.id
                if message.author.bot and not own:
                    continue
                earlier.append(ThreadMessage(message.author.display_name, message.content, own))
        except discord.Forbidden as error:
            raise permission_error(error, "read message history") from error
        earlier.reverse()
        return earlier

    async def download(self, attachment: Attachment, folder: str, max_bytes: int) -> str:
        """Fetch an attachment from Discord's CDN (the platform's own files: no guard)."""
        if not attachment.url:
            raise UserFacingError("file_unavailable", name=attachment.name)
        target = Path(folder) / os.path.basename(attachment.name or "file")
        size = 0
        async with (
            aiohttp.ClientSession() as session,
            session.get(attachment.url) as response,
        ):
            if response.status != 200:
                raise UserFacingError("file_unavailable", name=attachment.name)
            with target.open("wb") as handle:
                async for piece in response.content.iter_chunked(_DOWNLOAD_PIECE):
                    size += len(piece)
                    if size > max_bytes:
                        raise file_too_big(attachment.name, size, max_bytes)
                    handle.write(piece)
        return str(target)
