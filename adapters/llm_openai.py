"""LanguageModel over an OpenAI-compatible server: vLLM, Ollama, llama.cpp, llama_cpp.server."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.errors import UserFacingError
from core.models import ChatTurn, Sampling

log = logging.getLogger("ragbot.llm")

# Tokenize endpoints, relative to the server root (base_url without /v1), tried in order.
# llama_cpp.server (Python): POST /extras/tokenize {"input"} -> {"tokens": [...]}.
# llama.cpp server (C++): POST /tokenize {"content"}; vLLM: POST /tokenize {"prompt"};
# both answer {"tokens": [...]}, and each ignores the other's field.
_TOKENIZE_EXTRAS = "extras/tokenize"
_TOKENIZE_PLAIN = "tokenize"
# Statuses that mean "this server has no such endpoint (or wants other fields)".
_ABSENT = frozenset({400, 404, 405, 422, 501})
_CACHE_SIZE = 1024
_ESTIMATE_PAUSE = 30.0
_MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class OpenAIConfig:
    """Where the server is, how long to wait for it, and the sampling used unless told otherwise.

    `base_url` includes the API version, e.g. http://127.0.0.1:8000/v1. `context_length`
    must not exceed the server's own context (llama.cpp's n_ctx, vLLM's max_model_len).
    `extra_sampling` sends top_k and the repeat penalty, which OpenAI itself rejects.
    """

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 2
    retry_backoff: float = 0.5
    context_length: int = 4096
    defaults: Sampling = field(
        default_factory=lambda: Sampling(
            temperature=0.1, top_k=40, top_p=0.9, repeat_penalty=1.1, max_new_tokens=384, seed=-1
        )
    )
    extra_sampling: bool = True


class OpenAICompatibleModel:
    """Streams chat completions from an OpenAI-compatible server over one HTTP client."""

    def __init__(
        self, config: OpenAIConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._root = self._base.removesuffix("/v1")
        self._shown_url = _without_credentials(self._base)
        headers = {"Accept": "application/json, text/event-stream"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._client = httpx.AsyncClient(
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.read_timeout,
            ),
        )
        # None: not probed yet; "": the server has no tokenize endpoint, so estimate.
        self._tokenize_path: str | None = None
        self._probe_lock = asyncio.Lock()
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._estimate_until = 0.0

    @property
    def context_length(self) -> int:
        """Tokens prompt and answer share."""
        return self._config.context_length

    @property
    def max_new_tokens(self) -> int:
        """Configured cap on generated tokens."""
        return self._config.defaults.max_new_tokens or 384

    async def load(self) -> None:
        """Check that the server answers GET /models; raise UserFacingError when it does not."""
        response = await self._send("GET", f"{self._base}/models")
        try:
            await self._check_status(response)
            body = await response.aread()
        except httpx.TimeoutException as error:
            raise self._slow() from error
        except httpx.TransportError as error:
            raise self._broken() from error
        finally:
            await response.aclose()
        try:
            listed = [str(entry.get("id")) for entry in json.loads(body).get("data", [])]
        except (ValueError, AttributeError, TypeError) as error:
            raise UserFacingError("server_not_openai_models", url=self._shown_url) from error
        if self._config.model not in listed:
            # llama_cpp.server answers any model name with its default model; others refuse.
            log.warning(
                "the server at %s does not list model %r (it lists %s)",
                self._shown_url,
                self._config.model,
                ", ".join(listed) or "nothing",
            )
        log.info("model server at %s answers (%d models)", self._shown_url, len(listed))

    async def count_tokens(self, text: str) -> int:
        """Tokens `text` takes, from the server's tokenizer when it has one, else an estimate."""
        if not text:
            return 0
        cached = self._counts.get(text)
        if cached is not None:
            self._counts.move_to_end(text)
            return cached
        if time.monotonic() >= self._estimate_until:
            counted = await self._count_on_server(text)
            if counted is not None:
                return self._remember(text, counted)
        return _estimate_tokens(text)

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the reply to `messages` piece by piece as the server streams it.

        Closing the iterator early closes the HTTP response, which stops generation on
        servers that watch the connection.
        """
        body = self._body(messages, sampling, stop)
        return self._generate(body)

    async def close(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.aclose()

    def _body(
        self, messages: Sequence[ChatTurn], sampling: Sampling | None, stop: Sequence[str]
    ) -> dict[str, Any]:
        chosen = (sampling or Sampling()).filled_from(self._config.defaults)
        body: dict[str, Any] = {
            "model": self._config.model,
            "messages": [{"role": turn.role, "content": turn.content} for turn in messages],
            "stream": True,
        }
        # Servers fill what is missing with their own defaults; a null would be refused
        # (llama_cpp.server answers 500 to "top_k": null).
        for key, value in (
            ("temperature", chosen.temperature),
            ("top_p", chosen.top_p),
            ("max_tokens", chosen.max_new_tokens),
        ):
            if value is not None:
                body[key] = value
        if chosen.seed is not None and chosen.seed >= 0:
            body["seed"] = chosen.seed
        if stop:
            body["stop"] = list(stop)
        if self._config.extra_sampling:
            if chosen.top_k is not None:
                body["top_k"] = chosen.top_k
            penalty = chosen.repeat_penalty
            if penalty is not None:
                # llama.cpp's name, then vLLM's; each server ignores the other one.
                body["repeat_penalty"] = penalty
                body["repetition_penalty"] = penalty
        return body

    async def _generate(self, body: dict[str, Any]) -> AsyncGenerator[str, None]:
        response = await self._send("POST", f"{self._base}/chat/completions", body)
        try:
            await self._check_status(response)
            kind = response.headers.get("content-type", "")
            if kind.startswith("application/json"):
                # A server that ignored stream=true and sent the whole answer at once.
                whole = self._whole_answer(await response.aread())
                if whole:
                    yield whole
                return
            if "html" in kind:
                raise self._not_openai()
            async with aclosing(self._events(response)) as events:
                async for piece in events:
                    yield piece
        except httpx.TimeoutException as error:
            raise self._slow() from error
        except httpx.TransportError as error:
            raise self._broken() from error
        finally:
            await response.aclose()

    async def _events(self, response: httpx.Response) -> AsyncGenerator[str, None]:
        """Read `data:` lines until [DONE]; comments (pings), ids and blank lines are skipped."""
        finished = False
        produced = False
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                event = json.loads(data)
            except ValueError as error:
                raise self._not_openai() from error
            if not isinstance(event, dict):
                raise self._not_openai()
            if "error" in event or event.get("object") == "error":  # OpenAI's shape, vLLM's
                raise UserFacingError(
                    "server_failed", url=self._shown_url, detail=_error_text(event) or "-"
                )
            choices = event.get("choices") or []
            if not choices or not isinstance(choices[0], dict):
                continue
            choice = choices[0]
            piece = (choice.get("delta") or {}).get("content")
            if isinstance(piece, str) and piece:
                produced = True
                yield piece
            if choice.get("finish_reason"):
                finished = True
        if finished:
            return
        if not produced:
            # llama_cpp.server sends 200 and then nothing when the prompt overflows n_ctx.
            raise UserFacingError("server_no_answer", url=self._shown_url)
        # llama_cpp.server ends a stream early, with [DONE] but no finish_reason, when
        # another request arrives while interrupt_requests is on (its default).
        raise UserFacingError("server_cut_short", url=self._shown_url)

    def _whole_answer(self, body: bytes) -> str:
        try:
            content = json.loads(body)["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError) as error:
            raise self._not_openai() from error
        if not isinstance(content, str):
            raise self._not_openai()
        return content

    async def _send(
        self, method: str, url: str, body: dict[str, Any] | None = None, *, retry: bool = True
    ) -> httpx.Response:
        """Open a streamed response, retrying only while the server cannot be reached."""
        retries = self._config.retries if retry else 0
        attempt = 0
        fresh_tried = False
        while True:
            try:
                request = self._client.build_request(method, url, json=body)
                return await self._client.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                # Nothing of a response came back. Most often the kept-alive connection was
                # one the server had just closed (llama_cpp.server closes it right after a
                # failed stream), so one more try goes out at once on a new connection.
                if fresh_tried:
                    raise self._broken() from error
                fresh_tried = True
                log.info("%s dropped a kept-alive connection; sending again", self._shown_url)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                if attempt >= retries:
                    raise UserFacingError("server_down", url=self._shown_url) from error
                delay = self._config.retry_backoff * 2**attempt
                attempt += 1
                log.warning(
                    "cannot reach %s (%s); retry %d of %d in %.2g s",
                    self._shown_url,
                    type(error).__name__,
                    attempt,
                    retries,
                    delay,
                )
                await asyncio.sleep(delay)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
                raise UserFacingError("server_bad_url", url=self._shown_url) from error
            except httpx.TimeoutException as error:
                raise self._slow() from error
            except httpx.TransportError as error:
                raise self._broken() from error

    async def _check_status(self, response: httpx.Response) -> None:
        """Turn an HTTP error into a short message with the status and the server's reason."""
        if response.status_code < 400:
            return
        detail = _error_text(_json_or_none(await response.aread()))
        status = f"{response.status_code} {response.reason_phrase}".strip()
        key = {
            401: "server_status_key",
            403: "server_status_key",
            404: "server_status_missing",
            429: "server_status_later",
        }.get(
            response.status_code,
            "server_status_later" if response.status_code >= 500 else "server_status",
        )
        reason = f": {detail}" if detail else ""
        raise UserFacingError(key, url=self._shown_url, status=status, reason=reason)

    async def _count_on_server(self, text: str) -> int | None:
        """Count with the server's tokenizer; None when it has none or cannot be asked now."""
        try:
            if self._tokenize_path is None:
                async with self._probe_lock:
                    if self._tokenize_path is None:
                        return await self._probe_tokenizer(text)
            if self._tokenize_path:
                return await self._tokenize(self._tokenize_path, text)
            return None
        except (UserFacingError, httpx.HTTPError, ValueError) as error:
            # Estimate for a while instead of waiting on an unreachable server at every count.
            reason = error.message if isinstance(error, UserFacingError) else repr(error)
            log.warning(
                "cannot count tokens on %s, estimating for %g s: %s",
                self._shown_url,
                _ESTIMATE_PAUSE,
                reason,
            )
            self._estimate_until = time.monotonic() + _ESTIMATE_PAUSE
            return None

    async def _probe_tokenizer(self, text: str) -> int | None:
        """Find which tokenize endpoint the server has and count `text` with it."""
        for path in (_TOKENIZE_EXTRAS, _TOKENIZE_PLAIN):
            counted = await self._tokenize(path, text)
            if counted is not None:
                log.info("counting tokens with %s/%s", self._root, path)
                self._tokenize_path = path
                return counted
        log.info("%s has no tokenize endpoint; estimating token counts", self._shown_url)
        self._tokenize_path = ""
        return None

    async def _tokenize(self, path: str, text: str) -> int | None:
        """Count with one endpoint; None when the server has no such endpoint."""
        if path == _TOKENIZE_EXTRAS:
            body: dict[str, Any] = {"input": text, "model": self._config.model}
        else:
            body = {"content": text, "prompt": text, "model": self._config.model}
            body.update(add_special=False, add_special_tokens=False)
        # One attempt: counting falls back to an estimate rather than wait for retries.
        response = await self._send("POST", f"{self._root}/{path}", body, retry=False)
        try:
            if response.status_code in _ABSENT:
                return None
            await self._check_status(response)
            answer = _json_or_none(await response.aread())
        finally:
            await response.aclose()
        if isinstance(answer, dict):
            tokens = answer.get("tokens")
            if isinstance(tokens, list):
                return len(tokens)
            count = answer.get("count")
            if isinstance(count, int):
                return count
        return None

    def _remember(self, text: str, count: int) -> int:
        self._counts[text] = count
        if len(self._counts) > _CACHE_SIZE:
            self._counts.popitem(last=False)
        return count

    def _slow(self) -> UserFacingError:
        return UserFacingError(
            "server_timeout", url=self._shown_url, seconds=self._config.read_timeout
        )

    def _broken(self) -> UserFacingError:
        return UserFacingError("server_closed", url=self._shown_url)

    def _not_openai(self) -> UserFacingError:
        return UserFacingError("server_not_openai", url=self._shown_url)


def _estimate_tokens(text: str) -> int:
    # Without the server's tokenizer, assume 3 UTF-8 bytes per token: BPE vocabularies
    # average about 4 bytes per token on English prose and about 3 on code or accented and
    # CJK text, so this overcounts, and an overcounted prompt still fits the context.
    return max(1, math.ceil(len(text.encode("utf-8")) / 3))


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error_text(answer: Any) -> str:
    """The human part of an error body: OpenAI, vLLM, Ollama and FastAPI shapes."""
    if not isinstance(answer, dict):
        return ""
    found: Any = answer.get("error")
    if isinstance(found, dict):
        found = found.get("message")
    if not found:
        found = answer.get("message")
    if not found:
        detail = answer.get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            detail = detail[0].get("msg")
        found = detail
    if not isinstance(found, str):
        return ""
    text = " ".join(found.split()).rstrip(".")
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _without_credentials(url: str) -> str:
    """The URL as shown to people: without a user or password embedded in it."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    if not parsed.userinfo:
        return url
    return str(parsed.copy_with(username=None, password=None)).rstrip("/")
