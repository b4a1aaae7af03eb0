"""Discord: the discord.py client, the chat client and the translation of Discord's events."""

from adapters.discord.chat import DiscordChat
from adapters.discord.client import PERMISSIONS, DiscordConfig, RagbotDiscord, invite_url
from adapters.discord.events import PLATFORM

__all__ = ["PERMISSIONS", "PLATFORM", "DiscordChat", "DiscordConfig", "RagbotDiscord", "invite_url"]
