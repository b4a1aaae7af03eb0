"""The console adapter: streamed printing, typed lines to messages, the console loop."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console_chat import (
    RUN_ID,
    ConsoleChat,
    Quit,
    ShowText,
    SwitchChannel,
    console_channel,
    parse_console_line,
)
from bots.console import run_console
from core.models import ChannelRef, IncomingMessage, MessageRef
from core.ports import ChatClient
from core.streaming import StreamingReply
from tests.adapters.chat_client_contract import ChatClientContract
from tests.core.conftest import TOWER, build_harness
from tests.fakes import FakeClock, RecordingChat

ROOT = Path(__file__).resolve().parents[2]

GENERAL = console_channel("general")


async def test_streamed_reply_prints_each_piece_once() -> None:
    out = io.StringIO()
    chat = ConsoleChat(out=out, progress_out=io.StringIO())
    reply = StreamingReply(
        chat, GENERAL, None, min_interval=chat.min_edit_interval, clock=FakeClock()
    )

    for piece in ("Hello", " there", ",", " friend."):
        await reply.append(piece)
    await reply.finish("\n\nSources:\n[1] a.txt")
    chat.finish_output()

    assert out.getvalue() == "Hello there, friend.\n\nSources:\n[1] a.txt\n"


async def test_rewritten_message_is_printed_again_in_full() -> None:
    out = io.StringIO()
    chat = ConsoleChat(out=out, progress_out=io.StringIO())
    ref = await chat.post(GENERAL, "first answer")

    await chat.edit(ref, "second answer")
    chat.finish_output()

    assert out.getvalue() == "first answer\nsecond answer\n"


def test_typed_lines_become_messages_or_console_actions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("b", encoding="utf-8")
    (tmp_path / ".hidden").write_text("h", encoding="utf-8")

    indexed = parse_console_line(f"/index {tmp_path}", GENERAL, 1)
    assert isinstance(indexed, IncomingMessage)
    assert [attachment.name for attachment in indexed.attachments] == ["a.txt", "b.md"]
    assert parse_console_line("/channel #other", GENERAL, 2) == SwitchChannel("other")
    assert parse_console_line("/quit", GENERAL, 3) == Quit()
    assert isinstance(parse_console_line("/index", GENERAL, 4), ShowText)
    question = parse_console_line("  what is this? ", GENERAL, 5)
    assert isinstance(question, IncomingMessage) and question.text == "what is this?"
    missing = parse_console_line("/index /no/such/file.txt", GENERAL, 6)
    assert (
        isinstance(missing, IncomingMessage) and missing.attachments[0].path == "/no/such/file.txt"
    )


async def test_console_loop_answers_piped_lines_and_switches_channels(tmp_path: Path) -> None:
    harness = build_harness(tmp_path)
    tower = harness.write("tower.txt", TOWER)
    lines = iter(
        [
            f"/index {tower}\n",
            "When was the Glimmerstone Tower built?\n",
            "/channel other\n",
            "When was the Glimmerstone Tower built?\n",
            "/bogus\n",
            "\n",
        ]
    )

    async def read(prompt: str) -> str | None:
        return next(lines, None)

    out = io.StringIO()
    await run_console(
        harness.bot, ConsoleChat(out=out, progress_out=io.StringIO()), "general", read
    )

    printed = out.getvalue()
    assert "Indexed *tower.txt*: 3 chunks." in printed
    assert "The tower was built in 1887 [1].\n\nSources:\n[1] tower.txt" in printed
    assert printed.count("hold nothing on that") == 1, "the other channel has no sources"
    assert "I don't know the command `bogus`" in printed


def test_a_console_line_is_addressed_to_the_bot_by_an_admin_with_an_id_unique_to_the_run() -> None:
    channel = ChannelRef("console", "local", "general")

    first = parse_console_line("what is new?", channel, 1)
    second = parse_console_line("and then?", channel, 2)

    assert isinstance(first, IncomingMessage) and isinstance(second, IncomingMessage)
    assert first.addressed and first.author.is_admin
    assert first.message_id != second.message_id
    assert first.message_id.startswith(RUN_ID)
    assert first.sent_at.tzinfo is not None


def test_two_console_runs_never_reuse_a_message_id() -> None:
    script = (
        "from adapters.console_chat import parse_console_line\n"
        "from core.models import ChannelRef\n"
        "print(parse_console_line('hi', ChannelRef('console', 'local', 'g'), 1).message_id)\n"
    )
    ids = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip()
        for _ in range(2)
    }

    assert len(ids) == 2


class TestConsoleChatContract(ChatClientContract):
    @pytest.fixture
    def chat(self) -> ChatClient:
        return ConsoleChat(out=io.StringIO(), progress_out=io.StringIO())

    def shown(self, chat: ChatClient, ref: MessageRef) -> str:
        # A terminal shows what was printed: the latest text of the message is its tail.
        assert isinstance(chat, ConsoleChat)
        out = chat._out
        assert isinstance(out, io.StringIO)
        return out.getvalue().rstrip("\n")


class TestRecordingChatContract(ChatClientContract):
    @pytest.fixture
    def chat(self) -> ChatClient:
        return RecordingChat()

    def shown(self, chat: ChatClient, ref: MessageRef) -> str:
        assert isinstance(chat, RecordingChat)
        return chat.texts[ref.message_id]
