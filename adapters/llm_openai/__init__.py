"""LanguageModel over an OpenAI-compatible server: vLLM, Ollama, llama.cpp, llama_cpp.server."""

from adapters.llm_openai.config import OpenAIConfig
from adapters.llm_openai.model import OpenAICompatibleModel

__all__ = ["OpenAICompatibleModel", "OpenAIConfig"]
