"""The README's invite URL asks for exactly the permissions the Discord adapter uses."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord

from adapters.discord import PERMISSIONS, invite_url

README = Path(__file__).resolve().parents[3] / "README.md"


def discord_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Discord\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_invite_url_is_the_one_built_from_the_adapters_permissions() -> None:
    (url,) = re.findall(r"https://discord\.com/oauth2/authorize\?[^`\s]+", discord_section())

    assert url == invite_url("APPLICATION_ID")
    query = parse_qs(urlsplit(url).query)
    assert query["permissions"] == [str(PERMISSIONS.value)]
    assert query["scope"] == ["bot applications.commands"]


def test_the_readme_names_every_permission_of_the_integer() -> None:
    section = " ".join(discord_section().split())
    (integer,) = set(re.findall(r"permissions integer (\d+)", section))

    assert int(integer) == PERMISSIONS.value
    assert discord.Permissions(int(integer)) == PERMISSIONS
    named = {
        "View Channels": "view_channel",
        "Send Messages": "send_messages",
        "Send Messages in Threads": "send_messages_in_threads",
        "Create Public Threads": "create_public_threads",
        "Read Message History": "read_message_history",
        "Add Reactions": "add_reactions",
    }
    assert discord.Permissions(**dict.fromkeys(named.values(), True)) == PERMISSIONS
    assert all(name in section for name in named)


def test_the_readme_says_how_to_turn_on_the_message_content_intent() -> None:
    section = " ".join(discord_section().split())

    assert "Message Content Intent" in section
    assert "Privileged Gateway Intents" in section
