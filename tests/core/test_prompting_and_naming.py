"""Prompt budget and collection names."""

from __future__ import annotations

import pytest

from core.models import ChannelRef, Chunk, Exchange, Passage, Source
from core.naming import CollectionPurpose, base_of, collection_base, collection_name
from core.prompting import build_prompt
from tests.fakes import ScriptedModel


def _passages(count: int, words: int) -> list[Passage]:
    source = Source("s1", "doc.txt")
    return [
        Passage(Chunk(" ".join([f"fact{index}"] * words), source, index), 0.9 - index / 100)
        for index in range(count)
    ]


async def test_prompt_numbers_the_best_passages_that_fit_the_budget() -> None:
    model = ScriptedModel()

    prompt = await build_prompt("Question?", "en", _passages(10, 100), [], model, 350)

    assert len(prompt.passages) == 3
    assert prompt.passage_tokens <= 350
    question = prompt.messages[-1].content
    assert "Passage 1 (from doc.txt):" in question and "Passage 3 (from doc.txt):" in question
    assert "Passage 4" not in question
    assert "Question: Question?\n\nAnswer the question in one or two sentences in English" in (
        question
    )


async def test_prompt_also_fits_the_model_context() -> None:
    model = ScriptedModel(context_length=400, max_new_tokens=100)

    prompt = await build_prompt("Question?", "en", _passages(10, 100), [], model, 5000)

    total = sum([await model.count_tokens(turn.content) for turn in prompt.messages])
    assert total + model.max_new_tokens <= model.context_length


async def test_a_single_passage_larger_than_the_budget_is_cut_to_fit() -> None:
    model = ScriptedModel()

    prompt = await build_prompt("Q?", "en", _passages(1, 1000), [], model, 200)

    assert len(prompt.passages) == 1
    assert prompt.passage_tokens <= 200


async def test_prompt_carries_recent_exchanges_and_the_language_rule() -> None:
    model = ScriptedModel()
    history = [Exchange("Where is it?", "In Vellmora [1].")]

    prompt = await build_prompt("언제 지어졌나요?", "ko", _passages(1, 5), history, model, 500)

    assert [turn.role for turn in prompt.messages] == ["system", "user", "assistant", "user"]
    assert "in one or two sentences in Korean" in prompt.messages[-1].content
    assert prompt.messages[2].content == "In Vellmora [1]."


def test_collection_names_are_safe_and_distinct_per_channel_and_purpose() -> None:
    names = {
        collection_name(ChannelRef(platform, workspace, channel), purpose, "e5-use")
        for platform in ("slack", "discord")
        for workspace in ("T1", "t1 ")
        for channel in ("C1", "c-1", "c 1", "한국어 채널")
        for purpose in CollectionPurpose
    }

    assert len(names) == 2 * 2 * 4 * 2
    assert all(
        name.replace("_", "").replace("-", "").isalnum() and name.isascii() for name in names
    )
    assert all(len(name) < 100 for name in names)
    assert {base_of(name) for name in names} == {
        collection_base(ChannelRef(platform, workspace, channel), purpose)
        for platform in ("slack", "discord")
        for workspace in ("T1", "t1 ")
        for channel in ("C1", "c-1", "c 1", "한국어 채널")
        for purpose in CollectionPurpose
    }


def test_a_collection_name_carries_the_embedding_key_and_old_names_map_to_their_base() -> None:
    channel = ChannelRef("slack", "T1", "general")
    base = collection_base(channel, CollectionPurpose.DOCUMENTS)

    assert collection_name(channel, CollectionPurpose.DOCUMENTS, "e5") == f"{base}_e5"
    assert base_of(f"{base}_e5-use") == base
    assert base_of(base) == base  # a collection from before named vectors
    assert base_of("something-else") is None
    with pytest.raises(ValueError):
        collection_name(channel, CollectionPurpose.DOCUMENTS, "E5 USE")
