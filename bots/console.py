"""The console front end: one channel at a time, typed or piped lines, streamed answers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console_chat import (
    CONSOLE_HELP,
    ConsoleChat,
    Quit,
    ShowText,
    SwitchChannel,
    console_channel,
    parse_console_line,
)
from core.bot import Bot
from core.commands import parse_command

ReadLine = Callable[[str], Awaitable[str | None]]


def stdin_reader(stream: TextIO = sys.stdin) -> ReadLine:
    """Read lines without blocking the event loop; prompts only on a terminal."""
    interactive = stream.isatty()

    async def read(prompt: str) -> str | None:
        if interactive:
            try:
                return await asyncio.to_thread(input, prompt)
            except EOFError:
                return None
        line = await asyncio.to_thread(stream.readline)
        return line if line else None

    return read


async def run_console(
    bot: Bot, chat: ConsoleChat, channel_name: str, read: ReadLine, skip_blank_lines: bool = True
) -> None:
    """Serve lines until /quit or the end of input; each line gets its answer in full.

    At a terminal a blank line just prompts again; piped input gets one reply per line,
    blank ones included, so a script can pair its lines with the replies.
    """
    channel = console_channel(channel_name)
    resumed = await bot.attach(channel.platform, chat)
    if resumed and not skip_blank_lines:
        # Piped input: what a script asks next may be about a source a restart cut off.
        await bot.idle()
        chat.finish_output()
    sequence = 0
    while True:
        line = await read(f"#{channel.channel}> ")
        if line is None:
            break
        if skip_blank_lines and not line.strip():
            continue
        sequence += 1
        action = parse_console_line(line, channel, sequence)
        if isinstance(action, Quit):
            break
        if isinstance(action, SwitchChannel):
            channel = console_channel(action.name)
            print(f"Now in #{channel.channel}.", file=sys.stderr)
            continue
        if isinstance(action, ShowText):
            await chat.post(channel, action.text)
        else:
            await bot.handle(action, chat)
            parsed = parse_command(action.text)
            if isinstance(parsed, tuple) and parsed[0].name == "help":
                await chat.post(channel, CONSOLE_HELP)
        chat.finish_output()
    # Jobs the bot resumed on its own are finished before the console leaves.
    await bot.idle()
    chat.finish_output()
