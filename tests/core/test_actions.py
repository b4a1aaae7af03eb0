"""Buttons and clicks: regenerate any recent answer, feedback, reset confirmation, and
the working signal, through the optional chat capabilities."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.models import Author, Button, ChannelRef, IncomingAction, IncomingMessage, MessageRef
from tests.core.conftest import CHANNEL_A, TOWER, USER, Harness, build_harness
from tests.fakes import RecordingChat, ScriptedModel

MEMBER = Author("u2", "Jun", is_admin=False)


class ButtonChat(RecordingChat):
    """A recording chat with buttons, ephemeral replies and a working signal."""

    def __init__(self) -> None:
        super().__init__()
        self.buttons: dict[str, list[Button]] = {}
        self.ephemeral: list[tuple[str, str]] = []
        self.working_on: list[str] = []

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        self.buttons[ref.message_id] = list(buttons)

    async def post_ephemeral(
        self, channel: ChannelRef, user_id: str, text: str, thread_id: str | None = None
    ) -> None:
        self.ephemeral.append((user_id, text))

    async def working(self, message: IncomingMessage) -> None:
        self.working_on.append(message.message_id)
        self.signalled_at_posts = self.count("post")


@pytest.fixture
def clicks(tmp_path: Path) -> Harness:
    harness = build_harness(tmp_path)
    harness.chat = ButtonChat()
    return harness


_clicks = itertools.count()


def click(button: Button, under: str, author: Author = USER) -> IncomingAction:
    """A fresh click (its own action id) on `button` under the message `under`."""
    spot = MessageRef(CHANNEL_A, under)
    return IncomingAction(CHANNEL_A, author, button.action, button.value, spot, f"a{next(_clicks)}")


async def test_an_answer_gets_regenerate_and_feedback_buttons_and_nothing_found_gets_none(
    clicks: Harness,
) -> None:
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))

    await clicks.say("When was the Glimmerstone Tower built?")
    answer = chat.order[-1]
    await clicks.say("What is the capital of Peru?")

    assert [button.action for button in chat.buttons[answer]] == [
        "regenerate",
        "feedback",
        "feedback",
    ]
    assert chat.order[-1] not in chat.buttons


async def test_regenerate_under_an_older_answer_redoes_that_answer_in_place(
    tmp_path: Path,
) -> None:
    model = ScriptedModel(
        "The tower was built in 1887 [1].",
        "It stands in Vellmora [1].",
        "Odile Marchetti built it in 1887 [1].",
    )
    clicks = build_harness(tmp_path, model=model)
    clicks.chat = ButtonChat()
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))
    await clicks.say("When was the Glimmerstone Tower built?", thread="t1")
    older = chat.order[-1]
    await clicks.say("Where does the Glimmerstone Tower stand?", thread="t1")
    newer = chat.order[-1]
    newer_text = chat.texts[newer]
    posts = chat.count("post")

    regenerate = chat.buttons[older][0]
    await clicks.bot.handle_action(click(regenerate, older), chat)

    assert chat.count("post") == posts
    assert chat.texts[older].startswith("Odile Marchetti built it in 1887")
    assert chat.texts[newer] == newer_text
    assert "When was the Glimmerstone Tower built?" in clicks.model.prompts[-1][-1].content


async def test_a_click_delivered_twice_is_handled_once(clicks: Harness) -> None:
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))
    await clicks.say("When was the Glimmerstone Tower built?")
    answer = chat.order[-1]
    action = click(chat.buttons[answer][1], answer)

    await clicks.bot.handle_action(action, chat)
    await clicks.bot.handle_action(action, chat)

    assert chat.ephemeral == [("u1", "Thanks, noted.")]


async def test_feedback_is_logged_and_thanked_only_to_the_clicker(
    clicks: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))
    await clicks.say("When was the Glimmerstone Tower built?")
    answer = chat.order[-1]

    with caplog.at_level(logging.INFO, logger="ragbot.bot"):
        await clicks.bot.handle_action(click(chat.buttons[answer][2], answer, MEMBER), chat)

    assert chat.ephemeral == [("u2", "Thanks, noted.")]
    assert f"feedback down on answer {answer}" in caplog.text
    assert await clicks.bot.feedback.feedback_counts(CHANNEL_A) == {"down": 1}


async def test_reset_offers_a_confirm_button_that_only_an_admin_may_press(
    clicks: Harness,
) -> None:
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))
    await clicks.say("reset")
    asked = chat.order[-1]
    (confirm,) = chat.buttons[asked]

    await clicks.bot.handle_action(click(confirm, asked, MEMBER), chat)
    assert chat.ephemeral[-1][1].startswith("Only an admin of this workspace")
    await clicks.say("sources")
    assert "tower.txt" in chat.last()

    await clicks.bot.handle_action(click(confirm, asked), chat)
    assert "1 sources, its memory and the conversation are" in chat.last()


async def test_the_working_signal_comes_before_the_placeholder(clicks: Harness) -> None:
    chat = clicks.chat
    assert isinstance(chat, ButtonChat)
    await clicks.share(clicks.write("tower.txt", TOWER))
    posts = chat.count("post")

    await clicks.say("When was the Glimmerstone Tower built?")

    assert len(chat.working_on) == 1
    assert chat.signalled_at_posts == posts
