"""Every fixed sentence the bot says, in English and Korean."""

from __future__ import annotations

from core.language import ENGLISH, KOREAN

_CATALOG: dict[str, dict[str, str]] = {
    "nothing_found": {
        ENGLISH: "This channel's sources hold nothing on that. "
        "Share a file or a link here and ask again.",
        KOREAN: "이 채널의 자료에는 그에 관한 내용이 없습니다. "
        "파일이나 링크를 공유한 뒤 다시 물어봐 주세요.",
    },
    "apology": {
        ENGLISH: "Sorry, something went wrong on my side (ref {ref}).",
        KOREAN: "죄송합니다. 처리 중 문제가 생겼습니다 (참조 {ref}).",
    },
    "empty_question": {
        ENGLISH: "Ask me a question about this channel's sources, or type `help`.",
        KOREAN: "이 채널의 자료에 대해 질문하시거나 `help`를 입력해 주세요.",
    },
    "sources_header": {ENGLISH: "Sources", KOREAN: "출처"},
    "indexed": {
        ENGLISH: "Indexed *{title}*: {chunks} chunks.",
        KOREAN: "*{title}* 색인 완료: 청크 {chunks}개.",
    },
    "reindexed": {
        ENGLISH: "Re-indexed *{title}*: {chunks} chunks (the old copy was replaced).",
        KOREAN: "*{title}* 다시 색인 완료: 청크 {chunks}개 (이전 내용을 교체했습니다).",
    },
    "index_failed": {
        ENGLISH: "Could not index *{title}*: {reason}",
        KOREAN: "*{title}*을(를) 색인하지 못했습니다: {reason}",
    },
    "index_progress": {
        ENGLISH: "Indexing {done}/{total}: {title}",
        KOREAN: "색인 중 {done}/{total}: {title}",
    },
    "index_batch_done": {
        ENGLISH: "Indexed {ok} of {total} files.",
        KOREAN: "파일 {total}개 중 {ok}개를 색인했습니다.",
    },
    "no_sources": {
        ENGLISH: "This channel has no sources yet. Share a file or a link to add one.",
        KOREAN: "이 채널에는 아직 자료가 없습니다. 파일이나 링크를 공유해 추가하세요.",
    },
    "sources_list": {
        ENGLISH: "This channel's sources ({count}):",
        KOREAN: "이 채널의 자료 ({count}개):",
    },
    "forget_usage": {
        ENGLISH: "Say which source to forget: `forget <number or title>` (see `sources`).",
        KOREAN: "잊을 자료를 지정해 주세요: `forget <번호 또는 제목>` (`sources` 참고).",
    },
    "forget_none": {
        ENGLISH: "No source here matches “{query}”. `sources` lists them.",
        KOREAN: "“{query}”에 해당하는 자료가 없습니다. `sources`로 목록을 확인하세요.",
    },
    "forget_ambiguous": {
        ENGLISH: "“{query}” matches several sources: {titles}. Use the number from `sources`.",
        KOREAN: "“{query}”에 여러 자료가 해당합니다: {titles}. `sources`의 번호를 사용하세요.",
    },
    "source_ready": {
        ENGLISH: "{number}. {title}: {chunks} chunks{added}",
        KOREAN: "{number}. {title}: 청크 {chunks}개{added}",
    },
    "source_added": {
        ENGLISH: ", added {date} by {who}",
        KOREAN: ", {date} {who} 추가",
    },
    "source_added_date": {ENGLISH: ", added {date}", KOREAN: ", {date} 추가"},
    "source_indexing": {
        ENGLISH: "{number}. {title}: being indexed{added}",
        KOREAN: "{number}. {title}: 색인 중{added}",
    },
    "source_queued": {
        ENGLISH: "{number}. {title}: waiting to be indexed{added}",
        KOREAN: "{number}. {title}: 색인 대기 중{added}",
    },
    "source_failed": {
        ENGLISH: "{number}. {title}: failed ({reason}){added}",
        KOREAN: "{number}. {title}: 실패 ({reason}){added}",
    },
    "forgotten": {
        ENGLISH: "Forgot *{title}* ({chunks} chunks removed).",
        KOREAN: "*{title}*을(를) 잊었습니다 (청크 {chunks}개 삭제).",
    },
    "reset_done": {
        ENGLISH: "Reset this channel: {sources} sources and the conversation are forgotten.",
        KOREAN: "이 채널을 초기화했습니다: 자료 {sources}개와 대화를 잊었습니다.",
    },
    "again_nothing": {
        ENGLISH: "There is no answer of mine here to redo yet. Ask a question first.",
        KOREAN: "다시 생성할 답변이 아직 없습니다. 먼저 질문해 주세요.",
    },
    "unknown_command": {
        ENGLISH: "I don't know the command `{name}`. Type `help` for the list.",
        KOREAN: "`{name}` 명령은 없습니다. `help`로 목록을 확인하세요.",
    },
    "generation_stopped": {
        ENGLISH: "(Stopped: the answer took longer than {seconds:g} s.)",
        KOREAN: "(중단됨: 답변이 {seconds:g}초를 넘겼습니다.)",
    },
    "summary": {ENGLISH: "Summary: {summary}", KOREAN: "요약: {summary}"},
    "migrating": {
        ENGLISH: "Re-embedding this channel's sources for the new search model (once)…",
        KOREAN: "새 검색 모델에 맞게 이 채널의 자료를 다시 임베딩하는 중입니다 (한 번만)…",
    },
    "migration_progress": {
        ENGLISH: "re-embedding chunks",
        KOREAN: "청크 다시 임베딩",
    },
    "settings_list": {
        ENGLISH: "Settings of this channel (change one with `settings <name> <value>`):\n{lines}",
        KOREAN: "이 채널의 설정 (`settings <이름> <값>`으로 바꿀 수 있습니다):\n{lines}",
    },
    "setting_changed": {
        ENGLISH: "Set {name} to {value} in this channel.",
        KOREAN: "이 채널의 {name} 설정을 {value}(으)로 바꿨습니다.",
    },
    "setting_unknown": {
        ENGLISH: "There is no setting `{name}`. The settings are: {names}.",
        KOREAN: "`{name}`라는 설정은 없습니다. 설정 목록: {names}.",
    },
    "setting_bad_value": {
        ENGLISH: "{name} takes one of: {values}.",
        KOREAN: "{name} 설정에는 다음 중 하나를 쓸 수 있습니다: {values}.",
    },
    "admin_only": {
        ENGLISH: "Only an admin of this workspace can `{command}`.",
        KOREAN: "`{command}`은(는) 이 워크스페이스의 관리자만 할 수 있습니다.",
    },
    "reset_confirm": {
        ENGLISH: "This forgets all {sources} sources of this channel and its conversation. "
        "Type `reset confirm` to go ahead.",
        KOREAN: "이 채널의 자료 {sources}개와 대화를 모두 잊습니다. "
        "계속하려면 `reset confirm`을 입력하세요.",
    },
    "rate_limited": {
        ENGLISH: "That is a lot of questions at once: please ask again in {seconds} s.",
        KOREAN: "질문이 너무 많습니다. {seconds}초 뒤에 다시 물어봐 주세요.",
    },
    "queued": {
        ENGLISH: "Waiting for the model: {ahead} question(s) ahead of yours.",
        KOREAN: "모델을 기다리는 중입니다: 앞에 질문 {ahead}개가 있습니다.",
    },
    "not_stated": {
        ENGLISH: "The sources I found are related but do not say that. I looked at: {looked}.",
        KOREAN: "찾은 자료가 관련은 있지만 그 내용은 나와 있지 않습니다. 살펴본 자료: {looked}.",
    },
}


def say(key: str, language: str = ENGLISH, **values: object) -> str:
    """The sentence `key` in `language` (English when missing), filled with `values`."""
    variants = _CATALOG[key]
    template = variants.get(language, variants[ENGLISH])
    return template.format(**values)
