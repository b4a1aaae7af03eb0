"""`python -m bots discord`: the bot on Discord servers, through discord.py."""

from __future__ import annotations

import asyncio
import logging

import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord import PLATFORM, DiscordConfig, RagbotDiscord
from bots.bootstrap import Runtime
from config.settings import DiscordSettings

log = logging.getLogger("ragbot.discord")


class DiscordSetupError(Exception):
    """A setting Discord needs is missing."""


def discord_token(settings: DiscordSettings) -> str:
    """The bot token; names the setting when it is missing."""
    if settings.token is None:
        raise DiscordSetupError("RAGBOT_DISCORD__TOKEN is not set (the bot token)")
    return settings.token.get_secret_value()


def point_at(settings: DiscordSettings) -> None:
    """Aim discord.py at the configured REST API and gateway (Discord's by default)."""
    discord.http.Route.BASE = settings.api_url.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def discord_bot(runtime: Runtime, settings: DiscordSettings) -> RagbotDiscord:
    """The Discord client wired to the runtime's bot."""
    bot = runtime.bot
    config = DiscordConfig(test_guild=settings.test_guild or None, admin_role=settings.admin_role)

    async def file_deleted(workspace: str, file_id: str) -> int:
        return await bot.forget_shared_file(PLATFORM, workspace, file_id)

    return RagbotDiscord(
        config,
        bot.handle,
        bot.handle_action,
        bot.source_titles,
        on_file_deleted=file_deleted,
        on_message_deleted=bot.forget_message,
    )


async def run_discord(runtime: Runtime, settings: DiscordSettings) -> None:
    """Serve Discord until cancelled: engines first, then the gateway."""
    token = discord_token(settings)
    point_at(settings)
    client = discord_bot(runtime, settings)
    await runtime.warm_up()

    async def attach_when_ready() -> None:
        # Jobs a restart cut off post their progress once the gateway is up.
        await client.wait_until_ready()
        await runtime.bot.attach(PLATFORM, client.chat)

    attaching = asyncio.create_task(attach_when_ready())
    try:
        await client.start(token)
    finally:
        attaching.cancel()
        await client.close()
