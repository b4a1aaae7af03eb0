"""The console as a chat platform: lines in, printed (and streamed) replies out."""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from core.links import find_links
from core.models import Attachment, Author, ChannelRef, IncomingMessage, MessageRef
from core.streaming import CURSOR

PLATFORM = "console"
WORKSPACE = "local"
# The person at the console runs the bot: an admin of its every channel.
CONSOLE_USER = Author("console-user", "you", is_admin=True)
CONSOLE_HELP = (
    "Console: `/index PATH` indexes a file or a folder, `/channel NAME` switches channel, "
    "`/quit` leaves."
)


class ConsoleChat:
    """ChatClient and ProgressReporter on a terminal.

    Replies are streamed by printing only what each edit adds; an edit that rewrites
    earlier text (as `again` does) prints the new text in full.
    """

    def __init__(self, out: TextIO = sys.stdout, progress_out: TextIO = sys.stderr) -> None:
        self._out = out
        self._progress_out = progress_out
        self._printed: dict[str, str] = {}
        self._open: str | None = None
        self._counter = 0
        self._bar: Any = None

    @property
    def message_limit(self) -> int:
        """A terminal has no message limit worth splitting at."""
        return 1_000_000

    @property
    def min_edit_interval(self) -> float:
        """A terminal shows every token as it comes."""
        return 0.0

    def _end_open_line(self) -> None:
        if self._open is not None:
            self._out.write("\n")
            self._open = None

    def _write(self, message_id: str, text: str) -> None:
        visible = text.removesuffix(CURSOR)
        printed = self._printed.get(message_id)
        if printed is not None and self._open == message_id and visible.startswith(printed):
            self._out.write(visible[len(printed) :])
        else:
            self._end_open_line()
            self._out.write(visible)
        self._out.flush()
        self._printed[message_id] = visible
        self._open = message_id

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Print a new message."""
        self._counter += 1
        message_id = str(self._counter)
        self._end_open_line()
        self._write(message_id, text)
        return MessageRef(channel, message_id, thread_id)

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Print what the edit adds (or the whole new text)."""
        if self._printed.get(ref.message_id) != text.removesuffix(CURSOR):
            self._write(ref.message_id, text)

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Reactions are not shown in the console."""

    async def progress(self, done: int, total: int, label: str) -> None:
        """Draw a progress bar on the progress stream."""
        self._end_open_line()
        if self._bar is None:
            self._bar = tqdm(total=total, file=self._progress_out, unit="file", leave=True)
        self._bar.set_postfix_str(label[-40:], refresh=False)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None

    def finish_output(self) -> None:
        """End the current line, so the next prompt starts on its own."""
        self._end_open_line()
        self._out.flush()


@dataclass(frozen=True)
class SwitchChannel:
    """`/channel NAME`."""

    name: str


@dataclass(frozen=True)
class Quit:
    """`/quit`, `/exit` or end of input."""


@dataclass(frozen=True)
class ShowText:
    """A console-only reply that needs no bot (help for console commands, usage errors)."""

    text: str


ConsoleAction = IncomingMessage | SwitchChannel | Quit | ShowText


def console_channel(name: str) -> ChannelRef:
    """The ChannelRef of a console channel."""
    return ChannelRef(PLATFORM, WORKSPACE, name)


def files_under(path: Path) -> list[Path]:
    """The file itself, or every visible file under a folder, in a stable order."""
    if not path.is_dir():
        return [path]
    found: list[Path] = []
    for root, directories, files in os.walk(path):
        directories[:] = sorted(d for d in directories if not d.startswith("."))
        found += [Path(root) / name for name in sorted(files) if not name.startswith(".")]
    return found


# Console message ids are unique across runs: the bot drops an id it has handled before,
# and it remembers them across restarts.
RUN_ID = uuid.uuid4().hex[:12]


def parse_console_line(line: str, channel: ChannelRef, sequence: int) -> ConsoleAction:
    """Translate one typed line into what the console should do."""
    text = line.strip()
    command, _, argument = text.partition(" ")
    argument = argument.strip()
    if command in ("/quit", "/exit"):
        return Quit()
    if command == "/channel":
        if not argument:
            return ShowText(f"You are in #{channel.channel}. Switch with `/channel NAME`.")
        return SwitchChannel(argument.lstrip("#"))
    attachments: tuple[Attachment, ...] = ()
    if command == "/index":
        if not argument:
            return ShowText("Say what to index: `/index PATH` (a file or a folder).")
        if find_links(argument):
            # `/index URL`: the link is shared, as a line holding it would be.
            return IncomingMessage(
                channel=channel,
                author=CONSOLE_USER,
                text=argument,
                message_id=f"{RUN_ID}-{sequence}",
            )
        target = Path(os.path.expanduser(argument.strip("'\"")))
        files = files_under(target)
        if not files:
            return ShowText(f"The folder {target} holds no files to index.")
        attachments = tuple(Attachment(name=file.name, path=str(file)) for file in files)
        text = ""
    return IncomingMessage(
        channel=channel,
        author=CONSOLE_USER,
        text=text,
        message_id=f"{RUN_ID}-{sequence}",
        attachments=attachments,
    )
