"""Discord: the discord.py client, the chat client and the translation of Discord's events."""

from adapters.discord.chat import DiscordChat
from adapters.discord.client import DiscordConfig, RagbotDiscord
from adapters.discord.events import PLATFORM

__all__ = ["PLATFORM", "DiscordChat", "DiscordConfig", "RagbotDiscord"]
