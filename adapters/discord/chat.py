"""DiscordChat: the core's chat verbs and capabilities over discord.py."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import discord

from adapters.discord.events import chain_question, plain_text, reply_chain
from core.errors import UserFacingError
from core.ingestion import file_too_big
from core.language import detect_language
from core.messages import say
from core.models import Attachment, Button, ChannelRef, IncomingMessage, MessageRef, ThreadMessage
from core.streaming import CURSOR

log = logging.getLogger("ragbot.discord")

MESSAGE_LIMIT = 2000
CUSTOM_ID_PREFIX = "ragbot"
_EMOJI = {"eyes": "👀", "white_check_mark": "✅", "warning": "⚠️", "x": "❌"}
_DOWNLOAD_PIECE = 64 * 1024
_NO_MENTIONS = discord.AllowedMentions.none()
_HISTORY = 50  # earlier messages of a thread, or links of a reply chain, read at most
# "typing…" again before Discord's 10 s run out; the longest for one answer, should its
# final text never come.
_TYPING_AGAIN = 8.0
_TYPING_AT_MOST = 300.0
Place = discord.TextChannel | discord.Thread | discord.PartialMessageable


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


class Typing:
    """Shows "ragbot is typing…" where an answer is being written: while the bot's latest
    message there ends with the core's cursor. Discord shows the signal for 10 s, or until
    the bot's next message there, so it is sent again every few seconds."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def places(self) -> set[int]:
        """The ids of the channels and threads the bot is typing in now."""
        return {place for place, task in self._tasks.items() if not task.done()}

    async def follow(self, place: Place, text: str) -> None:
        """Type on while `text` (just shown in `place`) is unfinished; stop once it is not.
        The first signal is sent before this returns, the repeats in the background."""
        if not text.endswith(CURSOR):
            self.stop(place.id)
            return
        if place.id in self.places:
            return
        try:
            await place.typing()
        except discord.HTTPException as error:
            log.warning("discord: could not show typing in %s: %s", place.id, error)
            return
        self._tasks[place.id] = asyncio.create_task(self._repeat(place))

    def stop(self, place_id: int) -> None:
        """No more typing in one place."""
        task = self._tasks.pop(place_id, None)
        if task is not None:
            task.cancel()

    def stop_all(self) -> None:
        """No more typing anywhere (the client is closing)."""
        for place in list(self._tasks):
            self.stop(place)

    async def _repeat(self, place: Place) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + _TYPING_AT_MOST
        try:
            while loop.time() < until:
                await asyncio.sleep(_TYPING_AGAIN)
                await place.typing()
        except discord.HTTPException as error:
            log.warning("discord: could not show typing in %s: %s", place.id, error)


