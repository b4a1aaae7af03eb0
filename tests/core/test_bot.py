"""Bot.handle over fakes: indexing, answering, follow-ups, commands, the error boundary."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import UserFacingError
from core.models import IncomingMessage, MessageRef
from tests.core.conftest import CHANNEL_A, CHANNEL_B, TOWER, USER, Harness, build_harness
from tests.fakes import RecordingChat, ScriptedModel


async def test_shared_file_is_indexed_with_title_chunk_count_and_summary(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))

    reply = harness.chat.last()
    assert "tower.txt" in reply
    assert "3 chunks" in reply
    assert "A short summary. It has two sentences." in reply


async def test_a_summary_is_asked_after_the_document_in_its_language_and_ends_whole(
    tmp_path: Path,
) -> None:
    model = ScriptedModel(summary="타워는 1887년에 지어졌습니다. 높이는 백이십 미터이고 전망")
    harness = build_harness(tmp_path, model=model)
    korean = "글리머스톤 타워는 1887년에 지어졌습니다. 높이는 120미터이며 전망대가 있습니다."

    await harness.share(harness.write("타워.txt", korean))

    _, user = model.prompts[0]
    assert user.content.startswith("Document:\n글리머스톤 타워")
    assert user.content.endswith("in Korean. Reply with the two sentences only.")
    assert harness.chat.last() == (
        "Indexed *타워.txt*: 1 chunk.\nSummary: 타워는 1887년에 지어졌습니다."
    )


async def test_question_streams_an_answer_that_ends_with_its_sources(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    posts_before = harness.chat.count("post")

    await harness.say("When was the Glimmerstone Tower built?")

    answer = harness.chat.last()
    assert harness.chat.count("post") == posts_before + 1
    assert answer.startswith("The tower was built in 1887 [1].")
    assert "Sources:" in answer
    sources = answer.split("Sources:")[1]
    assert "[1] tower.txt" in sources
    assert "Passage 2 (from" in harness.model.prompts[-1][-1].content, "two passages were given"
    assert "[2]" not in sources, "only the cited passage is listed"


async def test_edits_of_a_streamed_answer_are_throttled_to_the_platform_rate(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    edits_before = harness.chat.count("edit")

    await harness.say("When was the Glimmerstone Tower built?")

    # The fake clock never moves: the placeholder is posted, then one edit shows the first
    # piece and one the final text.
    assert harness.chat.count("edit") - edits_before == 2


async def test_uncited_answer_lists_the_passages_whose_names_and_numbers_it_repeats(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, ScriptedModel("It was built in 1887 by Odile Marchetti."))
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("When was the Glimmerstone Tower built?")

    prompt = harness.model.prompts[-1][-1].content
    assert "Passage 2 (from" in prompt, "two passages were given"
    sources = harness.chat.last().split("Sources:")[1]
    assert sources.strip() == "[1] tower.txt", "only the passage with 1887 and the engineer"


async def test_answer_that_repeats_no_passage_lists_every_passage_it_was_given(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, ScriptedModel("It is quite old."))
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("When was the Glimmerstone Tower built?")

    prompt = harness.model.prompts[-1][-1].content
    given = len(re.findall(r"^Passage \d \(from", prompt, flags=re.MULTILINE))
    sources = harness.chat.last().split("Sources:")[1]
    assert given == 2
    assert len(re.findall(r"\[\d\]", sources)) == given


async def test_related_sources_that_do_not_hold_the_answer_are_named_not_cited(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, ScriptedModel("The passages do not say."))
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("What does a ticket for the Glimmerstone Tower cost?")

    answer = harness.chat.last()
    assert "The sources I found are related but do not say that. I looked at: tower.txt." in answer
    assert "Sources:" not in answer


async def test_question_with_no_relevant_passage_says_so_without_calling_the_model(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    calls_before = len(harness.model.prompts)

    await harness.say("Which river flows through Lima?")

    assert len(harness.model.prompts) == calls_before
    assert "hold nothing on that" in harness.chat.last()
    assert "Sources" not in harness.chat.last()


async def test_sources_of_one_channel_are_not_found_from_another(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER), channel=CHANNEL_A)

    await harness.say("When was the Glimmerstone Tower built?", channel=CHANNEL_B)

    assert "hold nothing on that" in harness.chat.last()


async def test_korean_question_gets_korean_fixed_replies(harness: Harness) -> None:
    await harness.say("페루의 수도는 어디인가요?")

    assert "이 채널의 자료에는" in harness.chat.last()


async def test_follow_up_is_searched_with_the_previous_question_and_sees_the_exchange(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("Where does the Glimmerstone Tower stand?")

    await harness.say("When was the tower built?")

    assert "Where does the Glimmerstone Tower stand? When was the tower built?" in (
        harness.embedder.queries
    )
    prompt = harness.model.prompts[-1]
    assert [turn.role for turn in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[1].content == "Where does the Glimmerstone Tower stand?"
    assert prompt[2].content == "The tower was built in 1887 [1]."
    assert "1887" in prompt[-1].content


async def test_follow_up_alone_would_not_clear_the_relevance_bar(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))

    await harness.say("and when was it built?")

    assert "hold nothing on that" in harness.chat.last()


async def test_conversations_in_different_threads_do_not_mix(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("Where does the Glimmerstone Tower stand?", thread="t1")

    await harness.say("and when was it built?", thread="t2")

    assert "hold nothing on that" in harness.chat.last()


async def test_again_regenerates_the_last_answer_in_place_with_other_sampling(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, ScriptedModel("First answer [1].", "Second answer [2]."))
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("When was the Glimmerstone Tower built?")
    answer_id = harness.chat.order[-1]
    posts_before = harness.chat.count("post")

    await harness.say("again")

    assert harness.chat.count("post") == posts_before, "again edits, it does not post"
    assert harness.chat.texts[answer_id].startswith("Second answer [2].")
    sampling = harness.model.samplings[-1]
    assert sampling is not None and sampling.temperature == 0.9 and sampling.seed is not None
    assert harness.model.prompts[-1] == harness.model.prompts[-2], "same question and passages"


async def test_again_without_an_earlier_answer_explains(harness: Harness) -> None:
    await harness.say("/again")

    assert "no answer of mine here to redo" in harness.chat.last()


async def test_sources_lists_each_source_with_its_chunks_who_added_it_and_when(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.share(harness.write("notes.md", "Wifi password is hunter2."))
    await harness.share(harness.write("blob.dat", b"\x00\x01binary"))

    await harness.say("sources")

    listing = harness.chat.last()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    failed = "blob.dat is not a text file: it holds binary data."
    assert f"1. blob.dat: failed ({failed}), added {today} by Mina" in listing
    assert f"2. notes.md: 1 chunk, added {today} by Mina" in listing
    assert f"3. tower.txt: 3 chunks, added {today} by Mina" in listing


async def test_forget_by_number_or_title_removes_that_source_only(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.share(harness.write("notes.md", "Wifi password is hunter2."))

    await harness.say("forget tower")
    assert "Forgot *tower.txt* (3 chunks removed)" in harness.chat.last()
    await harness.say("When was the Glimmerstone Tower built?")
    assert "hold nothing on that" in harness.chat.last()

    await harness.say("forget 1")
    assert "Forgot *notes.md*" in harness.chat.last()
    await harness.say("sources")
    assert "no sources yet" in harness.chat.last()


async def test_forget_that_matches_nothing_or_many_explains(harness: Harness) -> None:
    await harness.share(harness.write("tower-a.txt", TOWER))
    await harness.share(harness.write("tower-b.txt", TOWER))

    await harness.say("forget tower")
    assert "matches several sources" in harness.chat.last()
    await harness.say("forget volcano")
    assert "No source here matches" in harness.chat.last()
    await harness.say("forget")
    assert "Say which source to forget" in harness.chat.last()


async def test_reset_forgets_sources_and_conversation(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("Where does the Glimmerstone Tower stand?")

    await harness.say("reset")
    assert "Type `reset confirm` to go ahead" in harness.chat.last()
    await harness.say("sources")
    assert "tower.txt" in harness.chat.last()

    await harness.say("reset confirm")

    assert "1 sources, its memory and the conversation are" in harness.chat.last()
    await harness.say("again")
    assert "no answer of mine" in harness.chat.last()
    await harness.say("When was the Glimmerstone Tower built?")
    assert "hold nothing on that" in harness.chat.last()


async def test_reindexing_a_file_replaces_the_old_copy(harness: Harness) -> None:
    path = harness.write("tower.txt", TOWER)
    await harness.share(path)
    path.write_text("Only one paragraph now.", encoding="utf-8")

    await harness.share(path)

    assert "Re-indexed *tower.txt*: 1 chunk" in harness.chat.last()
    await harness.say("sources")
    assert "tower.txt: 1 chunk" in harness.chat.last()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", "", "empty.txt is empty: nothing to index."),
        ("blob.bin", b"\x00\x01\x02binary", "blob.bin is not a text file: it holds binary data."),
        ("huge.txt", "x" * 2048, "huge.txt is 0.0 MB; the limit is 0.0 MB"),
    ],
)
async def test_bad_file_gets_a_clear_reply(
    tmp_path: Path, name: str, content: str | bytes, expected: str
) -> None:
    harness = build_harness(tmp_path, max_file_bytes=1024)
    await harness.share(harness.write(name, content))

    assert f"Could not index *{name}*" in harness.chat.last()
    assert expected in harness.chat.last()


async def test_missing_file_gets_a_clear_reply(harness: Harness) -> None:
    await harness.share(harness.tmp_path / "nowhere.txt")

    assert "There is no file at" in harness.chat.last()


async def test_one_bad_file_does_not_stop_the_others_and_progress_is_shown(
    harness: Harness,
) -> None:
    good = harness.write("tower.txt", TOWER)
    bad = harness.write("empty.txt", "")
    other = harness.write("notes.md", "Wifi password is hunter2.")

    await harness.share(good, bad, other)

    shown = "\n".join(harness.chat.shown())
    assert "[##########] 3/3" in shown
    assert "Indexed 2 of 3 files." in shown
    assert "Could not index *empty.txt*" in shown
    await harness.say("sources")
    assert "notes.md" in harness.chat.last() and "tower.txt" in harness.chat.last()


async def test_unexpected_error_is_logged_with_a_reference_shown_in_chat(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.failure = RuntimeError("engine exploded")

    with caplog.at_level(logging.ERROR):
        await harness.say("When was the Glimmerstone Tower built?")

    match = re.search(r"\(ref ([0-9a-f]{6})\)", harness.chat.last())
    assert match, harness.chat.last()
    assert "engine exploded" not in harness.chat.last()
    assert any(match.group(1) in record.getMessage() for record in caplog.records)


async def test_user_facing_error_is_shown_in_the_language_of_the_question(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.failure = UserFacingError("server_down", url="http://127.0.0.1:8000/v1")

    await harness.say("When was the Glimmerstone Tower built?")
    assert harness.chat.last() == (
        "The model server at http://127.0.0.1:8000/v1 is not answering. "
        "Check llm.openai.base_url or start the server."
    )
    await harness.say("When was the Glimmerstone Tower built? 언제 지어졌는지 알려 주세요")
    assert harness.chat.last().startswith("http://127.0.0.1:8000/v1의 모델 서버가 응답하지")


async def test_bot_keeps_serving_after_an_error(harness: Harness) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.failure = RuntimeError("once")
    await harness.say("When was the Glimmerstone Tower built?")
    harness.model.failure = None

    await harness.say("When was the Glimmerstone Tower built?")

    assert "1887" in harness.chat.last()


async def test_failing_chat_reply_does_not_escape_the_boundary(harness: Harness) -> None:
    class BrokenChat:
        message_limit = 4000
        min_edit_interval = 1.0

        async def post(self, *args: object, **kwargs: object) -> MessageRef:
            raise ConnectionError("platform down")

        async def edit(self, *args: object) -> None:
            raise ConnectionError("platform down")

        async def react(self, *args: object) -> None:
            raise ConnectionError("platform down")

    await harness.bot.handle(IncomingMessage(CHANNEL_A, USER, "help", "m-help"), BrokenChat())


async def test_empty_question_and_unknown_command_get_hints(harness: Harness) -> None:
    await harness.say("   ")
    assert "Ask me a question" in harness.chat.last()

    await harness.say("/frobnicate now")
    assert "I don't know the command `frobnicate`" in harness.chat.last()


async def test_help_lists_every_command(harness: Harness) -> None:
    await harness.say("help")

    for command in ("help", "sources", "forget", "reset", "settings", "again"):
        assert f"`{command}" in harness.chat.last()


async def test_a_runaway_generation_is_stopped_at_the_limit_and_the_bot_answers_next(
    tmp_path: Path,
) -> None:
    harness = build_harness(tmp_path, max_generation_seconds=0.05)
    # However many words fit in 0.05 s on this machine, they stay in one message.
    harness.chat = RecordingChat(message_limit=10_000_000)
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.endless = True

    await harness.say("When was the Glimmerstone Tower built?")

    stopped = harness.chat.last()
    assert "(Stopped: the answer took longer than 0.05 s.)" in stopped
    assert "Sources:" in stopped
    assert harness.model.closed_streams == 1, "the engine's stream was closed"
    harness.model.endless = False
    await harness.say("When was the Glimmerstone Tower built?")
    assert harness.chat.last().startswith("The tower was built in 1887 [1].")


async def test_a_failing_summary_does_not_fail_the_indexing(harness: Harness) -> None:
    harness.model.failure = UserFacingError("server_down", url="http://127.0.0.1:8000/v1")

    await harness.share(harness.write("tower.txt", TOWER))

    assert harness.chat.last() == "Indexed *tower.txt*: 3 chunks."


async def test_an_answer_broken_off_by_an_error_keeps_its_text_without_the_cursor(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.failure = RuntimeError("connection lost")
    harness.model.fail_midway = True

    await harness.say("When was the Glimmerstone Tower built?")

    partial, apology = harness.chat.shown()[-2:]
    assert partial == "The"
    assert apology.startswith("Sorry, something went wrong on my side (ref ")


async def test_an_error_before_the_first_words_replaces_the_placeholder(
    harness: Harness,
) -> None:
    await harness.share(harness.write("tower.txt", TOWER))
    harness.model.failure = UserFacingError("server_down", url="http://127.0.0.1:8000/v1")
    posts = harness.chat.count("post")

    await harness.say("When was the Glimmerstone Tower built?")

    assert harness.chat.count("post") == posts + 1
    assert "127.0.0.1:8000" in harness.chat.last()
    assert "…" not in harness.chat.last()
