"""Whole answers on the labelled set: what people get back, with the real model.

The eight documents of tests/data/retrieval are shared into one channel the way users
share files, and every question is asked in its own thread (no follow-up history, channel
memory off, so each answer depends on the documents alone). Printed per kind:
- answerable questions (same language, across, names in the other script): the reply
  states the fact and cites its document;
- near-topic questions (the right document does not hold the answer): the reply says the
  sources are related but do not say it, naming what it read, instead of inventing;
- unrelated questions: "nothing found", no source named.

    python bench/answer_bench.py [--kinds near-topic unrelated ...] [--every N]
        [--model PATH]  (default: the bundled offline model, 1.5B; seed 7;
        models/qwen2.5-coder-0.5b-instruct.gguf for the tests' small one)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.retrieval_set import Question, documents, load_questions
from bots.bootstrap import bootstrap
from config.settings import load_settings
from core.language import ENGLISH, KOREAN
from core.messages import say
from core.models import Attachment, Author, ChannelRef, IncomingMessage
from tests.fakes import RecordingChat

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "qwen2.5-coder-1.5b-instruct.gguf"  # the bot's offline default
CHANNEL = ChannelRef("bench", "answers", "labelled-set")
ASKER = Author("u1", "Mina", is_admin=True)
LANGUAGES = (ENGLISH, KOREAN)
NOTHING = tuple(say("nothing_found", language) for language in LANGUAGES)
NOT_STATED = tuple(
    say("not_stated", language, looked="\0").partition("\0")[0] for language in LANGUAGES
)
SOURCES = tuple(f"{say('sources_header', language)}:" for language in LANGUAGES)


def judge(question: Question, reply: str) -> str:
    """What the reply did: right, cited-wrong, wrong, not-stated, nothing, invented."""
    if any(text in reply for text in NOTHING):
        return "nothing"
    if any(text in reply for text in NOT_STATED):
        return "not-stated"
    if not question.answerable:
        return "answered"
    answer, sources = reply, ""
    for header in SOURCES:
        if header in reply:
            answer, _, sources = reply.partition(header)
    stated = [
        accepted
        for accepted in question.accepted
        if all(
            any(re.search(re.escape(option), answer, re.IGNORECASE) for option in fact.split("|"))
            for fact in accepted.answer
        )
    ]
    if any(accepted.document in sources for accepted in stated):
        return "right"
    return "fact-uncited" if stated else "wrong"


GOOD = {
    "same": "right",
    "cross": "right",
    "hangul-name": "right",
    "romanised-name": "right",
    "near-topic": "not-stated",
    "unrelated": "nothing",
}


async def main() -> None:
    """Share the documents, ask, print what each kind of question got."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kinds", nargs="+", default=sorted(GOOD))
    parser.add_argument("--every", type=int, default=1, help="ask every N-th question")
    parser.add_argument("--model", default=str(MODEL))
    parser.add_argument("--show", action="store_true", help="print every reply")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragbot-answers-") as data_dir:
        settings = load_settings(
            data_dir=Path(data_dir),
            llm={"model_path": arguments.model, "seed": 7},
            memory={"enabled": False},
            limits={"questions_per_minute_per_person": 0, "questions_per_minute_per_channel": 0},
        )
        runtime = bootstrap(settings)
        try:
            chat = RecordingChat(message_limit=4000, min_edit_interval=0.0)
            shared = tuple(Attachment(path.name, str(path)) for path in documents())
            await runtime.bot.handle(
                IncomingMessage(CHANNEL, ASKER, "", uuid.uuid4().hex, attachments=shared), chat
            )
            questions = [q for q in load_questions() if q.kind in arguments.kinds]
            questions = questions[:: arguments.every]
            outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            seconds: list[float] = []
            for question in questions:
                before = len(chat.order)
                message = IncomingMessage(
                    CHANNEL, ASKER, question.question, uuid.uuid4().hex, thread_id=question.id
                )
                started = time.perf_counter()
                await runtime.bot.handle(message, chat)
                seconds.append(time.perf_counter() - started)
                reply = "\n".join(chat.texts[m] for m in chat.order[before:])
                outcome = judge(question, reply)
                outcomes[question.kind][outcome] += 1
                if arguments.show or outcome != GOOD[question.kind]:
                    flat = " ".join(reply.split())[:220]
                    print(f"  [{question.kind} -> {outcome}] {question.question} => {flat}")
        finally:
            await runtime.close()
    print(f"{len(questions)} questions, {sum(seconds) / len(seconds):.1f} s an answer on average")
    for kind in sorted(outcomes):
        counts = outcomes[kind]
        total = sum(counts.values())
        good = counts.get(GOOD[kind], 0)
        spread = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        print(f"{kind:<15} {GOOD[kind]} {good}/{total}  ({spread})")


if __name__ == "__main__":
    asyncio.run(main())
