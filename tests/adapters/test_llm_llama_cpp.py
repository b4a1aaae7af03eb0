"""The llama-cpp backend against the real engine and the offline model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from adapters.llm_llama_cpp import LlamaCppConfig, LlamaCppModel
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
