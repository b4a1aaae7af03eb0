"""Build the answer prompt: instructions, recent exchanges, numbered passages within a budget."""

from __future__ import annotations

from dataclasses import dataclass

from core.citations import describe_location
from core.language import KOREAN
from core.models import ChatTurn, Exchange, Passage
from core.ports import LanguageModel

SYSTEM_PROMPT = (
    "You are ragbot, the knowledge assistant of a team chat. Answer the question using only "
    "the numbered passages. Cite every passage you use with its number in brackets, like [1]. "
    "If the passages do not hold the answer, say that you do not know. Be brief: a few "
    "sentences at most."
)
LANGUAGE_RULE = {
    KOREAN: "Answer in Korean.",
}
DEFAULT_LANGUAGE_RULE = "Answer in the language of the question."
# Tokens a chat template adds around every message (role markers, separators).
TEMPLATE_OVERHEAD_PER_TURN = 12
# Old answers are context, not content: enough to resolve "it", not enough to crowd passages.
HISTORY_ANSWER_CHARS = 400


@dataclass(frozen=True)
class Prompt:
    """The messages to send and the passages they number, in order."""

    messages: list[ChatTurn]
    passages: list[Passage]
    passage_tokens: int


def _passage_block(number: int, passage: Passage) -> str:
    return f"[{number}] ({describe_location(passage)})\n{passage.chunk.text.strip()}"


def _history_turns(history: list[Exchange]) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    for exchange in history:
        answer = exchange.answer.strip()
        if len(answer) > HISTORY_ANSWER_CHARS:
            answer = answer[:HISTORY_ANSWER_CHARS].rstrip() + " …"
        turns += [ChatTurn("user", exchange.question), ChatTurn("assistant", answer)]
    return turns


def _question_turn(question: str, blocks: list[str]) -> ChatTurn:
    passages = "\n\n".join(blocks)
    return ChatTurn("user", f"Passages:\n{passages}\n\nQuestion: {question}")


async def build_prompt(
    question: str,
    language: str,
    passages: list[Passage],
    history: list[Exchange],
    model: LanguageModel,
    token_budget: int,
) -> Prompt:
    """Number as many passages (best first) as fit in `token_budget` and the model's context."""
    system = ChatTurn(
        "system", f"{SYSTEM_PROMPT} {LANGUAGE_RULE.get(language, DEFAULT_LANGUAGE_RULE)}"
    )
    earlier = _history_turns(history)
    fixed_turns = [system, *earlier, _question_turn(question, [])]
    fixed_tokens = 0
    for turn in fixed_turns:
        fixed_tokens += await model.count_tokens(turn.content) + TEMPLATE_OVERHEAD_PER_TURN
    room = model.context_length - model.max_new_tokens - fixed_tokens
    available = min(token_budget, room)

    blocks: list[str] = []
    kept: list[Passage] = []
    used = 0
    for passage in passages:
        block = _passage_block(len(kept) + 1, passage)
        cost = await model.count_tokens(block) + 2
        if used + cost > available:
            if kept or available <= 0:
                break
            # Even the best passage is too long: keep the share of it that fits.
            share = available / cost
            block = block[: int(len(block) * share)]
            cost = await model.count_tokens(block)
        blocks.append(block)
        kept.append(passage)
        used += cost
    messages = [system, *earlier, _question_turn(question, blocks)]
    return Prompt(messages=messages, passages=kept, passage_tokens=used)
