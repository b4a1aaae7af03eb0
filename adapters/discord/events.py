"""Discord messages and clicks translated into the core's messages and actions."""

from __future__ import annotations

import re

import discord

from core.links import find_links
from core.models import (
    Attachment,
    Author,
    ChannelRef,
    IncomingAction,
    IncomingMessage,
    MessageRef,
)

PLATFORM = "discord"
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_CHANNEL_MENTION = re.compile(r"<#(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


# Discord allows at most ten attachments per message.
MAX_ATTACHMENTS = 10
# The core's thread id of a question answered in place (where the bot may not create
# threads): the answer replies to the question, and a reply to that answer follows up on it.
_REPLY_CHAIN = "reply:"


def reply_chain(message_id: int | str) -> str:
    """The conversation of a question answered by a reply to it, in place."""
    return f"{_REPLY_CHAIN}{message_id}"


def chain_question(thread_id: str | None) -> int | None:
    """The question a reply chain's answer replies to; None for a real thread or none."""
    if thread_id is None or not thread_id.startswith(_REPLY_CHAIN):
        return None
    return int(thread_id.removeprefix(_REPLY_CHAIN))


def attachment_key(message_id: int, index: int) -> str:
    """The platform file id of a message's attachment: found again from the message's id
    alone when the message is deleted."""
    return f"{message_id}:{index}"


def where(channel: object, guild: discord.Guild | None) -> tuple[ChannelRef, str | None]:
    """The core's channel and thread for a Discord channel: a thread belongs to its parent
    channel's knowledge; a DM is a channel of its own."""
    workspace = str(guild.id) if guild is not None else "dm"
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return ChannelRef(PLATFORM, workspace, str(channel.parent_id)), str(channel.id)
    channel_id = getattr(channel, "id", 0)
    return ChannelRef(PLATFORM, workspace, str(channel_id)), None


def is_admin(member: object, admin_role: str) -> bool:
    """Manage Channels, Administrator, or the configured admin role (by id or name)."""
    permissions = getattr(member, "guild_permissions", None)
    if permissions is not None and (permissions.manage_channels or permissions.administrator):
        return True
    roles = getattr(member, "roles", ())
    return bool(admin_role) and any(admin_role in (str(role.id), role.name) for role in roles)


def author_of(user: discord.User | discord.Member, admin_role: str, in_dm: bool) -> Author:
    """The core's author: a DM's only other person administers that DM."""
    return Author(str(user.id), user.display_name, in_dm or is_admin(user, admin_role))


def plain_text(message: discord.Message, bot_id: int) -> str:
    """The message's words: the bot's mention removed, other mentions as names."""
    names = {str(user.id): user.display_name for user in message.mentions}
    text = message.content

    def user(match: re.Match[str]) -> str:
        found = match.group(1)
        return "" if found == str(bot_id) else "@" + names.get(found, found)

    def channel(match: re.Match[str]) -> str:
        found = message.guild.get_channel(int(match.group(1))) if message.guild else None
        return "#" + (found.name if found is not None else match.group(1))

    def role(match: re.Match[str]) -> str:
        found = message.guild.get_role(int(match.group(1))) if message.guild else None
        return "@" + (found.name if found is not None else match.group(1))

    text = _USER_MENTION.sub(user, text)
    text = _CHANNEL_MENTION.sub(channel, text)
    text = _ROLE_MENTION.sub(role, text)
    return " ".join(text.split(" ")).strip()


def incoming(
    message: discord.Message, bot: discord.ClientUser, admin_role: str
) -> IncomingMessage | None:
    """The core's message; None for a bot's message or chatter with nothing to index."""
    if message.author.bot or message.author.id == bot.id:
        return None
    in_dm = message.guild is None
    replied = message.reference.resolved if message.reference is not None else None
    addressed = (
        in_dm
        or bot in message.mentions
        or (isinstance(replied, discord.Message) and replied.author.id == bot.id)
    )
    in_bot_thread = isinstance(message.channel, discord.Thread) and (
        message.channel.owner_id == bot.id
    )
    attachments = tuple(
        Attachment(
            name=item.filename,
            url=item.url,
            size_bytes=item.size,
            mime_type=item.content_type,
            file_id=attachment_key(message.id, index),
        )
        for index, item in enumerate(message.attachments)
    )
    addressed = addressed or in_bot_thread
    if not addressed and not attachments and not find_links(message.content):
        return None
    channel, thread_id = where(message.channel, message.guild)
    if thread_id is None and not in_dm and _answer_in_place(replied, bot):
        # A reply to an answer given in place follows up on it, in place too.
        thread_id = reply_chain(message.id)
    return IncomingMessage(
        channel=channel,
        author=author_of(message.author, admin_role, in_dm),
        text=plain_text(message, bot.id),
        message_id=str(message.id),
        thread_id=thread_id,
        attachments=attachments,
        addressed=addressed,
        permalink=message.jump_url,
        sent_at=message.created_at,
    )


def _answer_in_place(replied: object, bot: discord.ClientUser) -> bool:
    """Whether a replied-to message is the bot's answer in place (itself a reply)."""
    return (
        isinstance(replied, discord.Message)
        and replied.author.id == bot.id
        and replied.reference is not None
    )


def click(
    interaction: discord.Interaction, action: str, value: str, admin_role: str
) -> IncomingAction:
    """A click on one of the bot's buttons."""
    channel, thread_id = where(interaction.channel, interaction.guild)
    message = interaction.message
    ref = MessageRef(channel, str(message.id) if message else "", thread_id)
    user = interaction.user
    permissions = interaction.permissions
    admin = (
        interaction.guild is None
        or permissions.manage_channels
        or permissions.administrator
        or is_admin(user, admin_role)
    )
    return IncomingAction(
        channel=channel,
        author=Author(str(user.id), user.display_name, admin),
        action=action,
        value=value,
        message=ref,
        action_id=f"click:{interaction.id}",
    )
