"""Build the answer prompt: instructions, recent exchanges, numbered passages within a budget."""

from __future__ import annotations

from dataclasses import dataclass

from core.citations import describe_location
from core.context import context_text
from core.language import LANGUAGE_NAMES
from core.models import ChatTurn, Exchange, Passage
from core.ports import LanguageModel

# Measured on the offline 0.5B model (bench notes in the README): asking it to cite [n]
# inline made it print bracket runs ("[1] [2] [3]") instead of answers, and instructions
# before the passages were ignored. Plain numbered passages with the instruction after the
# question give clean answers; citations are then found by core.citations.
SYSTEM_PROMPT = (
    "You are ragbot, the knowledge assistant of a team chat. You answer questions from the "
    "passages the user gives."
)
ANSWER_RULE = (
    "Answer the question in one or two sentences in {language}, using only the passages "
    "above. If they do not say, answer that you do not know."
)
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
    return f"Passage {number} (from {describe_location(passage)}):\n{context_text(passage)}"


def _history_turns(history: list[Exchange]) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    for exchange in history:
        answer = exchange.answer.strip()
        if len(answer) > HISTORY_ANSWER_CHARS:
            answer = answer[:HISTORY_ANSWER_CHARS].rstrip() + " …"
        turns += [ChatTurn("user", exchange.question), ChatTurn("assistant", answer)]
    return turns


def _question_turn(question: str, language: str, blocks: list[str]) -> ChatTurn:
    passages = "\n\n".join(blocks)
    rule = ANSWER_RULE.format(language=LANGUAGE_NAMES.get(language, "the language of the question"))
    return ChatTurn("user", f"{passages}\n\nQuestion: {question}\n\n{rule}")


async def build_prompt(
    question: str,
    language: str,
    passages: list[Passage],
    history: list[Exchange],
    model: LanguageModel,
    token_budget: int,
) -> Prompt:
    """Number as many passages (best first) as fit in `token_budget` and the model's context."""
    system = ChatTurn("system", SYSTEM_PROMPT)
    earlier = _history_turns(history)
    fixed_turns = [system, *earlier, _question_turn(question, language, [])]
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
    messages = [system, *earlier, _question_turn(question, language, blocks)]
    return Prompt(messages=messages, passages=kept, passage_tokens=used)
