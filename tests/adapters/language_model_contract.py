"""What every LanguageModel backend must do, written once; each backend's tests inherit it.

A subclass provides the `language_model` fixture (a loaded model); only what every backend
promises is checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.models import ChatTurn, Sampling
from core.ports import LanguageModel

SENTENCE = "The Glimmerstone Tower stands in the harbour town of Vellmora. "
LONG_PROMPT_TOKENS = 300


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [piece async for piece in stream]


async def long_prompt(model: LanguageModel, at_least: int = LONG_PROMPT_TOKENS) -> str:
    """A prompt of more than `at_least` tokens in this model's own vocabulary."""
    text = SENTENCE
    while await model.count_tokens(text) <= at_least:
        text += SENTENCE
    return text + "\nWhere does the tower stand?"


class LanguageModelContract:
    """Inherit and provide a `language_model` fixture (a loaded model) to run these."""

    async def test_a_prompt_of_several_hundred_tokens_is_evaluated_and_answered(
        self, language_model: LanguageModel
    ) -> None:
        # A native engine built for the wrong CPU dies only past a few prompt tokens.
        prompt = await long_prompt(language_model)
        assert await language_model.count_tokens(prompt) > LONG_PROMPT_TOKENS

        pieces = await collect(
            language_model.stream(
                [ChatTurn("user", prompt)], Sampling(temperature=0.0, max_new_tokens=8)
            )
        )

        assert "".join(pieces).strip()

    async def test_max_new_tokens_caps_the_reply(self, language_model: LanguageModel) -> None:
        turns = [ChatTurn("user", "Count from one to one hundred in words.")]

        pieces = await collect(
            language_model.stream(turns, Sampling(temperature=0.0, max_new_tokens=5))
        )

        # Every streamed piece carries at least one token.
        assert 0 < len(pieces) <= 5

    async def test_a_reply_streams_in_several_pieces(self, language_model: LanguageModel) -> None:
        turns = [ChatTurn("user", "Name three colours of the rainbow.")]

        pieces = await collect(
            language_model.stream(turns, Sampling(temperature=0.0, max_new_tokens=16))
        )

        assert len(pieces) >= 2 and "".join(pieces).strip()

    async def test_the_reply_stops_before_a_stop_string(
        self, language_model: LanguageModel
    ) -> None:
        turns = [ChatTurn("user", "Count from one to twenty in words, separated by commas.")]
        greedy = Sampling(temperature=0.0, max_new_tokens=24)
        whole = "".join(await collect(language_model.stream(turns, greedy)))
        # A stop string the greedy reply holds after its first few characters.
        start = max(4, len(whole) // 3)
        stop = whole[start : start + 3]
        assert len(stop.strip()) >= 2, f"reply too short to test stop strings: {whole!r}"

        stopped = "".join(await collect(language_model.stream(turns, greedy, stop=[stop])))

        assert stop not in stopped
        assert whole.startswith(stopped.rstrip()[: max(len(stopped.rstrip()) - 1, 0)])
        assert len(stopped) < len(whole)

    async def test_a_stream_closed_early_leaves_the_model_ready_for_the_next(
        self, language_model: LanguageModel
    ) -> None:
        turns = [ChatTurn("user", "Count from one to one hundred in words.")]
        stream = language_model.stream(turns, Sampling(temperature=0.0, max_new_tokens=64))
        assert await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]

        after = await collect(
            language_model.stream(turns, Sampling(temperature=0.0, max_new_tokens=4))
        )

        assert after
