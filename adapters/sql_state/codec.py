"""A LastAnswer to JSON and back, so an answer can be generated again after a restart."""

from __future__ import annotations

import json
from typing import Any

from core.conversation import LastAnswer
from core.models import ChannelRef, Exchange, MessageRef, Passage
from core.payload import chunk_to_payload, payload_to_chunk


def encode_answer(answer: LastAnswer) -> str:
    """The parts of `answer` its row's columns do not hold, as JSON."""
    return json.dumps(
        {
            "passages": [_passage(passage) for passage in answer.passages],
            "history": [[exchange.question, exchange.answer] for exchange in answer.history],
            "messages": [_message(ref) for ref in answer.messages],
            "regenerations": answer.regenerations,
        },
        ensure_ascii=False,
    )


def decode_answer(question: str, language: str, body: str) -> LastAnswer:
    """The LastAnswer a row holds."""
    data = json.loads(body)
    return LastAnswer(
        question=question,
        language=language,
        passages=[
            Passage(
                payload_to_chunk(item["chunk"]),
                float(item["score"]),
                tuple(payload_to_chunk(chunk) for chunk in item["context"]),
            )
            for item in data["passages"]
        ],
        history=[Exchange(question, answer) for question, answer in data["history"]],
        messages=[
            MessageRef(
                ChannelRef(item["platform"], item["workspace"], item["channel"]),
                item["message_id"],
                item["thread_id"],
            )
            for item in data["messages"]
        ],
        regenerations=int(data.get("regenerations", 0)),
    )


def _passage(passage: Passage) -> dict[str, Any]:
    return {
        "chunk": chunk_to_payload(passage.chunk),
        "score": passage.score,
        "context": [chunk_to_payload(chunk) for chunk in passage.context],
    }


def _message(ref: MessageRef) -> dict[str, Any]:
    return {
        "platform": ref.channel.platform,
        "workspace": ref.channel.workspace,
        "channel": ref.channel.channel,
        "message_id": ref.message_id,
        "thread_id": ref.thread_id,
    }
