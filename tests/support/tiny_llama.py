"""Build a tiny LLaMA-2-format GGUF (SentencePiece vocabulary, random weights) for engine tests."""

from __future__ import annotations

import io
from pathlib import Path

import gguf
import numpy as np
import sentencepiece as spm

EMBEDDING = 64
BLOCKS = 2
HEADS = 4
FEED_FORWARD = 128
CONTEXT = 512
# 256 byte pieces and 3 control tokens come first, so ~300 leaves too little for characters.
VOCAB = 384
SEED = 1234
TOKENIZER_NAME = "tokenizer.model"

# English and Korean so that byte fallback and multi-byte detokenising are exercised.
TRAINING_TEXT = [
    "The Glimmerstone Tower stands in the harbour town of Vellmora.",
    "It was built in 1887 by the engineer Odile Marchetti.",
    "Lunch is served in the canteen from noon until two.",
    "Answer the question using only the numbered passages and cite them.",
    "If the passages do not hold the answer, say that you do not know.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "System user assistant instruction question answer passage source.",
    "안녕하세요, 저는 팀의 지식 도우미입니다.",
    "점심은 정오부터 두 시까지 구내식당에서 제공됩니다.",
    "질문에 답할 때는 번호가 붙은 구절만 사용하세요.",
]


def _train_tokenizer() -> bytes:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_TEXT * 4),
        model_writer=model,
        model_type="bpe",
        vocab_size=VOCAB,
        byte_fallback=True,
        # The rarest Korean characters are left to byte fallback, as in LLaMA's vocabulary.
        character_coverage=0.98,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        hard_vocab_limit=False,
        # As LLaMA's own tokenizer: text kept as is, digits split, so llama.cpp's
        # tokenizer (which never normalises) gives the same ids as SentencePiece.
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        minloglevel=2,
    )
    return model.getvalue()


def _token_type(processor: spm.SentencePieceProcessor, token_id: int) -> gguf.TokenType:
    if processor.is_unknown(token_id):
        return gguf.TokenType.UNKNOWN
    if processor.is_control(token_id):
        return gguf.TokenType.CONTROL
    if processor.is_byte(token_id):
        return gguf.TokenType.BYTE
    if processor.is_unused(token_id):
        return gguf.TokenType.UNUSED
    return gguf.TokenType.NORMAL


def build_tiny_llama_gguf(directory: Path) -> Path:
    """Write `tiny-llama.gguf` into `directory` and return its path (deterministic, <1 s).

    The SentencePiece model it was made from is written beside it as `tokenizer.model`, so a
    test can compare an engine's tokens with SentencePiece's own.
    """
    proto = _train_tokenizer()
    (directory / TOKENIZER_NAME).write_bytes(proto)
    processor = spm.SentencePieceProcessor(model_proto=proto)
    size = processor.get_piece_size()
    tokens = [processor.id_to_piece(i).encode("utf-8") for i in range(size)]
    scores = [processor.get_score(i) for i in range(size)]
    types = [_token_type(processor, i) for i in range(size)]

    path = directory / "tiny-llama.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama-test")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBEDDING)
    writer.add_block_count(BLOCKS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_rope_dimension_count(EMBEDDING // HEADS)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(processor.bos_id())
    writer.add_eos_token_id(processor.eos_id())
    writer.add_unk_token_id(processor.unk_id())

    rng = np.random.default_rng(SEED)

    def weights(*shape: int) -> np.ndarray:
        # numpy shape is (rows, cols); GGUF stores it reversed, as ggml expects.
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    def ones(length: int) -> np.ndarray:
        return np.ones(length, dtype=np.float32)

    writer.add_tensor("token_embd.weight", weights(size, EMBEDDING))
    writer.add_tensor("output_norm.weight", ones(EMBEDDING))
    writer.add_tensor("output.weight", weights(size, EMBEDDING))
    for block in range(BLOCKS):
        prefix = f"blk.{block}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", ones(EMBEDDING))
        writer.add_tensor(f"{prefix}.attn_q.weight", weights(EMBEDDING, EMBEDDING))
        writer.add_tensor(f"{prefix}.attn_k.weight", weights(EMBEDDING, EMBEDDING))
        writer.add_tensor(f"{prefix}.attn_v.weight", weights(EMBEDDING, EMBEDDING))
        writer.add_tensor(f"{prefix}.attn_output.weight", weights(EMBEDDING, EMBEDDING))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", ones(EMBEDDING))
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weights(FEED_FORWARD, EMBEDDING))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weights(FEED_FORWARD, EMBEDDING))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weights(EMBEDDING, FEED_FORWARD))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