class DiscordChat:
    """ChatClient, WorkingSignal, ButtonsCapable, ThreadStarter, ThreadHistory and
    FileDownloads for one Discord bot. Text is Discord's Markdown; links in it are wrapped
    in <> by the core, so they show no preview."""

    def __init__(self, client: discord.Client, typing: Typing | None = None) -> None:
        self._client = client
        self._told: set[ChannelRef] = set()
        self._told_history: set[ChannelRef] = set()
        self.typing = typing or Typing()

    @property
    def message_limit(self) -> int:
        """Discord's 2,000 characters."""
        return MESSAGE_LIMIT

    @property
    def min_edit_interval(self) -> float:
        """About one edit a second keeps well inside Discord's limits."""
        return 1.0

    def _where(self, channel: ChannelRef, thread_id: str | None) -> Place:
        # A reply chain lives in the channel itself.
        in_chain = chain_question(thread_id) is not None
        target = int(channel.channel if in_chain or not thread_id else thread_id)
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
        """Send `text` to the channel, or to the thread `thread_id` in it; in a reply chain,
        as a reply to its question (which pings no one)."""
        place = self._where(channel, thread_id)
        question = chain_question(thread_id)
        try:
            if question is None:
                sent = await place.send(text, allowed_mentions=_NO_MENTIONS)
            else:
                reference = discord.MessageReference(
                    message_id=question, channel_id=place.id, fail_if_not_exists=False
                )
                sent = await place.send(text, reference=reference, allowed_mentions=_NO_MENTIONS)
        except discord.Forbidden as error:
            raise permission_error(error, "send messages") from error
        await self.typing.follow(place, text)
        return MessageRef(channel, str(sent.id), thread_id)

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Replace a message's text (its buttons stay)."""
        place = self._where(ref.channel, ref.thread_id)
        try:
            await place.get_partial_message(int(ref.message_id)).edit(
                content=text, allowed_mentions=_NO_MENTIONS
            )
        except discord.Forbidden as error:
            raise permission_error(error, "edit messages") from error
        await self.typing.follow(place, text)

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
        """A thread from the question, where the channel allows it; else a reply chain in
        place (no permission to create threads); None in a DM, which is one conversation."""
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
            return reply_chain(message.message_id)
        return str(thread.id)

    async def thread_history(
        self, channel: ChannelRef, thread_id: str, before_message_id: str
    ) -> list[ThreadMessage]:
        """The conversation's earlier messages, read from Discord (a restart loses nothing):
        a thread's, from the message it was started from; a reply chain's, link by link.
        History the bot may not read is said once in the channel, then raised."""
        before = int(before_message_id)
        try:
            if chain_question(thread_id) is not None:
                found = await self._reply_chain(self._where(channel, None), before)
            else:
                found = await self._thread(channel, int(thread_id), before)
        except discord.Forbidden as error:
            await self._cannot_read_history(channel, thread_id, before)
            raise permission_error(error, "read message history") from error
        bot = self._client.user
        earlier: list[ThreadMessage] = []
        for message in found:
            own = bot is not None and message.author.id == bot.id
            if message.author.bot and not own:
                continue
            text = plain_text(message, bot.id) if bot is not None else message.content
            earlier.append(ThreadMessage(message.author.display_name, text, own))
        return earlier

    async def _thread(
        self, channel: ChannelRef, thread_id: int, before: int
    ) -> list[discord.Message]:
        """A thread's messages before `before`, oldest first; a thread started from a
        message (which stays in the parent channel, under the thread's id) begins with it."""
        thread = self._client.get_partial_messageable(thread_id)
        found = [
            message
            async for message in thread.history(limit=_HISTORY, before=discord.Object(before))
        ]
        found.reverse()
        if len(found) < _HISTORY:
            try:
                starter = await self._where(channel, None).fetch_message(thread_id)
            except discord.NotFound:
                pass
            else:
                found.insert(0, starter)
        return found

    async def _reply_chain(self, place: Place, before: int) -> list[discord.Message]:
        """The messages the question `before` replies to, link by link, oldest first."""
        message = await place.fetch_message(before)
        found: list[discord.Message] = []
        while len(found) < _HISTORY:
            reference = message.reference
            if reference is None or reference.message_id is None:
                break
            if reference.channel_id != place.id:
                break
            resolved = reference.resolved
            if isinstance(resolved, discord.Message):
                message = resolved
            else:
                try:
                    message = await place.fetch_message(reference.message_id)
                except discord.NotFound:
                    break
            found.append(message)
        found.reverse()
        return found

    async def _cannot_read_history(self, channel: ChannelRef, thread_id: str, before: int) -> None:
        """Say once per channel that the bot answers without the conversation before."""
        if channel in self._told_history:
            return
        self._told_history.add(channel)
        question = discord.utils.get(self._client.cached_messages, id=before)
        language = detect_language(question.content if question is not None else "")
        try:
            await self.post(channel, say("discord_no_history", language), thread_id)
        except (UserFacingError, discord.HTTPException):
            log.warning("discord: could not say that history is unreadable in %s", channel)

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
