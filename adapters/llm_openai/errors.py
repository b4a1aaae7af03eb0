"""What a person may read of a server's failure: its own reason, trimmed, and its URL
without credentials."""

from __future__ import annotations

import json
from typing import Any

import httpx

_MESSAGE_LIMIT = 200


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
