"""OpenAICompatibleModel against a real llama_cpp.server and small loopback servers of our own."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.llm_openai import OpenAICompatibleModel, OpenAIConfig
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling
from core.ports import LanguageModel
from tests.adapters.language_model_contract import LanguageModelContract
from tests.conftest import MODEL
from tests.support.servers import free_port

GREEDY = Sampling(temperature=0.0, seed=7)
COUNTING = [ChatTurn("user", "Write the numbers from 1 to 30, separated by commas.")]


def real_config(base_url: str) -> OpenAIConfig:
    return OpenAIConfig(base_url=base_url, model="qwen", context_length=2048, retries=0)


@pytest.fixture
async def model(llama_server: str) -> AsyncIterator[OpenAICompatibleModel]:
    built = OpenAICompatibleModel(real_config(llama_server))
    yield built
    await built.close()


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [piece async for piece in stream]


# --- small loopback servers whose answers each test scripts ---------------------------------


@dataclass
class Recorded:
    """One request as the loopback server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.body)
        return parsed


Answer = Callable[["Loopback", Recorded, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Loopback:
    """An HTTP/1.1 server on 127.0.0.1 that records requests and answers as told."""

    answer: Answer
    requests: list[Recorded] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def __aenter__(self) -> Loopback:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def stall(self) -> None:
        """Send nothing more until the test is over."""
        await self.release.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.strip().split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            recorded = Recorded(method, path, headers, body)
            self.requests.append(recorded)
            await self.answer(self, recorded, writer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def sse_head() -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


def sse_event(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


def json_response(status: str, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def answer_hi_there(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
    writer.write(sse_head() + b": ping\n\n" + sse_event("Hi") + sse_event(" there"))
    writer.write(sse_event(finish="stop") + b"data: [DONE]\n\n")


async def answer_nothing(server: Loopback, _: Recorded, __: asyncio.StreamWriter) -> None:
    await server.stall()


async def answer_one_piece_then_stall(
    server: Loopback, _: Recorded, writer: asyncio.StreamWriter
) -> None:
    writer.write(sse_head() + sse_event("Once"))
    await writer.drain()
    await server.stall()


async def answer_cut_short(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
    writer.write(sse_head() + sse_event("Half an") + b"data: [DONE]\n\n")


async def answer_model_not_found(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
    error = {"message": "model 'ghost' not found", "type": "invalid_request_error"}
    writer.write(json_response("404 Not Found", {"error": error}))


async def answer_not_found(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
    writer.write(json_response("404 Not Found", {"detail": "Not Found"}))


class CountingTransport(httpx.AsyncBaseTransport):
    """The real transport, counting every request it is asked to send."""

    def __init__(self) -> None:
        self.attempts = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


# --- against the real llama_cpp.server ------------------------------------------------------


async def test_a_streamed_answer_arrives_in_several_pieces(model: OpenAICompatibleModel) -> None:
    pieces = await collect(model.stream(COUNTING, Sampling(temperature=0.0, max_new_tokens=30)))

    assert len(pieces) >= 3
    text = "".join(pieces)
    assert "1" in text and "3" in text


async def test_a_tiny_prompt_gets_a_sensible_answer(model: OpenAICompatibleModel) -> None:
    port_view: LanguageModel = model  # mypy checks the adapter satisfies the port
    messages = [ChatTurn("user", "Reply with the word: banana")]

    text = "".join(await collect(port_view.stream(messages, GREEDY)))

    assert "banana" in text.lower()


async def test_max_new_tokens_caps_the_answer(model: OpenAICompatibleModel) -> None:
    pieces = await collect(model.stream(COUNTING, Sampling(temperature=0.0, max_new_tokens=5)))

    assert 1 <= len(pieces) <= 5
    assert await model.count_tokens("".join(pieces)) <= 5


async def test_a_stop_string_ends_the_answer_before_it(model: OpenAICompatibleModel) -> None:
    pieces = await collect(model.stream(COUNTING, GREEDY, stop=["5"]))

    text = "".join(pieces)
    assert "4" in text
    assert "5" not in text


async def test_count_tokens_matches_the_model_tokenizer(model: OpenAICompatibleModel) -> None:
    from llama_cpp import Llama

    vocabulary = Llama(model_path=str(MODEL), vocab_only=True, verbose=False)
    text = "The Glimmerstone Tower is 212 metres tall — painted teal, même en hiver."
    expected = len(vocabulary.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    counted = await model.count_tokens(text)

    assert abs(counted - expected) <= 1
    assert await model.count_tokens(text) == counted
    assert await model.count_tokens("") == 0


async def test_after_a_failure_the_same_model_serves_the_next_question(
    model: OpenAICompatibleModel,
) -> None:
    too_long = [ChatTurn("user", "word " * 2500)]  # more than the server's n_ctx of 2048
    with pytest.raises(UserFacingError) as failure:
        await collect(model.stream(too_long, GREEDY))
    assert "context" in failure.value.message

    answer = "".join(await collect(model.stream([ChatTurn("user", "Say: banana")], GREEDY)))

    assert "banana" in answer.lower()


async def test_closing_a_stream_early_lets_the_next_stream_run(
    model: OpenAICompatibleModel,
) -> None:
    long_answer = model.stream(COUNTING, Sampling(temperature=0.0, max_new_tokens=400))
    assert isinstance(long_answer, AsyncGenerator)
    first = [await anext(long_answer) for _ in range(3)]
    await long_answer.aclose()
    assert len(first) == 3

    answer = "".join(await collect(model.stream([ChatTurn("user", "Say: banana")], GREEDY)))

    assert "banana" in answer.lower()


async def test_an_unknown_path_fails_with_the_status(llama_server: str) -> None:
    wrong = llama_server.replace("/v1", "/nowhere/v1")
    model = OpenAICompatibleModel(real_config(wrong))
    try:
        with pytest.raises(UserFacingError) as failure:
            await collect(model.stream([ChatTurn("user", "Hello")]))
    finally:
        await model.close()

    assert "404" in failure.value.message
    assert wrong in failure.value.message


async def test_load_passes_when_the_server_answers(model: OpenAICompatibleModel) -> None:
    await model.load()


# --- failures, through loopback servers of our own ------------------------------------------


async def test_an_unreachable_server_fails_naming_the_url_after_the_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    transport = CountingTransport()
    config = OpenAIConfig(
        base_url=closed, model="m", api_key="sekret-key", retries=2, retry_backoff=0.001
    )
    model = OpenAICompatibleModel(config, transport=transport)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(UserFacingError) as failure:
            await collect(model.stream([ChatTurn("user", "Hello")]))
        with pytest.raises(UserFacingError):
            await model.load()
    finally:
        await model.close()

    assert closed in failure.value.message
    assert "llm.openai.base_url" in failure.value.message
    assert transport.attempts == 2 * 3  # one try and two retries, for each of the two calls
    assert "sekret-key" not in caplog.text
    assert "sekret-key" not in repr(config)


async def test_a_server_that_sends_nothing_fails_with_the_timeout() -> None:
    async with Loopback(answer_nothing) as server:
        model = OpenAICompatibleModel(
            OpenAIConfig(base_url=server.base_url, model="m", read_timeout=0.5)
        )
        try:
            with pytest.raises(UserFacingError) as failure:
                await collect(model.stream([ChatTurn("user", "Hello")]))
        finally:
            await model.close()

    assert "0.5 s" in failure.value.message
    assert "llm.openai.read_timeout" in failure.value.message
    assert len(server.requests) == 1  # a read timeout is never retried


async def test_a_server_that_stalls_mid_answer_fails_with_the_timeout() -> None:
    async with Loopback(answer_one_piece_then_stall) as server:
        model = OpenAICompatibleModel(
            OpenAIConfig(base_url=server.base_url, model="m", read_timeout=0.5)
        )
        pieces: list[str] = []
        try:
            with pytest.raises(UserFacingError) as failure:
                async for piece in model.stream([ChatTurn("user", "Hello")]):
                    pieces.append(piece)
        finally:
            await model.close()

    assert pieces == ["Once"]
    assert "0.5 s" in failure.value.message
    assert len(server.requests) == 1


async def test_an_unknown_model_fails_with_the_status_and_the_server_message() -> None:
    async with Loopback(answer_model_not_found) as server:
        model = OpenAICompatibleModel(OpenAIConfig(base_url=server.base_url, model="ghost"))
        try:
            with pytest.raises(UserFacingError) as failure:
                await collect(model.stream([ChatTurn("user", "Hello")]))
        finally:
            await model.close()

    assert "404" in failure.value.message
    assert "model 'ghost' not found" in failure.value.message
    assert "llm.openai.model" in failure.value.message


async def test_an_answer_the_server_cuts_short_is_reported() -> None:
    async with Loopback(answer_cut_short) as server:
        model = OpenAICompatibleModel(OpenAIConfig(base_url=server.base_url, model="m"))
        pieces: list[str] = []
        try:
            with pytest.raises(UserFacingError) as failure:
                async for piece in model.stream([ChatTurn("user", "Hello")]):
                    pieces.append(piece)
        finally:
            await model.close()

    assert pieces == ["Half an"]
    assert "cut this answer short" in failure.value.message


async def test_the_api_key_and_the_sampling_reach_the_server() -> None:
    async with Loopback(answer_hi_there) as server:
        defaults = Sampling(
            temperature=0.2, top_k=30, top_p=0.8, repeat_penalty=1.2, max_new_tokens=64, seed=-1
        )
        config = OpenAIConfig(
            base_url=server.base_url, model="m", api_key="sekret-key", defaults=defaults
        )
        model = OpenAICompatibleModel(config)
        try:
            seeded = await collect(
                model.stream([ChatTurn("user", "Hello")], Sampling(seed=5), stop=["\n\n"])
            )
            await collect(model.stream([ChatTurn("user", "Again")]))
        finally:
            await model.close()

    assert seeded == ["Hi", " there"]
    first, second = server.requests
    assert first.method == "POST" and first.path == "/v1/chat/completions"
    assert first.headers["authorization"] == "Bearer sekret-key"
    assert first.json() == {
        "model": "m",
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": True,
        "temperature": 0.2,
        "top_p": 0.8,
        "max_tokens": 64,
        "seed": 5,
        "stop": ["\n\n"],
        "top_k": 30,
        "repeat_penalty": 1.2,
        "repetition_penalty": 1.2,
    }
    assert "seed" not in second.json()
    assert "stop" not in second.json()


async def test_counting_never_fails_without_a_tokenizer_or_a_server() -> None:
    text = "Quarante-deux tokens, à peu près."
    estimate = math.ceil(len(text.encode("utf-8")) / 3)
    async with Loopback(answer_not_found) as server:
        model = OpenAICompatibleModel(OpenAIConfig(base_url=server.base_url, model="m"))
        try:
            assert await model.count_tokens(text) == estimate
            assert await model.count_tokens(text) == estimate
        finally:
            await model.close()
    # Both endpoints were tried once, then the model remembered there is none.
    assert [request.path for request in server.requests] == ["/extras/tokenize", "/tokenize"]

    transport = CountingTransport()
    down = OpenAICompatibleModel(
        OpenAIConfig(base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", retries=2),
        transport=transport,
    )
    try:
        assert await down.count_tokens(text) == estimate
        assert await down.count_tokens(text + "!") > 0
    finally:
        await down.close()
    # One try, no retries, and no asking again at once after it failed.
    assert transport.attempts == 1


async def test_a_request_the_server_drops_unanswered_is_sent_again_once() -> None:
    async def drop_the_first(
        server: Loopback, request: Recorded, writer: asyncio.StreamWriter
    ) -> None:
        if len(server.requests) > 1:
            await answer_hi_there(server, request, writer)

    async def drop_all(_: Loopback, __: Recorded, ___: asyncio.StreamWriter) -> None:
        return None

    async with Loopback(drop_the_first) as flaky, Loopback(drop_all) as broken:
        recovered = OpenAICompatibleModel(
            OpenAIConfig(base_url=flaky.base_url, model="m", retries=0)
        )
        failing = OpenAICompatibleModel(
            OpenAIConfig(base_url=broken.base_url, model="m", retries=0)
        )
        try:
            pieces = await collect(recovered.stream([ChatTurn("user", "Hello")]))
            with pytest.raises(UserFacingError) as failure:
                await collect(failing.stream([ChatTurn("user", "Hello")]))
        finally:
            await recovered.close()
            await failing.close()

    assert pieces == ["Hi", " there"]
    assert len(flaky.requests) == 2
    assert "closed the connection" in failure.value.message
    assert len(broken.requests) == 2


async def test_a_server_that_ignores_streaming_still_answers() -> None:
    async def answer_at_once(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
        completion = {"choices": [{"message": {"role": "assistant", "content": "All at once"}}]}
        writer.write(json_response("200 OK", completion))

    async with Loopback(answer_at_once) as server:
        model = OpenAICompatibleModel(OpenAIConfig(base_url=server.base_url, model="m"))
        try:
            pieces = await collect(model.stream([ChatTurn("user", "Hello")]))
        finally:
            await model.close()

    assert pieces == ["All at once"]


async def test_an_error_sent_inside_the_stream_is_shown() -> None:
    async def answer_then_fail(_: Loopback, __: Recorded, writer: asyncio.StreamWriter) -> None:
        error = {"object": "error", "message": "The engine ran out of memory.", "code": 500}
        writer.write(sse_head() + sse_event("Partly") + f"data: {json.dumps(error)}\n\n".encode())

    async with Loopback(answer_then_fail) as server:
        model = OpenAICompatibleModel(OpenAIConfig(base_url=server.base_url, model="m"))
        try:
            with pytest.raises(UserFacingError) as failure:
                await collect(model.stream([ChatTurn("user", "Hello")]))
        finally:
            await model.close()

    assert "The engine ran out of memory" in failure.value.message


class TestOpenAICompatibleContract(LanguageModelContract):
    """The contract against a real llama_cpp.server on 127.0.0.1."""

    @pytest.fixture
    def language_model(self, model: OpenAICompatibleModel) -> LanguageModel:
        return model
