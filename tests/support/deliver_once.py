"""Deliver one chat message with a given platform id to a bot built from the environment's
settings, as a platform adapter would, and print what the bot showed (one JSON list).

Used by the restart tests: the same id delivered to a new process must be dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bots.bootstrap import bootstrap
from config.settings import load_settings
from core.models import Author, ChannelRef, IncomingMessage
from tests.fakes import RecordingChat


async def deliver(message_id: str, text: str, channel: str) -> list[str]:
    """Build the bot, hand it the message, close it; return the texts it showed."""
    runtime = bootstrap(load_settings())
    chat = RecordingChat()
    try:
        message = IncomingMessage(
            ChannelRef("slack", "T1", channel),
            Author("U1", "Mina", is_admin=True),
            text,
            message_id,
        )
        await runtime.bot.handle(message, chat)
    finally:
        await runtime.close()
    return chat.shown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("message_id")
    parser.add_argument("text")
    parser.add_argument("--channel", default="C1")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(deliver(arguments.message_id, arguments.text, arguments.channel))))


if __name__ == "__main__":
    main()
