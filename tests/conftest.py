"""Fixtures shared by adapter and end-to-end tests."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"
STARTUP_DEADLINE = 180.0


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """A real `python -m llama_cpp.server` with the offline model; yields its /v1 URL."""
    assert MODEL.is_file(), f"{MODEL} is missing: run `make model` (make test does)"
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(MODEL),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
        "--model_alias",
        "qwen",
        "--interrupt_requests",
        "false",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    tail: deque[str] = deque(maxlen=40)
    outcome: queue.Queue[bool] = queue.Queue()

    def drain() -> None:
        # Read the output for the whole run: a full pipe would block the server.
        assert process.stdout is not None
        announced = False
        for line in process.stdout:
            tail.append(line)
            if not announced and "Uvicorn running on" in line:
                announced = True
                outcome.put(True)
        outcome.put(False)

    reader = threading.Thread(target=drain, name="llama-server-output", daemon=True)
    reader.start()
    try:
        try:
            ready = outcome.get(timeout=STARTUP_DEADLINE)
        except queue.Empty:
            ready = False
        if not ready:
            pytest.fail("llama_cpp.server did not start:\n" + "".join(tail))
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
