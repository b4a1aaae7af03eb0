"""Per-channel settings, who may change a channel, the reset confirmation and the rate cap."""

from __future__ import annotations

from pathlib import Path

from core.models import Attachment, Author, IncomingMessage
from core.rate_limit import RateLimits
from tests.core.conftest import CHANNEL_A, CHANNEL_B, TOWER, USER, Harness, build_harness

MEMBER = Author("u2", "Jun", is_admin=False)


async def test_settings_shows_every_setting_with_its_value(harness: Harness) -> None:
    await harness.say("settings")

    shown = harness.chat.last()
    assert "- auto_index: on" in shown
    assert "- answer_language: auto" in shown
    assert "- summaries: on" in shown


async def test_an_admin_changes_a_setting_for_that_channel_only(harness: Harness) -> None:
    await harness.say("settings answer_language ko")
    assert "Set answer_language to ko" in harness.chat.last()

    await harness.say("settings")
    assert "answer_language: ko" in harness.chat.last()
    await harness.say("settings", channel=CHANNEL_B)
    assert "answer_language: auto" in harness.chat.last()


async def test_a_bad_setting_name_or_value_gets_a_reply_naming_the_choices(
    harness: Harness,
) -> None:
    await harness.say("settings colour blue")
    assert "There is no setting `colour`" in harness.chat.last()
    assert "auto_index" in harness.chat.last()

    await harness.say("settings answer_language fr")
    assert "answer_language takes one of: auto, en, ko" in harness.chat.last()


async def test_a_member_who_is_no_admin_cannot_reset_forget_or_change_settings(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))

    for command in ("reset confirm", "forget tower", "settings summaries off"):
        await harness.say(command, author=MEMBER)
        assert "Only an admin of this workspace" in harness.chat.last()

    await harness.say("sources", author=MEMBER)
    assert "tower.txt" in harness.chat.last()
    await harness.say("settings", author=MEMBER)
    assert "summaries: on" in harness.chat.last()


async def test_the_answer_language_setting_decides_the_reply_language(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("settings answer_language ko")

    await harness.say("When was the Glimmerstone Tower built?")

    assert "출처:" in harness.chat.last()


async def test_with_auto_index_off_a_file_said_in_passing_is_not_indexed(
    harness: Harness, tmp_path: Path
) -> None:
    await harness.say("settings auto_index off")
    tower = harness.write("tower.txt", TOWER)
    passing = IncomingMessage(
        CHANNEL_A,
        USER,
        "",
        "p1",
        attachments=(Attachment("tower.txt", str(tower)),),
        addressed=False,
    )
    posts = harness.chat.count("post")

    await harness.bot.handle(passing, harness.chat)

    assert harness.chat.count("post") == posts
    await harness.share(tower)  # addressed to the bot: indexed whatever the setting
    assert "Indexed *tower.txt*" in harness.chat.last()


async def test_with_summaries_off_an_indexed_file_gets_no_summary(harness: Harness) -> None:
    await harness.say("settings summaries off")

    await harness.share(harness.write("tower.txt", TOWER))

    assert "Indexed *tower.txt*" in harness.chat.last()
    assert "Summary:" not in harness.chat.last()


async def test_questions_over_the_per_person_cap_wait_and_others_still_ask(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, rate_limits=RateLimits(per_person=2, per_channel=3))
    await harness.share(harness.write("tower.txt", TOWER))
    question = "When was the Glimmerstone Tower built?"

    await harness.say(question)
    await harness.say(question)
    await harness.say(question)
    assert "please ask again in 60 s" in harness.chat.last()

    await harness.say(question, author=MEMBER)
    assert "1887" in harness.chat.last()
    await harness.say(question, author=Author("u3", "Ana"))
    assert "please ask again in" in harness.chat.last()  # the channel's cap

    harness.clock.advance(61)
    await harness.say(question)
    assert "1887" in harness.chat.last()
