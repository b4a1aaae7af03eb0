"""The llama-cpp backend against the real engine and the offline model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.llm_llama_cpp import LlamaCppConfig, LlamaCppModel
from core.models import ChatTurn, Sampling
from core.ports import LanguageModel
from tests.adapters.language_model_contract import LanguageModelContract
from tests.conftest import MODEL


class TestLlamaCppModel(LanguageModelContract):
    @pytest_asyncio.fixture(scope="class", loop_scope="session")
    async def language_model(self) -> AsyncIterator[LanguageModel]:
        assert MODEL.is_file(), f"{MODEL} is missing: run `make model` (make test does)"
        model = LlamaCppModel(LlamaCppConfig(model_path=MODEL))
        await model.load()
        yield model
        await model.close()


TURNS = [ChatTurn("user", "Name three colours of the rainbow.")]
GREEDY = Sampling(temperature=0.0, max_new_tokens=24)


async def reply(model: LanguageModel) -> str:
    return "".join([piece async for piece in model.stream(TURNS, GREEDY)])


@pytest.mark.asyncio(loop_scope="session")
async def test_two_models_sharing_one_engine_never_mix_their_tokens() -> None:
    first = LlamaCppModel(LlamaCppConfig(model_path=MODEL))
    second = LlamaCppModel(LlamaCppConfig(model_path=MODEL))
    try:
        expected = await reply(first)
        both = await asyncio.gather(reply(first), reply(second), reply(first))
    finally:
        await first.close()
        await second.close()

    assert list(both) == [expected] * 3


@pytest.mark.asyncio(loop_scope="session")
async def test_a_stream_closed_early_lets_the_other_model_generate() -> None:
    first = LlamaCppModel(LlamaCppConfig(model_path=MODEL))
    second = LlamaCppModel(LlamaCppConfig(model_path=MODEL))
    try:
        stream = first.stream(TURNS, GREEDY)
        await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]

        assert await asyncio.wait_for(reply(second), timeout=300)
    finally:
        await first.close()
        await second.close()
