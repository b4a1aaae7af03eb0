"""Chat completions: the request body from turns and sampling, and the reply streamed back as
server-sent events (or as one JSON answer from a server that does not stream)."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

import httpx

from adapters.llm_openai.client import ServerClient
from adapters.llm_openai.config import OpenAIConfig
from adapters.llm_openai.errors import _error_text
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling


def chat_body(
    config: OpenAIConfig,
    messages: Sequence[ChatTurn],
    sampling: Sampling | None,
    stop: Sequence[str],
) -> dict[str, Any]:
    """The streamed /chat/completions request: `sampling` filled from the configured defaults."""
    chosen = (sampling or Sampling()).filled_from(config.defaults)
    body: dict[str, Any] = {
        "model": config.model,
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
    if config.extra_sampling:
        if chosen.top_k is not None:
            body["top_k"] = chosen.top_k
        penalty = chosen.repeat_penalty
        if penalty is not None:
            # llama.cpp's name, then vLLM's; each server ignores the other one.
            body["repeat_penalty"] = penalty
            body["repetition_penalty"] = penalty
    return body


async def stream_chat(server: ServerClient, body: dict[str, Any]) -> AsyncGenerator[str, None]:
    """Send `body` to /chat/completions and yield the reply piece by piece.

    The HTTP response is closed however the generator ends, early closing included.
    """
    response = await server.send("POST", f"{server.base}/chat/completions", body)
    try:
        await server.check_status(response)
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/json"):
            # A server that ignored stream=true and sent the whole answer at once.
            whole = _whole_answer(await response.aread(), server)
            if whole:
                yield whole
            return
        if "html" in kind:
            raise server.not_openai()
        async with aclosing(_events(response, server)) as events:
            async for piece in events:
                yield piece
    except httpx.TimeoutException as error:
        raise server.slow() from error
    except httpx.TransportError as error:
        raise server.broken() from error
    finally:
        await response.aclose()


async def _events(response: httpx.Response, server: ServerClient) -> AsyncGenerator[str, None]:
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
            raise server.not_openai() from error
        if not isinstance(event, dict):
            raise server.not_openai()
        if "error" in event or event.get("object") == "error":  # OpenAI's shape, vLLM's
            raise UserFacingError(
                "server_failed", url=server.shown_url, detail=_error_text(event) or "-"
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
        raise UserFacingError("server_no_answer", url=server.shown_url)
    # llama_cpp.server ends a stream early, with [DONE] but no finish_reason, when
    # another request arrives while interrupt_requests is on (its default).
    raise UserFacingError("server_cut_short", url=server.shown_url)


def _whole_answer(body: bytes, server: ServerClient) -> str:
    try:
        content = json.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError) as error:
        raise server.not_openai() from error
    if not isinstance(content, str):
        raise server.not_openai()
    return content
