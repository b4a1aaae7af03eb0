"""The ctransformers backend against a real engine: a tiny LLaMA-2-format GGUF built per session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
import sentencepiece as spm

from adapters import llm_ctransformers
from adapters.llm_ctransformers import (
    CTransformersConfig,
    CTransformersModel,
    llama2_chat_prompt,
)
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling
from core.ports import LanguageModel
from tests.adapters.language_model_contract import LanguageModelContract
from tests.support.tiny_llama import CONTEXT, TOKENIZER_NAME, build_tiny_llama_gguf

MESSAGES = [
    ChatTurn("system", "Answer briefly."),
    ChatTurn("user", "Where does the Glimmerstone Tower stand?"),
]
GREEDY = Sampling(temperature=0.0, max_new_tokens=24)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama_gguf(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def config(tiny_gguf: Path) -> CTransformersConfig:
    return CTransformersConfig(
        model_path=tiny_gguf,
        context_length=CONTEXT,
        # ggml's threads spin while they wait; on a busy test machine two of them on two
        # cores can be a hundred times slower than one.
        threads=1,
        defaults=Sampling(
            temperature=0.8, top_k=40, top_p=0.95, repeat_penalty=1.0, max_new_tokens=24, seed=-1
        ),
    )


@pytest_asyncio.fixture(scope="session")
async def model(config: CTransformersConfig) -> AsyncIterator[CTransformersModel]:
    loaded = CTransformersModel(config)
    await loaded.load()
    yield loaded
    await loaded.close()


@pytest.fixture
def engine(config: CTransformersConfig) -> Any:
    """The ctransformers object behind the model, to watch what the engine is asked."""
    return llm_ctransformers._load(config).model


def watch_sampling(
    engine: Any, monkeypatch: pytest.MonkeyPatch, before: Callable[[], object] = lambda: None
) -> list[threading.Thread]:
    """Record the thread of every token the engine samples; run `before` ahead of each."""
    threads: list[threading.Thread] = []
    original = engine.sample

    def sample(**arguments: Any) -> int:
        before()
        threads.append(threading.current_thread())
        return cast(int, original(**arguments))

    monkeypatch.setattr(engine, "sample", sample)
    return threads


async def reply(
    model: CTransformersModel,
    messages: list[ChatTurn] = MESSAGES,
    sampling: Sampling = GREEDY,
    stop: tuple[str, ...] = (),
) -> list[str]:
    return [piece async for piece in model.stream(messages, sampling, stop)]


async def test_loads_and_streams_several_text_pieces(model: CTransformersModel) -> None:
    pieces = await reply(model)

    assert len(pieces) > 1
    assert all(isinstance(piece, str) and piece for piece in pieces)


async def test_greedy_replies_are_repeatable(model: CTransformersModel) -> None:
    assert await reply(model) == await reply(model)


async def test_a_seed_makes_sampling_repeatable_and_seeds_differ(
    model: CTransformersModel,
) -> None:
    def sampled(seed: int) -> Sampling:
        return Sampling(temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=16, seed=seed)

    first = "".join(await reply(model, sampling=sampled(11)))
    again = "".join(await reply(model, sampling=sampled(11)))
    others = {"".join(await reply(model, sampling=sampled(seed))) for seed in (12, 13, 14)}

    assert first == again
    assert others - {first}


async def test_stops_before_a_stop_string_the_reply_would_contain(
    model: CTransformersModel,
) -> None:
    full = "".join(await reply(model))
    # A two-character string that first occurs well inside the greedy reply.
    start = next(
        index
        for index in range(5, len(full) - 2)
        if full.find(full[index : index + 2]) == index and full[index : index + 2].strip()
    )
    stop = full[start : start + 2]

    stopped = "".join(await reply(model, stop=(stop,)))

    assert stopped == full[:start]


async def test_respects_max_new_tokens(model: CTransformersModel) -> None:
    short = "".join(await reply(model, sampling=Sampling(temperature=0.0, max_new_tokens=5)))
    longer = "".join(await reply(model, sampling=Sampling(temperature=0.0, max_new_tokens=40)))

    assert short
    assert longer.startswith(short) and len(longer) > len(short)


async def test_samples_no_more_tokens_than_max_new_tokens(
    model: CTransformersModel, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sampled = watch_sampling(engine, monkeypatch)

    await reply(model, sampling=Sampling(temperature=0.0, max_new_tokens=7))

    assert 0 < len(sampled) <= 7


async def test_count_tokens_is_positive_and_matches_sentencepiece(
    model: CTransformersModel, tiny_gguf: Path
) -> None:
    tokenizer = spm.SentencePieceProcessor(model_file=str(tiny_gguf.parent / TOKENIZER_NAME))
    # The last text has more tokens than characters (byte fallback), which overflows
    # ctransformers' own tokenize() buffer.
    texts = ["The Glimmerstone Tower", "점심은 정오부터 제공됩니다.", "뷁쀍" * 40]

    counts = [await model.count_tokens(text) for text in texts]

    assert all(count > 0 for count in counts)
    assert counts == [len(tokenizer.encode(text)) for text in texts]
    assert counts[-1] > len(texts[-1])


async def test_generation_runs_off_the_event_loop_thread(
    model: CTransformersModel, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sampled = watch_sampling(engine, monkeypatch)

    await reply(model)

    assert sampled
    assert threading.current_thread() not in sampled
    assert all(thread.name.startswith("ctransformers") for thread in sampled)


async def test_closing_the_stream_early_stops_generation_at_the_next_token(
    model: CTransformersModel, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = await reply(model)
    # The engine may sample 4 tokens, then waits until the consumer has closed the stream.
    permits = threading.Semaphore(4)
    sampled = watch_sampling(engine, monkeypatch, before=lambda: permits.acquire(timeout=30))
    stream = cast(
        AsyncGenerator[str, None],
        model.stream(MESSAGES, Sampling(temperature=0.0, max_new_tokens=200)),
    )

    taken = [await anext(stream), await anext(stream)]
    permits.release(1000)
    await stream.aclose()

    assert all(taken)
    assert len(sampled) <= 6  # the whole greedy reply samples about 80
    monkeypatch.undo()
    assert await reply(model) == expected


async def test_two_models_sharing_one_engine_never_mix_their_tokens(
    model: CTransformersModel, config: CTransformersConfig
) -> None:
    expected = "".join(await reply(model))
    other = CTransformersModel(config)
    try:
        both = await asyncio.gather(reply(model), reply(other), reply(model))
    finally:
        await other.close()

    assert ["".join(pieces) for pieces in both] == [expected] * 3


async def test_a_prompt_longer_than_the_context_is_a_user_facing_error(
    model: CTransformersModel,
) -> None:
    long_question = "Where does the Glimmerstone Tower stand? " * 80
    assert await model.count_tokens(long_question) > CONTEXT

    with pytest.raises(UserFacingError, match="tokens"):
        await reply(model, [ChatTurn("user", long_question)])

    assert await reply(model)


async def test_a_missing_model_file_is_a_user_facing_error_naming_file_and_setting(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "absent.gguf"
    absent = CTransformersModel(CTransformersConfig(model_path=missing))
    try:
        with pytest.raises(UserFacingError) as raised:
            await absent.load()
        with pytest.raises(UserFacingError):
            await reply(absent)
    finally:
        await absent.close()

    assert str(missing) in raised.value.message
    assert "llm.model_path" in raised.value.message


async def test_a_file_ctransformers_cannot_read_is_a_user_facing_error(tmp_path: Path) -> None:
    # Not GGUF at all. (A file with the GGUF magic and a corrupt header can crash the
    # engine outright: the bot inspects GGUF headers before loading.)
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is not a model\n" * 100)
    unreadable = CTransformersModel(CTransformersConfig(model_path=broken))
    try:
        with pytest.raises(UserFacingError, match=r"llm\.model_path"):
            await unreadable.load()
    finally:
        await unreadable.close()


def test_llama2_chat_prompt_renders_system_user_assistant_user_exactly() -> None:
    prompt = llama2_chat_prompt(
        [
            ChatTurn("system", "Be brief."),
            ChatTurn("user", "Who built the tower? "),
            ChatTurn("assistant", "Odile Marchetti.\n"),
            ChatTurn("user", "When?"),
        ]
    )

    assert prompt == (
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWho built the tower? [/INST] "
        "Odile Marchetti. </s><s>[INST] When? [/INST]"
    )


def test_llama2_chat_prompt_without_history_or_system() -> None:
    assert llama2_chat_prompt([ChatTurn("system", "S"), ChatTurn("user", "Q")]) == (
        "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ [/INST]"
    )
    assert llama2_chat_prompt([ChatTurn("user", "Q")]) == "<s>[INST] Q [/INST]"


def test_llama2_chat_prompt_joins_turns_of_one_role_in_a_row() -> None:
    assert llama2_chat_prompt([ChatTurn("user", "A"), ChatTurn("user", "B")]) == (
        "<s>[INST] A\n\nB [/INST]"
    )


def test_llama2_chat_prompt_refuses_a_dialog_that_ends_with_the_assistant() -> None:
    with pytest.raises(ValueError, match="user turn"):
        llama2_chat_prompt([ChatTurn("user", "Q"), ChatTurn("assistant", "A")])


async def test_the_engine_sees_bos_and_eos_as_tokens_not_text(
    model: CTransformersModel, engine: Any
) -> None:
    dialog = [ChatTurn("user", "Q"), ChatTurn("assistant", "A"), ChatTurn("user", "R")]

    tokens = llm_ctransformers._encode_chat(engine, dialog)

    bos, eos = engine.bos_token_id, engine.eos_token_id
    assert tokens[0] == bos
    assert tokens.count(bos) == 2 and tokens.count(eos) == 1
    assert tokens[tokens.index(eos) + 1] == bos
    assert engine.detokenize(tokens[1 : tokens.index(eos)]).strip() == "[INST] Q [/INST] A"


class TestCTransformersContract(LanguageModelContract):
    @pytest.fixture
    def language_model(self, model: CTransformersModel) -> LanguageModel:
        return model
