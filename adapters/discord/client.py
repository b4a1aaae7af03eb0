"""The discord.py client: messages, the /rag command group and button clicks, delivered to
the core; answers go out through DiscordChat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import discord
from discord import app_commands

from adapters.discord.chat import MESSAGE_LIMIT, DiscordChat, Typing, button_of, buttons_view
from adapters.discord.events import (
    MAX_ATTACHMENTS,
    PLATFORM,
    attachment_key,
    author_of,
    click,
    incoming,
    where,
)
from core.collected_replies import CollectedReplies
from core.models import ChannelRef, IncomingAction, IncomingMessage
from core.ports import ChatClient

log = logging.getLogger("ragbot.discord")

HandleMessage = Callable[[IncomingMessage, ChatClient], Awaitable[None]]
HandleAction = Callable[[IncomingAction, ChatClient], Awaitable[None]]
SourceTitles = Callable[[ChannelRef], Awaitable[list[str]]]
# (workspace, file id) of an attachment whose message was deleted.
HandleFileDeleted = Callable[[str, str], Awaitable[object]]
# A message deleted on Discord: its channel (a thread's parent) and its id.
HandleMessageDeleted = Callable[[ChannelRef, str], Awaitable[object]]
_CHOICES = 25  # Discord's most autocomplete choices
# Every permission the bot uses, in one place: the invite asks for these (README: Discord).
PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels it answers in
    send_messages=True,  # answers, notices, typing
    send_messages_in_threads=True,  # answers in threads
    create_public_threads=True,  # a thread from the question
    read_message_history=True,  # follow-ups read the thread or reply chain; replies
    add_reactions=True,  # 👀 on a question
)
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int | str) -> str:
    """The OAuth2 URL that adds the bot to a server with its permissions and /rag."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


@dataclass(frozen=True)
class DiscordConfig:
    """What the Discord adapter needs to know."""

    test_guild: str | None = None
    admin_role: str = ""
    guild_ready_timeout: float = 2.0


class ClickChat(DiscordChat):
    """DiscordChat for one click: what only the clicker should see is an ephemeral
    follow-up of the click's interaction."""

    def __init__(
        self, client: discord.Client, interaction: discord.Interaction, typing: Typing
    ) -> None:
        super().__init__(client, typing)
        self._interaction = interaction

    async def post_ephemeral(
        self, channel: ChannelRef, user_id: str, text: str, thread_id: str | None = None
    ) -> None:
        """Tell the clicker alone."""
        await self._interaction.followup.send(text, ephemeral=True)


