"""The channel remembers its exchanges: recalled beside the documents with dates and who,
by calendar window in English and Korean, resumed by topic, listed and forgotten by
command, and never shown in another channel or a DM."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bot import beside_documents
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.memory import ChannelMemory, MemorySettings
from core.models import Author, ChannelRef, Chunk, IncomingMessage, Passage, Source
from core.questions import is_question
from core.retention import MemoryRetention
from tests.core.conftest import CHANNEL_A, CHANNEL_B, TOWER, USER, Harness, build_harness, next_id
from tests.fakes import MemoryStore, ScriptedModel, WordEmbedder

# Sunday 2026-11-22, 15:00 UTC: "last week" is Monday 2026-11-09 to Monday 2026-11-16.
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
JUN = Author("u2", "Jun")


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def remembering(tmp_path: Path, *answers: str) -> Harness:
    return build_harness(tmp_path, model=ScriptedModel(*answers), remembering_at=NOW)


async def test_an_exchange_is_remembered_and_answers_from_memory_alone_cite_its_date_and_who(
    tmp_path: Path,
) -> None:
    harness = remembering(
        tmp_path,
        "The stew recipe uses three carrots and smoked paprika.",
        "It uses three carrots [1].",
    )
    await harness.say(
        "The stew recipe uses three carrots and smoked paprika, remember that",
        sent_at=days_ago(9),
        permalink="https://chat.example/p/1",
    )

    await harness.say("How many carrots go in the stew recipe?", author=JUN)

    answer = harness.chat.last()
    assert "three carrots" in answer
    assert "2026-11-13 · Mina" in answer and "https://chat.example/p/1" in answer
    assert "hold nothing on that" not in answer


async def test_a_nothing_found_exchange_is_remembered_too(tmp_path: Path) -> None:
    harness = remembering(tmp_path)
    await harness.say("Who owns the goat named Biscuit?", sent_at=days_ago(2))

    assert harness.memory is not None
    (kept,) = await harness.memory.all(CHANNEL_A)
    assert kept.text == "Mina: Who owns the goat named Biscuit?"
    assert kept.author == "Mina" and kept.said_at == days_ago(2)


async def test_a_question_nothing_answered_is_listed_but_never_evidence_for_another(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "Biscuit belongs to Jun.")
    await harness.say("Who owns the goat named Biscuit?", sent_at=days_ago(2))

    await harness.say("Who owns the goat called Biscuit?", author=JUN)

    assert "hold nothing on that" in harness.chat.last()
    assert harness.model.prompts == []
    assert harness.memory is not None
    kept = await harness.memory.all(CHANNEL_A)
    assert [memory.text for memory in kept] == [
        "Mina: Who owns the goat named Biscuit?",
        "Jun: Who owns the goat called Biscuit?",
    ]


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Who owns the goat named Biscuit?", True),
        ("what time is standup", True),
        ("연차는 1년에 며칠이야", True),
        ("재택 가능한가요", True),
        ("The stew uses three carrots, remember that", False),
        ("스튜에는 당근이 세 개 들어가요", False),
        ("회의는 3시에 해요", False),
    ],
)
def test_questions_are_told_from_statements_in_english_and_korean(text: str, asks: bool) -> None:
    assert is_question(text) is asks


@pytest.mark.parametrize(
    "question",
    [
        "What did we discuss last week about the stew?",
        "지난주에 stew 얘기 뭐였지?",
        "지난 주 stew 관련해서 뭐라고 했지?",
    ],
)
async def test_a_time_window_recalls_only_what_was_said_in_it(
    tmp_path: Path, question: str
) -> None:
    harness = remembering(tmp_path, "noted", "noted", "You talked about the stew [1].")
    await harness.say("stew plan: lentil stew on Friday", sent_at=days_ago(10))
    await harness.say("stew plan: beef stew for the party", sent_at=days_ago(30))
    await harness.say("stew plan: no stew this week", sent_at=days_ago(1))

    await harness.say(question)

    # The passages of the last turn (earlier turns are the conversation's own history).
    prompt = harness.model.prompts[-1][-1].content
    assert "lentil stew" in prompt
    assert "beef stew" not in prompt and "no stew this week" not in prompt
    assert "2026-11-12" in harness.chat.last()


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("What did we discuss yesterday?", "yesterday"),
        ("어제 뭐 얘기했지?", "어제"),
        ("what did we decide 3 days ago?", "3 days ago"),
        ("그저께 무슨 얘기 했어?", "그저께"),
    ],
)
async def test_an_empty_window_is_said_rather_than_guessed(
    tmp_path: Path, question: str, said: str
) -> None:
    harness = remembering(tmp_path, "noted")
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("the tower was built in 1887", sent_at=days_ago(10))
    asked = harness.model.questions_asked

    await harness.say(question)

    assert said in harness.chat.last()
    assert harness.chat.last().startswith(("I have nothing remembered from", "이 채널에서"))
    assert harness.model.questions_asked == asked


async def test_a_time_in_a_question_about_the_documents_still_finds_them(tmp_path: Path) -> None:
    harness = remembering(tmp_path, "noted", "It was built in 1887 [1].")
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("the weather was nice", sent_at=days_ago(40))

    await harness.say("When was the Glimmerstone Tower built, the one we visited last week?")

    assert "1887" in harness.chat.last()
    assert "tower.txt" in harness.chat.last()


async def test_the_memory_command_lists_dates_who_and_links(tmp_path: Path) -> None:
    harness = remembering(tmp_path, "The deploy is on Thursday.")
    await harness.say(
        "When is the deploy?", sent_at=days_ago(3), permalink="https://chat.example/p/9"
    )

    await harness.say("memory deploy")

    listing = harness.chat.last()
    assert listing.startswith("What I remember about deploy (1):")
    assert "2026-11-19, Mina: Mina: When is the deploy?" in listing
    assert "<https://chat.example/p/9>" in listing
    await harness.say("memory penguins")
    assert harness.chat.last() == "I remember nothing about penguins in this channel."


async def test_forget_memory_rules_mine_for_anyone_a_topic_for_admins_all_after_confirm(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "ok")
    guest = Author("u3", "Ana", is_admin=False)
    await harness.say("deploy notes: Friday", sent_at=days_ago(2))
    await harness.say("deploy notes: my laptop is broken", author=guest, sent_at=days_ago(1))
    assert harness.memory is not None

    await harness.say("forget-memory deploy", author=guest)
    assert "admin" in harness.chat.last().lower()
    await harness.say("forget-memory mine", author=guest)
    assert harness.chat.last() == "Forgot 1 memories of what you said here."
    remaining = await harness.memory.all(CHANNEL_A)
    assert ["Mina" in memory.text for memory in remaining] == [True]

    await harness.say("forget-memory all")
    assert "forget-memory all confirm" in harness.chat.last()
    assert len(await harness.memory.all(CHANNEL_A)) >= 1
    await harness.say("forget-memory all confirm")
    assert await harness.memory.all(CHANNEL_A) == []


async def test_reset_memory_keeps_the_sources_and_reset_sources_keeps_the_memory(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "The tower was built in 1887 [1].")
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("When was the Glimmerstone Tower built?")
    assert harness.memory is not None

    await harness.say("reset memory")
    assert "reset memory confirm" in harness.chat.last()
    await harness.say("reset memory confirm")
    assert await harness.memory.all(CHANNEL_A) == []
    await harness.say("sources")
    assert "tower.txt" in harness.chat.last()

    await harness.say("When was the Glimmerstone Tower built?")
    await harness.say("reset sources confirm")
    await harness.say("sources")
    assert "no sources" in harness.chat.last()
    assert len(await harness.memory.all(CHANNEL_A)) == 1  # the question; commands are not kept


async def test_plain_messages_are_remembered_only_once_the_channel_turns_it_on(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "ok")
    assert harness.memory is not None
    await harness.say("the wifi password is on the fridge", addressed=False)
    assert await harness.memory.all(CHANNEL_A) == []

    await harness.say("settings remember_messages on")
    assert any(text.startswith("From now on I remember") for text in harness.chat.shown())
    await harness.say("the wifi password is on the fridge", addressed=False, author=JUN)

    texts = [memory.text for memory in await harness.memory.all(CHANNEL_A)]
    assert "Jun: the wifi password is on the fridge" in texts


async def test_resume_brings_back_the_topics_gist_and_sources_and_continues(
    tmp_path: Path,
) -> None:
    harness = remembering(
        tmp_path,
        "The tower was built in 1887 [1].",
        "Last time: built in 1887; next, the visiting hours [1].",
    )
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say(
        "When was the Glimmerstone Tower built?",
        sent_at=days_ago(5),
        permalink="https://chat.example/p/5",
    )

    await harness.say("Let's pick up where we left off on the Glimmerstone Tower")

    shown = harness.chat.shown()
    gist = next(text for text in shown if text.startswith("Where we left off on Glimmerstone"))
    assert "2026-11-17, Mina" in gist and "(sources: tower.txt)" in gist
    assert "<https://chat.example/p/5>" in gist
    assert harness.chat.last().startswith("Last time: built in 1887")


async def test_a_message_deleted_on_its_platform_leaves_the_memory(tmp_path: Path) -> None:
    harness = remembering(tmp_path, "ok")
    assert harness.memory is not None
    message = IncomingMessage(CHANNEL_A, USER, "remember the code word: pelican", next_id())
    await harness.bot.handle(message, harness.chat)

    assert await harness.bot.forget_message(CHANNEL_A, message.message_id) == 1
    assert await harness.memory.all(CHANNEL_A) == []


async def test_one_thousand_memories_over_ten_places_never_leak_into_another(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    places = [ChannelRef("slack", "T1", f"C{index}") for index in range(8)] + [
        ChannelRef("slack", "T1", "D-mina"),  # DMs are channels of their own
        ChannelRef("discord", "G1", "D-jun"),
    ]
    store = MemoryStore()
    memory = ChannelMemory(
        store, _embeddings(), MemorySettings(min_score=-1.0, top_k=5), now=lambda: NOW
    )
    words = ["stew", "deploy", "budget", "tower", "goat", "wifi", "lunch", "release", "bug"]
    owner: dict[str, ChannelRef] = {}
    for number in range(1000):
        place = rng.choice(places)
        text = " ".join(rng.choice(words) for _ in range(4)) + f" note{number}"
        message = IncomingMessage(
            place, USER, text, f"m{number}", sent_at=NOW - timedelta(hours=number)
        )
        assert await memory.remember_exchange(message, "ok", (), "UTC")
        owner[f"mem:{USER.id}:m{number}"] = place

    for _ in range(200):
        place = rng.choice(places)
        query = " ".join(rng.choice(words) for _ in range(2))
        for passage in await memory.recall(place, query):
            assert owner[passage.chunk.source.source_id] == place


async def test_retention_condenses_old_memories_by_day_keeping_dates_and_runs_once(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    embeddings = _embeddings()
    memory = ChannelMemory(store, embeddings, now=lambda: NOW)
    for days, text in [(200, "budget set at 40k"), (200, "budget approved by Ana"), (3, "new")]:
        message = IncomingMessage(CHANNEL_B, USER, text, next_id(), sent_at=days_ago(days))
        await memory.remember_exchange(message, "ok", ("budget.xlsx",), "UTC")
    retention = MemoryRetention(
        store,
        embeddings,
        ScriptedModel("Budget set at 40k and approved by Ana."),
        "condense",
        timedelta(days=180),
        now=lambda: NOW,
    )

    assert await retention.run() == 2
    kept = await memory.all(CHANNEL_B)
    assert len(kept) == 2
    summary = kept[0]
    assert summary.said_at == days_ago(200) and summary.memory_id.startswith("mem:summary:")
    assert "Budget set at 40k" in summary.text and summary.cited == ("budget.xlsx",)
    assert kept[1].text.startswith("Mina: new")

    assert await retention.run() == 0
    assert await memory.all(CHANNEL_B) == kept


def _embeddings() -> EmbeddingSet:
    return EmbeddingSet([WeightedEmbedder(WordEmbedder())])


async def test_dates_follow_the_channels_time_zone_and_an_unknown_zone_is_refused(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "The deploy is on Thursday.")
    # 20:30 UTC on the 19th is already the 20th in Seoul.
    await harness.say("When is the deploy?", sent_at=datetime(2026, 11, 19, 20, 30, tzinfo=UTC))

    await harness.say("settings time_zone Mars/Olympus")
    assert "Mars/Olympus is not a time zone I know" in harness.chat.last()
    await harness.say("settings time_zone Asia/Seoul")
    await harness.say("memory deploy")

    assert "2026-11-20, Mina" in harness.chat.last()


async def test_a_threads_recent_exchanges_stay_in_its_own_prompt(tmp_path: Path) -> None:
    harness = remembering(tmp_path, "The tower was built in 1887 [1].", "Lunch is at noon [1].")
    await harness.share(harness.write("tower.txt", TOWER))
    await harness.say("When was the Glimmerstone Tower built?", thread="thread-a")

    await harness.say("When is lunch served in the canteen?", thread="thread-b")

    # The other thread's question is no earlier turn of this one (long-term memory is
    # shared, but only recalled when relevant, and then as a dated passage).
    earlier_turns = [turn.content for turn in harness.model.prompts[-1][1:-1]]
    assert not any("Glimmerstone" in turn for turn in earlier_turns)


def passage(score: float, text: str, cited: tuple[str, ...] = ()) -> Passage:
    return Passage(Chunk(text, Source(text, text), 0, cited=cited), score)


def test_memories_weaker_than_the_documents_found_stay_out_of_the_prompt() -> None:
    documents = [passage(0.82, "handbook"), passage(0.78, "notes")]
    memories = [passage(0.80, "Mina: close memory"), passage(0.70, "Mina: weak memory")]

    kept = beside_documents(memories, documents, margin=0.08)

    assert [item.chunk.text for item in kept] == ["Mina: close memory"]
    assert beside_documents(memories, [], margin=0.08) == memories


def test_memories_that_restate_the_documents_or_the_recent_turns_stay_out() -> None:
    documents = [passage(0.82, "handbook")]
    memories = [
        passage(0.85, "Mina: how many vacation days?\nragbot: 27.", cited=("handbook",)),
        passage(0.84, "Jun: where is the spare key?\nragbot: ask Ana.", cited=("notes",)),
        passage(0.83, "Jun: what did Ana say?"),
    ]

    kept = beside_documents(memories, documents, 0.08, ["what did  Ana say?"])

    assert [item.chunk.text.split("\n")[0] for item in kept] == ["Jun: where is the spare key?"]


async def test_memories_in_an_answers_sources_are_dated_in_the_channels_zone_of_now(
    tmp_path: Path,
) -> None:
    harness = remembering(tmp_path, "noted", "The deploy is on Thursday [1].")
    await harness.say("deploy day is Thursday", sent_at=datetime(2026, 11, 19, 20, 30, tzinfo=UTC))
    await harness.say("settings time_zone Asia/Seoul")

    await harness.say("which day is the deploy?", author=JUN)

    assert "2026-11-20 · Mina" in harness.chat.last()
