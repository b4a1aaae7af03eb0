"""A language-model check on a prompt of several hundred tokens, run in a child process.

A native engine built for instructions the CPU lacks (or miscompiled, as GCC 12 does with
ggml's AMX path) dies with a signal only once a prompt is long enough to reach its matrix
kernels: a one-token prompt passes. The check therefore evaluates a long prompt, and runs it
in a child process so that such a crash becomes a report instead of killing the caller.

    python -m bots.engine_probe                      # the model the settings name
    python -m bots.engine_probe --model FILE.gguf    # that file, through llama-cpp

`python -m bots doctor` runs every engine check (language model, embedder, vector store)
this way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import UserFacingError
from core.models import ChannelRef, ChatTurn, Sampling
from core.naming import CollectionPurpose, collection_name
from core.ports import LanguageModel

if TYPE_CHECKING:
    from config.settings import Settings

# Several hundred tokens of ordinary prose (about 450 in Qwen's and LLaMA's vocabularies).
_PARAGRAPH = (
    "The harbour office opens at seven in the morning and closes at six in the evening. "
    "Ferries to the northern islands leave every two hours; the last one departs at five. "
    "Tickets are sold at the kiosk beside the fish market, and children under twelve travel "
    "free when they are with an adult. Bicycles may be taken on board for a small fee. "
)
PROBE_TEXT = " ".join([_PARAGRAPH] * 6)
PROBE_QUESTION = "Read the notice above, then reply with the single word OK."
PROBE_TIMEOUT_SECONDS = 300.0
_REPORT_PREFIX = "engine-probe: "


@dataclass(frozen=True)
class ProbeResult:
    """What the check found: whether the engine answered, and one line saying so."""

    ok: bool
    detail: str


async def probe(model: LanguageModel) -> str:
    """Evaluate the long prompt and a few tokens through `model`; describe what happened."""
    prompt = f"{PROBE_TEXT}\n\n{PROBE_QUESTION}"
    tokens = await model.count_tokens(prompt)
    pieces = [
        piece
        async for piece in model.stream(
            [ChatTurn("user", prompt)], Sampling(temperature=0.0, max_new_tokens=4)
        )
    ]
    return f"evaluated a {tokens}-token prompt, generated {''.join(pieces).strip()!r}"


def _emit(payload: dict[str, object]) -> None:
    print(_REPORT_PREFIX + json.dumps(payload), flush=True)


async def _check_language_model(settings: Settings, model_path: str | None) -> str:
    from bots.bootstrap import build_model
    from bots.model_choice import ModelChoice, choose_model

    if model_path:
        choice = ModelChoice("llama-cpp", Path(model_path), "given")
    else:
        choice = choose_model(settings, download=None)
    where = str(choice.path) if choice.path else settings.llm.openai.base_url
    _emit({"engine": choice.backend, "model": where})
    model = build_model(settings, choice)
    try:
        load = getattr(model, "load", None)
        if load is not None:
            await load()
        return await probe(model)
    finally:
        close = getattr(model, "close", None)
        if close is not None:
            await close()


async def _check_embedder(settings: Settings, _: str | None) -> str:
    from bots.bootstrap import build_embeddings

    _emit({"engine": settings.embedder.backend, "model": ""})
    embeddings = build_embeddings(settings)
    query = await embeddings.embed_query("doctor")
    return ", ".join(f"{name} {len(vector)} dimensions" for name, vector in query.vectors.items())


async def _check_vector_store(settings: Settings, _: str | None) -> str:
    from bots.bootstrap import build_store

    _emit({"engine": f"Qdrant {settings.store.backend}", "model": ""})
    store = build_store(settings)
    try:
        probe_collection = collection_name(
            ChannelRef("doctor", "doctor", "doctor"), CollectionPurpose.DOCUMENTS, "probe"
        )
        return f"reachable ({await store.count(probe_collection)} points in the probe collection)"
    finally:
        await store.close()


CHECKS: dict[str, Callable[[Settings, str | None], Awaitable[str]]] = {
    "language model": _check_language_model,
    "embedder": _check_embedder,
    "vector store": _check_vector_store,
}


async def _child(check: str, model_path: str | None) -> int:
    """In the child: run one check against the engines the settings name."""
    from config.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        _emit({"ok": True, "detail": await CHECKS[check](settings, model_path)})
        return 0
    except SettingsError as error:
        _emit({"ok": False, "detail": str(error)})
    except UserFacingError as error:
        _emit({"ok": False, "detail": error.message})
    except Exception as error:
        _emit({"ok": False, "detail": traceback.format_exception_only(error)[-1].strip()})
    return 1


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def crash_advice(engine: str, flags: set[str]) -> str:
    """The cause and the fix of a native crash, in one sentence, for this CPU."""
    if engine == "ctransformers":
        return (
            "ctransformers' prebuilt library does not run on this CPU; "
            "set llm.backend = llama-cpp with a GGUF file it can load"
        )
    if engine != "llama-cpp":
        return "the model runtime crashed"
    if flags and "avx2" not in flags and "asimd" not in flags:
        return (
            "this CPU has no AVX2, which the portable llama.cpp build needs; rebuild with "
            "`make engine LLAMA_CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF'`"
        )
    return (
        "llama.cpp was built for instructions this CPU cannot run (a native or AVX-512 "
        "build, or ggml's AMX path, which GCC 12 miscompiles); rebuild it portably with "
        "`make engine LLAMA_CPU=portable` (the default)"
    )


def _signal_name(returncode: int) -> str:
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
    return {"SIGILL": "SIGILL (illegal instruction)", "SIGSEGV": "SIGSEGV (segfault)"}.get(
        name, name
    )


def interpret(returncode: int, output: str, flags: set[str]) -> ProbeResult:
    """Turn the child's exit and its report lines into one result."""
    engine, model, result = "the model", "", None
    for line in output.splitlines():
        if not line.startswith(_REPORT_PREFIX):
            continue
        report = json.loads(line[len(_REPORT_PREFIX) :])
        if "engine" in report:
            engine, model = str(report["engine"]), str(report["model"])
        else:
            result = ProbeResult(bool(report["ok"]), str(report["detail"]))
    if returncode >= 0 and result is not None:
        return result
    if returncode < 0:
        cause = _signal_name(returncode)
        where = f" on {Path(model).name}" if model else ""
        return ProbeResult(
            False,
            f"the {engine} engine crashed with {cause}{where} evaluating a long prompt: "
            f"{crash_advice(engine, flags)}",
        )
    last = output.strip().splitlines()[-1:] or ["no output"]
    return ProbeResult(False, f"the {engine} check exited with status {returncode}: {last[0]}")


def run_probe(
    check: str = "language model",
    model_path: Path | None = None,
    timeout: float = PROBE_TIMEOUT_SECONDS,
) -> ProbeResult:
    """Run one check in a child process and report, whatever happens to the child."""
    command = [sys.executable, "-m", "bots.engine_probe", "--child", check]
    if model_path is not None:
        command += ["--model", str(model_path)]
    environment = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"the {check} check took over {timeout:.0f} s")
    return interpret(done.returncode, done.stdout + done.stderr, _cpu_flags())


def main(argv: list[str] | None = None) -> int:
    """`make` runs this after installing the engine: one line, exit 1 on failure."""
    parser = argparse.ArgumentParser(prog="python -m bots.engine_probe")
    parser.add_argument("--model", help="a GGUF file run by llama-cpp (default: the settings')")
    parser.add_argument("--child", choices=sorted(CHECKS), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        return asyncio.run(_child(arguments.child, arguments.model))
    model = Path(arguments.model) if arguments.model else None
    result = run_probe("language model", model)
    if result.ok:
        print(f"==> Engine check passed: {result.detail}.")
        return 0
    print(f"ragbot: the engine check failed: {result.detail}.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