class RagbotDiscord(discord.Client):
    """One Discord bot: every guild and DM it is in."""

    def __init__(
        self,
        config: DiscordConfig,
        on_message: HandleMessage,
        on_action: HandleAction,
        source_titles: SourceTitles,
        on_file_deleted: HandleFileDeleted | None = None,
        on_message_deleted: HandleMessageDeleted | None = None,
    ) -> None:
        self._file_deleted = on_file_deleted
        self._message_deleted = on_message_deleted
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            intents=intents,
            guild_ready_timeout=config.guild_ready_timeout,
            chunk_guilds_at_startup=False,
        )
        self._config = config
        self._handle = on_message
        self._act = on_action
        self._titles = source_titles
        self.chat = DiscordChat(self)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(self._commands())

    async def setup_hook(self) -> None:
        """Sync /rag: to the test guild at once, else globally (Discord takes a while)."""
        if self.application_id is not None:
            log.info("discord: invite the bot with %s", invite_url(self.application_id))
        if self._config.test_guild:
            guild = discord.Object(int(self._config.test_guild))
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def close(self) -> None:
        """Stop typing anywhere, then log out and close the gateway."""
        self.chat.typing.stop_all()
        await super().close()

    async def on_message(self, message: discord.Message) -> None:
        """A message in a channel the bot can read."""
        if self.user is None:
            return
        translated = incoming(message, self.user, self._config.admin_role)
        if translated is not None:
            await self._handle(translated, self.chat)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message takes its attachments out of the channel's sources, and itself
        out of the channel's memory."""
        workspace = str(payload.guild_id) if payload.guild_id else "dm"
        if self._message_deleted is not None:
            place = self.get_channel(payload.channel_id)
            if place is not None:
                channel, _ = where(place, self.get_guild(payload.guild_id or 0))
            else:
                channel = ChannelRef(PLATFORM, workspace, str(payload.channel_id))
            await self._message_deleted(channel, str(payload.message_id))
        if self._file_deleted is None:
            return
        for index in range(MAX_ATTACHMENTS):
            await self._file_deleted(workspace, attachment_key(payload.message_id, index))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on one of the bot's buttons (commands go through the tree)."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, object] = dict(interaction.data or {})
        decoded = button_of(str(data.get("custom_id", "")))
        if decoded is None:
            return
        await interaction.response.defer()
        action, value = decoded
        clicked = click(interaction, action, value, self._config.admin_role)
        await self._act(clicked, ClickChat(self, interaction, self.chat.typing))

    async def _run(self, interaction: discord.Interaction, text: str) -> None:
        """A /rag subcommand: deferred at once, answered ephemerally when done."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel, thread_id = where(interaction.channel, interaction.guild)
        author = author_of(interaction.user, self._config.admin_role, interaction.guild is None)
        permissions = interaction.permissions
        if permissions.manage_channels or permissions.administrator:
            # The invoker's rights in this channel, as Discord sends them with the command.
            author = replace(author, is_admin=True)
        message = IncomingMessage(
            channel=channel,
            author=author,
            text=text,
            message_id=f"command:{interaction.id}",
            thread_id=thread_id,
        )
        replies = CollectedReplies(MESSAGE_LIMIT)
        await self._handle(message, replies)
        for reply in replies.replies() or []:
            if reply.buttons:
                await interaction.followup.send(
                    reply.text, ephemeral=True, view=buttons_view(reply.buttons)
                )
            else:
                await interaction.followup.send(reply.text, ephemeral=True)

    def _commands(self) -> app_commands.Group:
        group = app_commands.Group(name="rag", description="This channel's knowledge bot")

        @group.command(name="help", description="What the bot does and its commands")
        async def help_(interaction: discord.Interaction) -> None:
            await self._run(interaction, "help")

        @group.command(name="sources", description="The channel's sources")
        async def sources(interaction: discord.Interaction) -> None:
            await self._run(interaction, "sources")

        @group.command(name="forget", description="Forget one source")
        @app_commands.describe(source="The source's title or number")
        async def forget(interaction: discord.Interaction, source: str) -> None:
            await self._run(interaction, f"forget {source}")

        @forget.autocomplete("source")
        async def forget_source(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            channel, _ = where(interaction.channel, interaction.guild)
            titles = await self._titles(channel)
            matching = [t for t in titles if current.casefold() in t.casefold()]
            return [app_commands.Choice(name=t[:100], value=t[:100]) for t in matching[:_CHOICES]]

        @group.command(
            name="reset", description="Forget every source and the memory, or one (asks first)"
        )
        @app_commands.describe(part="memory or sources only (default: both)")
        @app_commands.choices(
            part=[
                app_commands.Choice(name="everything", value=""),
                app_commands.Choice(name="memory", value="memory"),
                app_commands.Choice(name="sources", value="sources"),
            ]
        )
        async def reset(interaction: discord.Interaction, part: str = "") -> None:
            await self._run(interaction, f"reset {part}".strip())

        @group.command(name="memory", description="What the bot remembers about a topic here")
        @app_commands.describe(topic="e.g. stew recipe")
        async def memory(interaction: discord.Interaction, topic: str) -> None:
            await self._run(interaction, f"memory {topic}")

        @group.command(name="forget-memory", description="Forget memories: a topic, mine or all")
        @app_commands.describe(what="a topic, mine, or all")
        async def forget_memory(interaction: discord.Interaction, what: str) -> None:
            await self._run(interaction, f"forget-memory {what}")

        @group.command(name="settings", description="Show or change the channel's settings")
        @app_commands.describe(change="e.g. auto_index off")
        async def settings(interaction: discord.Interaction, change: str = "") -> None:
            await self._run(interaction, f"settings {change}".strip())

        @group.command(name="ask", description="Ask about the channel's sources")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await self._run(interaction, question)

        return group
