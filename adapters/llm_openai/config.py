"""Settings of an OpenAI-compatible server: where it is, timeouts, retries, default sampling."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.models import Sampling


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
