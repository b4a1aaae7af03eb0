"""The other LLM backends through the bot: ctransformers on a LLaMA-2-format file via the
console process, picked by `auto` from the file's header."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bots.bootstrap import bootstrap
from config.settings import Settings, load_settings
from core.models import ChannelRef
from tests.e2e.conftest import GLIMMER_TEXT, ROOT, Conversation
from tests.support.servers import free_port
from tests.support.tiny_llama import build_tiny_llama_gguf


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama_gguf(tmp_path_factory.mktemp("tiny-llama"))


def test_console_answers_through_ctransformers_chosen_by_auto(
    tmp_path: Path, tiny_llama: Path
) -> None:
    document = tmp_path / "glimmerstone.txt"
    document.write_text(GLIMMER_TEXT, encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {
        "RAGBOT_DATA_DIR": str(tmp_path / "data"),
        "RAGBOT_LLM__MODEL_PATH": str(tiny_llama),
        "RAGBOT_LLM__MAX_NEW_TOKENS": "24",
        "RAGBOT_LLM__SEED": "3",
    }

    result = subprocess.run(
        [sys.executable, "-m", "bots", "console", "--channel", "alpha"],
        cwd=ROOT,
        env=environment,
        input=f"/index {document}\nWhen was the Glimmerstone Tower built?\n",
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stderr
    assert f"model {tiny_llama.name} (ctransformers)" in result.stderr
    assert "Indexed *glimmerstone.txt*" in result.stdout
    assert "Summary: " in result.stdout, "the summary came from ctransformers too"
    # Random weights say nothing sensible, but the answer went the whole way: streamed by
    # the LLaMA-2 runtime, closed with the Sources list (or, when the noise holds digits
    # the passage does not, with the line naming what was read).
    answer = result.stdout.split("Indexed *glimmerstone.txt*", 1)[1].rstrip()
    assert answer.endswith(
        ("Sources:\n[1] glimmerstone.txt", "do not say that. I looked at: glimmerstone.txt.")
    )
    assert "Traceback" not in result.stderr


CHANNEL = ChannelRef("console", "e2e", "server")


def server_settings(data_dir: Path, base_url: str, **openai: object) -> Settings:
    return load_settings(
        data_dir=data_dir,
        llm={
            "backend": "openai",
            "context_length": 2048,
            "seed": 7,
            "openai": {"base_url": base_url, "model": "qwen", "retries": 0, **openai},
        },
    )


@pytest.mark.asyncio(loop_scope="session")
async def test_bot_answers_through_a_model_server(
    llama_server: str, tmp_path: Path, documents: dict[str, Path]
) -> None:
    runtime = bootstrap(server_settings(tmp_path, llama_server))
    try:
        conversation = Conversation(runtime, CHANNEL)
        assert "Indexed *glimmerstone.txt*" in await conversation.share(documents["glimmer"])
        edits_before = conversation.chat.count("edit")

        reply = await conversation.say("When was the Glimmerstone Tower built?")

        answer, _, sources = reply.partition("Sources:")
        assert "1887" in answer
        assert "glimmerstone.txt" in sources
        assert conversation.chat.count("edit") - edits_before >= 3, "streamed in pieces"
    finally:
        await runtime.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_model_server_that_is_down_gets_a_clear_reply_and_the_bot_keeps_serving(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    runtime = bootstrap(server_settings(tmp_path, base_url))
    try:
        await runtime.warm_up()  # a server down at start-up is not fatal
        conversation = Conversation(runtime, CHANNEL)
        assert "Indexed *glimmerstone.txt*" in await conversation.share(documents["glimmer"])

        first = await conversation.say("When was the Glimmerstone Tower built?")
        second = await conversation.say("sources")

        assert f"The model server at {base_url} is not answering" in first
        assert "1. glimmerstone.txt" in second
    finally:
        await runtime.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_model_server_slower_than_the_timeout_gets_a_clear_reply(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    requests: list[bytes] = []

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.read(65536))
        try:
            await reader.read()  # never answer; wait until the client gives up
        finally:
            writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    runtime = bootstrap(server_settings(tmp_path, base_url, read_timeout=0.5))
    try:
        conversation = Conversation(runtime, CHANNEL)
        await conversation.share(documents["glimmer"])

        reply = await conversation.say("When was the Glimmerstone Tower built?")

        assert f"The model server at {base_url} took more than 0.5 s to answer" in reply
        assert any(b"POST /v1/chat/completions" in request for request in requests)
    finally:
        await runtime.close()
        server.close()
        await server.wait_closed()


def run_doctor(data_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {
        "RAGBOT_DATA_DIR": str(data_dir),
        # The tests run the small offline model (make test assembles it, not the default).
        "RAGBOT_LLM__OFFLINE_MODEL_PATH": "models/qwen2.5-coder-0.5b-instruct.gguf",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-m", "bots", "doctor"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_doctor_shows_what_would_run_and_checks_each_engine(tmp_path: Path) -> None:
    result = run_doctor(tmp_path / "data")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout
    assert "llm backend      llama-cpp (auto: qwen2.5-coder-0.5b-instruct.gguf is qwen2" in lines
    assert "model file       models/qwen2.5-coder-0.5b-instruct.gguf (491 MB)" in lines
    assert "default model    " in lines and "llama-2-7b-chat.Q4_K_M.gguf (missing" in lines
    assert f"vector store     Qdrant Edge in {(tmp_path / 'data' / 'qdrant').resolve()}" in lines
    assert "ok   language model" in lines
    assert "ok   embedder         e5 384 dimensions, use 512 dimensions" in lines
    assert "ok   vector store" in lines


def test_doctor_names_an_engine_that_fails(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"

    result = run_doctor(
        tmp_path / "data",
        RAGBOT_LLM__BACKEND="openai",
        RAGBOT_LLM__OPENAI__BASE_URL=base_url,
        RAGBOT_LLM__OPENAI__RETRIES="0",
    )

    assert result.returncode == 1
    assert f"model server     {base_url}" in result.stdout
    assert f"FAIL language model   The model server at {base_url} is not answering" in result.stdout
    assert "ok   embedder" in result.stdout


@pytest.mark.asyncio(loop_scope="session")
async def test_the_real_model_server_slower_than_a_tiny_timeout_gets_a_clear_reply(
    llama_server: str, tmp_path: Path, documents: dict[str, Path]
) -> None:
    # No model evaluates a prompt in a millisecond: the real server is "slow" here.
    runtime = bootstrap(server_settings(tmp_path, llama_server, read_timeout=0.001))
    try:
        conversation = Conversation(runtime, CHANNEL)
        await conversation.share(documents["glimmer"])

        reply = await conversation.say("When was the Glimmerstone Tower built?")

        assert f"The model server at {llama_server} took more than 0.001 s to answer" in reply
        assert "1. glimmerstone.txt" in await conversation.say("sources")
    finally:
        await runtime.close()


def test_offline_start_up_says_in_one_line_that_it_runs_the_bundled_model(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {
        "RAGBOT_DATA_DIR": str(tmp_path / "data"),
        # The default model's address is a closed port on loopback: "offline".
        "RAGBOT_LLM__DEFAULT_MODEL_URL": f"http://127.0.0.1:{free_port()}/llama-2-7b-chat.gguf",
        "RAGBOT_LLM__OFFLINE_MODEL_PATH": str(ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"),
    }

    result = subprocess.run(
        [sys.executable, "-m", "bots", "console"],
        cwd=ROOT,
        env=environment,
        input="help\n",
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "could not be had" in line]
    assert len(notices) == 1
    assert notices[0].startswith("WARNING ragbot: The default model llama-2-7b-chat.gguf")
    assert notices[0].endswith(
        "running the bundled offline model qwen2.5-coder-0.5b-instruct.gguf instead."
    )
    assert "model qwen2.5-coder-0.5b-instruct.gguf (llama-cpp)" in result.stderr
    assert "Commands:" in result.stdout


# As the AMX miscompilation does: a prompt past a few tokens kills the process with SIGILL.
CRASHING_ENGINE = """\
import os, signal
import llama_cpp

_eval = llama_cpp.Llama.eval

def eval(self, tokens):
    if len(tokens) > 64:
        os.kill(os.getpid(), signal.SIGILL)
    return _eval(self, tokens)

llama_cpp.Llama.eval = eval
"""


@pytest.fixture
def crashing_engine(tmp_path: Path) -> dict[str, str]:
    """Environment variables under which llama.cpp dies with SIGILL on a long prompt."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(CRASHING_ENGINE, encoding="utf-8")
    return {"PYTHONPATH": str(hooks)}


def test_doctor_reports_an_engine_that_crashes_on_a_long_prompt_and_checks_the_rest(
    tmp_path: Path, crashing_engine: dict[str, str]
) -> None:
    result = run_doctor(tmp_path / "data", **crashing_engine)

    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "FAIL language model   the llama-cpp engine crashed with SIGILL (illegal instruction) "
        "on qwen2.5-coder-0.5b-instruct.gguf evaluating a long prompt: "
    ) in result.stdout
    assert "`make engine LLAMA_CPU=portable`" in result.stdout
    assert "ok   embedder         e5 384 dimensions, use 512 dimensions" in result.stdout
    assert "ok   vector store" in result.stdout


def test_the_engine_check_make_runs_stops_with_the_cause_and_the_fix(
    crashing_engine: dict[str, str],
) -> None:
    model = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"

    result = subprocess.run(
        [sys.executable, "-m", "bots.engine_probe", "--model", str(model)],
        cwd=ROOT,
        env={**os.environ, **crashing_engine},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert message[0].startswith("ragbot: the engine check failed: the llama-cpp engine crashed")
    assert "make engine LLAMA_CPU=portable" in message[0]


def test_a_native_crash_while_answering_leaves_the_engine_and_stack_in_the_log(
    tmp_path: Path, crashing_engine: dict[str, str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(GLIMMER_TEXT, encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {
        "RAGBOT_DATA_DIR": str(tmp_path / "data"),
        "RAGBOT_LLM__MODEL_PATH": str(ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"),
        **crashing_engine,
    }

    result = subprocess.run(
        [sys.executable, "-m", "bots", "console"],
        cwd=ROOT,
        env=environment,
        input=f"/index {notes}\nWhen was the Glimmerstone Tower built?\n",
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode != 0
    log = (tmp_path / "data" / "logs" / "ragbot.log").read_text(encoding="utf-8")
    assert "language model: llama-cpp running" in log
    assert "Fatal Python error: Illegal instruction" in log
    assert "adapters/llm_llama_cpp.py" in log
