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
    "internal_error": {ENGLISH: "internal error", KOREAN: "내부 오류"},
    "slack_missing_scope": {
        ENGLISH: "The Slack app lacks the `{scope}` permission: a workspace admin can add it under OAuth & Permissions and reinstall the app.",
        KOREAN: "Slack 앱에 `{scope}` 권한이 없습니다. 워크스페이스 관리자가 OAuth & Permissions에서 추가한 뒤 앱을 다시 설치해 주세요.",
    },
    "slack_not_in_channel": {
        ENGLISH: "I am not a member of this channel: invite me with `/invite @ragbot` and ask again.",
        KOREAN: "저는 이 채널의 멤버가 아닙니다. `/invite @ragbot`으로 초대한 뒤 다시 물어봐 주세요.",
    },
    "slack_failed": {
        ENGLISH: "Slack refused {action} ({code}).",
        KOREAN: "Slack이 {action} 요청을 거부했습니다 ({code}).",
    },
    "link_unsupported": {
        ENGLISH: "I can't index {url}: it is {kind}, not a page, a PDF or a text file.",
        KOREAN: "{url}은(는) 색인할 수 없습니다: 웹 페이지나 PDF, 텍스트가 아닌 {kind} 형식입니다.",
    },
    "link_no_text": {
        ENGLISH: "I found no readable text at {url}.",
        KOREAN: "{url}에서 읽을 수 있는 글을 찾지 못했습니다.",
    },
    "media_private": {
        ENGLISH: "{url} is a private video: I can't watch it. Share a public or unlisted link.",
        KOREAN: "{url}은(는) 비공개 동영상이라 볼 수 없습니다. 공개 또는 일부 공개 링크를 공유해 주세요.",
    },
    "media_sign_in": {
        ENGLISH: "YouTube asks me to sign in to show {url} (its bot check). An admin can set `media.cookies_file`; see the README.",
        KOREAN: "YouTube가 {url}을(를) 보려면 로그인하라고 합니다(봇 확인). 관리자가 `media.cookies_file`을 설정할 수 있습니다. README를 참고하세요.",
    },
    "media_age": {
        ENGLISH: "{url} is age-restricted: I can only get it with a signed-in cookies file (`media.cookies_file`).",
        KOREAN: "{url}은(는) 연령 제한 동영상입니다. 로그인된 쿠키 파일(`media.cookies_file`)이 있어야 가져올 수 있습니다.",
    },
    "media_region": {
        ENGLISH: "{url} is not available in the country this bot runs in.",
        KOREAN: "{url}은(는) 이 봇이 실행되는 국가에서 볼 수 없습니다.",
    },
    "media_live": {
        ENGLISH: "{url} is a live stream: share it again once the recording is up.",
        KOREAN: "{url}은(는) 라이브 방송입니다. 녹화본이 올라온 뒤 다시 공유해 주세요.",
    },
    "media_rate_limited": {
        ENGLISH: "The video site is limiting how often I ask ({url}). Try again in a while.",
        KOREAN: "동영상 사이트가 요청 횟수를 제한하고 있습니다({url}). 잠시 후 다시 시도해 주세요.",
    },
    "media_unavailable": {
        ENGLISH: "{url} is unavailable: it was removed or never existed.",
        KOREAN: "{url}은(는) 볼 수 없습니다. 삭제되었거나 없는 동영상입니다.",
    },
    "media_unsupported": {
        ENGLISH: "I can't take videos from that site ({url}).",
        KOREAN: "그 사이트의 동영상은 가져올 수 없습니다({url}).",
    },
    "media_network": {
        ENGLISH: "I couldn't reach {url} (a network error). Try again later.",
        KOREAN: "{url}에 연결하지 못했습니다(네트워크 오류). 나중에 다시 시도해 주세요.",
    },
    "media_failed": {
        ENGLISH: "I couldn't get the video at {url}.",
        KOREAN: "{url}의 동영상을 가져오지 못했습니다.",
    },
    "media_playlist": {
        ENGLISH: "{url} is a playlist: share the videos in it one by one.",
        KOREAN: "{url}은(는) 재생목록입니다. 동영상을 하나씩 공유해 주세요.",
    },
    "media_too_long": {
        ENGLISH: "{url} runs {minutes} minutes; the limit is {limit}.",
        KOREAN: "{url}은(는) {minutes}분짜리입니다. 제한은 {limit}분입니다.",
    },
    "media_too_big": {
        ENGLISH: "{url} is {megabytes} MB; the limit is {limit} MB.",
        KOREAN: "{url}은(는) {megabytes}MB입니다. 제한은 {limit}MB입니다.",
    },
    "media_no_captions": {
        ENGLISH: "*{title}* has no captions, and speech-to-text is off.",
        KOREAN: "*{title}*에는 자막이 없고, 음성 인식이 꺼져 있습니다.",
    },
    "media_indexed": {
        ENGLISH: "Indexed *{title}* ({duration}, {transcript}, {lang}): {chunks} chunk{chunks_s}.",
        KOREAN: "*{title}* 색인 완료 ({duration}, {transcript}, {lang}): 청크 {chunks}개.",
    },
    "transcript_captions": {ENGLISH: "captions", KOREAN: "자막"},
    "transcript_automatic": {ENGLISH: "automatic captions", KOREAN: "자동 자막"},
    "transcript_speech": {ENGLISH: "speech-to-text", KOREAN: "음성 인식"},
    "discord_forbidden": {
        ENGLISH: "I lack the Discord permission to {action} here: a server admin can grant it in the channel's settings.",
        KOREAN: "이 채널에서 {action} 권한이 없습니다. 서버 관리자가 채널 설정에서 권한을 줄 수 있습니다.",
    },
    "discord_no_threads": {
        ENGLISH: "I can't create threads in this channel (the Create Public Threads permission), so I answer here.",
        KOREAN: "이 채널에서는 스레드를 만들 권한(Create Public Threads)이 없어 여기에 답합니다.",
    },
    "discord_no_history": {
        ENGLISH: "I can't read the message history here (the Read Message History permission), so I answer from what I remember of this conversation, which may miss earlier messages.",
        KOREAN: "이 채널의 메시지 기록을 읽을 권한(Read Message History)이 없어, 제가 기억하는 대화만으로 답합니다. 이전 메시지가 빠질 수 있습니다.",
    },
    "already_indexed": {
        ENGLISH: "I already have *{title}* (added {when}); ask away.",
        KOREAN: "*{title}*은(는) 이미 있습니다({when}에 추가). 질문해 주세요.",
    },
    "transcribing": {ENGLISH: "transcribing {title}", KOREAN: "{title} 음성 인식 중"},
    "setting_bad_time_zone": {
        ENGLISH: "{value} is not a time zone I know; use a name such as Asia/Seoul or UTC.",
        KOREAN: "{value}은(는) 알 수 없는 시간대입니다. Asia/Seoul, UTC처럼 써 주세요.",
    },
    "remembering_messages_on": {
        ENGLISH: (
            "From now on I remember what is said in this channel, not only what is asked of "
            "me, with who said it and when (`settings remember_messages off` stops it; "
            "`forget-memory mine` removes yours)."
        ),
        KOREAN: (
            "이제부터 저에게 한 질문뿐 아니라 이 채널의 대화도 누가 언제 말했는지와 함께 "
            "기억합니다(`settings remember_messages off`로 중지, `forget-memory mine`으로 본인 것 삭제)."
        ),
    },
    "remembering_messages_off": {
        ENGLISH: "I no longer remember plain messages in this channel, only what is asked of me.",
        KOREAN: "이제 이 채널의 일반 대화는 기억하지 않고, 저에게 한 질문만 기억합니다.",
    },
    "memory_window_empty": {
        ENGLISH: "I have nothing remembered from {window} in this channel.",
        KOREAN: "이 채널에서 {window}의 기억은 없습니다.",
    },
    "memory_none": {
        ENGLISH: "I remember nothing about {topic} in this channel.",
        KOREAN: "이 채널에서 {topic}에 대해 기억하는 것이 없습니다.",
    },
    "memory_empty": {
        ENGLISH: "I remember nothing in this channel yet.",
        KOREAN: "이 채널에서 아직 기억하는 것이 없습니다.",
    },
    "memory_list": {
        ENGLISH: "What I remember about {topic} ({count}):",
        KOREAN: "{topic}에 대해 기억하는 것 ({count}개):",
    },
    "memory_usage": {
        ENGLISH: "Say `memory <topic>`, e.g. `memory stew recipe`.",
        KOREAN: "`memory <주제>`처럼 써 주세요. 예: `memory 스튜 레시피`.",
    },
    "memory_line": {
        ENGLISH: "- {day}, {who}: {text}{link}",
        KOREAN: "- {day}, {who}: {text}{link}",
    },
    "memory_cited": {ENGLISH: " (sources: {titles})", KOREAN: " (출처: {titles})"},
    "forget_memory_usage": {
        ENGLISH: "Say `forget-memory <topic>`, `forget-memory mine` or `forget-memory all`.",
        KOREAN: "`forget-memory <주제>`, `forget-memory mine`, `forget-memory all`처럼 써 주세요.",
    },
    "forget_memory_done": {
        ENGLISH: "Forgot {count} memories about {topic}.",
        KOREAN: "{topic}에 대한 기억 {count}개를 지웠습니다.",
    },
    "forget_memory_mine_done": {
        ENGLISH: "Forgot {count} memories of what you said here.",
        KOREAN: "여기서 말씀하신 기억 {count}개를 지웠습니다.",
    },
    "forget_memory_all_confirm": {
        ENGLISH: (
            "This forgets all {count} memories of this channel (the sources stay). "
            "Say `forget-memory all confirm` to go ahead."
        ),
        KOREAN: (
            "이 채널의 기억 {count}개를 모두 지웁니다(자료는 남습니다). "
            "계속하려면 `forget-memory all confirm`이라고 해 주세요."
        ),
    },
    "forget_memory_all_done": {
        ENGLISH: "Forgot all {count} memories of this channel.",
        KOREAN: "이 채널의 기억 {count}개를 모두 지웠습니다.",
    },
    "reset_memory_confirm": {
        ENGLISH: (
            "This forgets everything I remember of this channel ({count} memories); the "
            "sources stay. Say `reset memory confirm` to go ahead."
        ),
        KOREAN: (
            "이 채널의 기억 {count}개를 모두 지웁니다(자료는 남습니다). "
            "계속하려면 `reset memory confirm`이라고 해 주세요."
        ),
    },
    "reset_sources_confirm": {
        ENGLISH: (
            "This removes all {sources} sources of this channel; what I remember stays. "
            "Say `reset sources confirm` to go ahead."
        ),
        KOREAN: (
            "이 채널의 자료 {sources}개를 모두 삭제합니다(기억은 남습니다). "
            "계속하려면 `reset sources confirm`이라고 해 주세요."
        ),
    },
    "reset_memory_done": {
        ENGLISH: "Forgot all {count} memories of this channel; the sources stay.",
        KOREAN: "이 채널의 기억 {count}개를 모두 지웠습니다. 자료는 남아 있습니다.",
    },
    "reset_sources_done": {
        ENGLISH: "Removed all {sources} sources of this channel; what I remember stays.",
        KOREAN: "이 채널의 자료 {sources}개를 모두 삭제했습니다. 기억은 남아 있습니다.",
    },
    "resume_header": {
        ENGLISH: "Where we left off on {topic}:",
        KOREAN: "{topic} 이야기, 지난번까지:",
    },
    "job_queued": {
        ENGLISH: "⏳ *{title}* is queued ({ahead} ahead of it in this channel).",
        KOREAN: "⏳ *{title}* 대기 중 (이 채널에서 앞에 {ahead}개).",
    },
    "job_downloading": {
        ENGLISH: "⬇️ Downloading *{title}*…{percent}",
        KOREAN: "⬇️ *{title}* 내려받는 중…{percent}",
    },
    "job_transcribing": {
        ENGLISH: "🎙️ Transcribing *{title}*: {percent}%{left}",
        KOREAN: "🎙️ *{title}* 음성 인식 중: {percent}%{left}",
    },
    "job_time_left": {ENGLISH: ", about {left} left", KOREAN: ", 약 {left} 남음"},
    "job_indexing": {
        ENGLISH: "📚 Indexing *{title}*…",
        KOREAN: "📚 *{title}* 색인 중…",
    },
    "job_cancelled": {
        ENGLISH: "Stopped indexing *{title}*: it was forgotten.",
        KOREAN: "*{title}* 색인을 멈췄습니다: 지워 달라는 요청이 있었습니다.",
    },
    "job_resumed": {
        ENGLISH: "🔁 Picking up *{title}* again: indexing was cut off by a restart.",
        KOREAN: "🔁 *{title}* 색인을 다시 시작합니다: 재시작으로 중단되었습니다.",
    },
    "media_no_speech": {
        ENGLISH: "I heard no speech in *{title}*.",
        KOREAN: "*{title}*에서 말소리를 찾지 못했습니다.",
    },
    "asked_by": {
        ENGLISH: "{name} asked: {question}",
        KOREAN: "{name} 님의 질문: {question}",
    },
    "indexed": {
        ENGLISH: "Indexed *{title}*: {chunks} chunk{chunks_s}.",
        KOREAN: "*{title}* 색인 완료: 청크 {chunks}개.",
    },
    "reindexed": {
        ENGLISH: "Re-indexed *{title}*: {chunks} chunk{chunks_s} (the old copy was replaced).",
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
        ENGLISH: "{number}. {title}: {chunks} chunk{chunks_s}{added}",
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
        ENGLISH: "Forgot *{title}* ({chunks} chunk{chunks_s} removed).",
        KOREAN: "*{title}*을(를) 잊었습니다 (청크 {chunks}개 삭제).",
    },
    "reset_done": {
        ENGLISH: (
            "Reset this channel: {sources} sources, its memory and the conversation are forgotten."
        ),
        KOREAN: "이 채널을 초기화했습니다: 자료 {sources}개, 기억, 대화를 잊었습니다.",
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
        ENGLISH: "This forgets all {sources} sources of this channel, its memory and its "
        "conversation (`reset memory` or `reset sources` for one of them). "
        "Type `reset confirm` to go ahead.",
        KOREAN: "이 채널의 자료 {sources}개, 기억, 대화를 모두 잊습니다. "
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
    "file_unavailable": {
        ENGLISH: "I could not get the file {name}.",
        KOREAN: "{name} 파일을 받지 못했습니다.",
    },
    "file_missing": {
        ENGLISH: "There is no file at {path}.",
        KOREAN: "{path}에 파일이 없습니다.",
    },
    "file_is_folder": {
        ENGLISH: "{name} is a folder; index the files in it.",
        KOREAN: "{name}은(는) 폴더입니다. 안의 파일을 색인하세요.",
    },
    "file_empty": {
        ENGLISH: "{name} is empty: nothing to index.",
        KOREAN: "{name} 파일이 비어 있어 색인할 내용이 없습니다.",
    },
    "file_too_big": {
        ENGLISH: "{name} is {size}; the limit is {limit} (ingest.max_file_mb).",
        KOREAN: "{name}은(는) {size}로, 한도 {limit}를 넘습니다 (ingest.max_file_mb).",
    },
    "file_no_text": {
        ENGLISH: "{name} holds no text I can index.",
        KOREAN: "{name}에는 색인할 수 있는 텍스트가 없습니다.",
    },
    "doc_unsupported": {
        ENGLISH: "I can't index {name}: I read text, Markdown, PDF, HTML and JSON files.",
        KOREAN: "{name}은(는) 색인할 수 없습니다. 텍스트, 마크다운, PDF, HTML, JSON 파일을 읽을 수 있습니다.",
    },
    "doc_no_text": {
        ENGLISH: "{name} has no text to index.",
        KOREAN: "{name}에는 색인할 텍스트가 없습니다.",
    },
    "doc_undecodable": {
        ENGLISH: "I can't read the text in {name}: save it as UTF-8 and share it again.",
        KOREAN: "{name}의 텍스트를 읽을 수 없습니다. UTF-8로 저장해 다시 공유해 주세요.",
    },
    "doc_binary": {
        ENGLISH: "{name} is not a text file: it holds binary data.",
        KOREAN: "{name}은(는) 텍스트 파일이 아닙니다. 바이너리 데이터가 들어 있습니다.",
    },
    "doc_bad_json": {
        ENGLISH: "{name} is not valid JSON (line {line}).",
        KOREAN: "{name}은(는) 올바른 JSON이 아닙니다 ({line}번째 줄).",
    },
    "doc_json_too_deep": {
        ENGLISH: "{name} is nested too deeply to read.",
        KOREAN: "{name}은(는) 너무 깊이 중첩되어 읽을 수 없습니다.",
    },
    "pdf_password": {
        ENGLISH: "{name} is password-protected: share a copy without a password.",
        KOREAN: "{name}은(는) 비밀번호로 보호되어 있습니다. 비밀번호 없는 사본을 공유해 주세요.",
    },
    "pdf_damaged": {
        ENGLISH: "{name} looks damaged: I couldn't open it as a PDF.",
        KOREAN: "{name}이(가) 손상된 것 같습니다. PDF로 열 수 없었습니다.",
    },
    "pdf_encrypted": {
        ENGLISH: "{name} is encrypted in a way I can't open.",
        KOREAN: "{name}은(는) 열 수 없는 방식으로 암호화되어 있습니다.",
    },
    "pdf_scanned": {
        ENGLISH: "{name} has no text I can read: it looks like a scanned PDF (images only).",
        KOREAN: "{name}에서 읽을 수 있는 텍스트가 없습니다. 스캔한 PDF(이미지뿐)로 보입니다.",
    },
    "model_missing": {
        ENGLISH: "The model file {path} is missing. Run `make model`, or set llm.model_path.",
        KOREAN: "모델 파일 {path}이(가) 없습니다. `make model`을 실행하거나 llm.model_path를 설정하세요.",
    },
    "model_unloadable": {
        ENGLISH: "The model file {path} could not be loaded ({error}). ctransformers reads LLaMA-architecture GGUF files; check llm.model_path.",
        KOREAN: "모델 파일 {path}을(를) 불러오지 못했습니다 ({error}). ctransformers는 LLaMA 구조의 GGUF 파일을 읽습니다. llm.model_path를 확인하세요.",
    },
    "model_wrong_backend": {
        ENGLISH: "ctransformers cannot load {name} ({described}); set llm.backend to auto or llama-cpp.",
        KOREAN: "ctransformers로는 {name}을(를) 불러올 수 없습니다 ({described}). llm.backend를 auto나 llama-cpp로 설정하세요.",
    },
    "prompt_too_long": {
        ENGLISH: "The question and its context take {tokens} tokens, more than the model reads at once ({limit}). Ask a shorter question, or raise llm.context_length.",
        KOREAN: "질문과 참고 내용이 {tokens}토큰으로, 모델이 한 번에 읽는 양({limit})보다 많습니다. 더 짧게 물어보시거나 llm.context_length를 늘리세요.",
    },
    "server_not_openai_models": {
        ENGLISH: "{url}/models did not answer like an OpenAI-compatible server. Check llm.openai.base_url (it usually ends in /v1).",
        KOREAN: "{url}/models가 OpenAI 호환 서버처럼 응답하지 않았습니다. llm.openai.base_url을 확인하세요 (보통 /v1로 끝납니다).",
    },
    "server_not_openai": {
        ENGLISH: "The model server at {url} did not answer like an OpenAI-compatible server. Check llm.openai.base_url (it usually ends in /v1).",
        KOREAN: "{url}의 모델 서버가 OpenAI 호환 서버처럼 응답하지 않았습니다. llm.openai.base_url을 확인하세요 (보통 /v1로 끝납니다).",
    },
    "server_failed": {
        ENGLISH: "The model server at {url} stopped with an error: {detail}.",
        KOREAN: "{url}의 모델 서버가 오류로 멈췄습니다: {detail}.",
    },
    "server_no_answer": {
        ENGLISH: "The model server at {url} sent no answer; the question may not fit its context. Check the server's log, or make llm.openai.context_length match the server's context size.",
        KOREAN: "{url}의 모델 서버가 답을 보내지 않았습니다. 질문이 서버의 컨텍스트에 맞지 않을 수 있습니다. 서버 로그를 확인하거나 llm.openai.context_length를 서버의 컨텍스트 크기에 맞추세요.",
    },
    "server_cut_short": {
        ENGLISH: "The model server at {url} cut this answer short; ask again. If it is llama_cpp.server, start it with --interrupt_requests false.",
        KOREAN: "{url}의 모델 서버가 답변을 중간에 끊었습니다. 다시 물어봐 주세요. llama_cpp.server라면 --interrupt_requests false로 시작하세요.",
    },
    "server_down": {
        ENGLISH: "The model server at {url} is not answering. Check llm.openai.base_url or start the server.",
        KOREAN: "{url}의 모델 서버가 응답하지 않습니다. llm.openai.base_url을 확인하거나 서버를 시작하세요.",
    },
    "server_bad_url": {
        ENGLISH: "llm.openai.base_url ({url}) is not an http:// or https:// address; set it to the server's URL, e.g. http://127.0.0.1:8000/v1.",
        KOREAN: "llm.openai.base_url({url})이 http:// 또는 https:// 주소가 아닙니다. 서버 URL로 설정하세요 (예: http://127.0.0.1:8000/v1).",
    },
    "server_status": {
        ENGLISH: "The model server at {url} answered {status}{reason}.",
        KOREAN: "{url}의 모델 서버가 {status}{reason}(으)로 응답했습니다.",
    },
    "server_status_key": {
        ENGLISH: "The model server at {url} answered {status}{reason}. Check llm.openai.api_key.",
        KOREAN: "{url}의 모델 서버가 {status}{reason}(으)로 응답했습니다. llm.openai.api_key를 확인하세요.",
    },
    "server_status_missing": {
        ENGLISH: "The model server at {url} answered {status}{reason}. Check llm.openai.base_url (it usually ends in /v1) and llm.openai.model.",
        KOREAN: "{url}의 모델 서버가 {status}{reason}(으)로 응답했습니다. llm.openai.base_url(보통 /v1로 끝남)과 llm.openai.model을 확인하세요.",
    },
    "server_status_later": {
        ENGLISH: "The model server at {url} answered {status}{reason}. Try again in a moment.",
        KOREAN: "{url}의 모델 서버가 {status}{reason}(으)로 응답했습니다. 잠시 뒤 다시 시도해 주세요.",
    },
    "server_timeout": {
        ENGLISH: "The model server at {url} took more than {seconds:g} s to answer; try again, or raise llm.openai.read_timeout.",
        KOREAN: "{url}의 모델 서버가 {seconds:g}초 안에 답하지 않았습니다. 다시 시도하거나 llm.openai.read_timeout을 늘리세요.",
    },
    "server_closed": {
        ENGLISH: "The model server at {url} closed the connection before the answer was complete; try again.",
        KOREAN: "{url}의 모델 서버가 답변을 마치기 전에 연결을 끊었습니다. 다시 시도해 주세요.",
    },
    "store_locked": {
        ENGLISH: "The index for this channel is open in another ragbot process (is the bot running?). Stop it or send the file to the running bot.",
        KOREAN: "이 채널의 색인이 다른 ragbot 프로세스에서 열려 있습니다 (봇이 실행 중인가요?). 그 프로세스를 멈추거나 실행 중인 봇에 파일을 보내세요.",
    },
    "gguf_not_gguf": {
        ENGLISH: "{path} is not a GGUF model file.",
        KOREAN: "{path}은(는) GGUF 모델 파일이 아닙니다.",
    },
    "gguf_too_old": {
        ENGLISH: "{path} is GGUF version {version}; version 2 or later is needed.",
        KOREAN: "{path}은(는) GGUF 버전 {version}입니다. 버전 2 이상이 필요합니다.",
    },
    "gguf_unreadable": {
        ENGLISH: "Cannot read the model file {path}: {error}.",
        KOREAN: "모델 파일 {path}을(를) 읽을 수 없습니다: {error}.",
    },
    "gguf_damaged": {
        ENGLISH: "{path} is a damaged GGUF file ({error}).",
        KOREAN: "{path}은(는) 손상된 GGUF 파일입니다 ({error}).",
    },
    "button_regenerate": {ENGLISH: "Regenerate", KOREAN: "다시 생성"},
    "button_helpful": {ENGLISH: "Helpful", KOREAN: "도움이 됨"},
    "button_unhelpful": {ENGLISH: "Not helpful", KOREAN: "도움이 안 됨"},
    "button_reset": {ENGLISH: "Reset this channel", KOREAN: "이 채널 초기화"},
    "feedback_thanks": {ENGLISH: "Thanks, noted.", KOREAN: "감사합니다. 반영하겠습니다."},
    "not_stated": {
        ENGLISH: "The sources I found are related but do not say that. I looked at: {looked}.",
        KOREAN: "찾은 자료가 관련은 있지만 그 내용은 나와 있지 않습니다. 살펴본 자료: {looked}.",
    },
    "link_scheme": {
        ENGLISH: "Only http:// and https:// links can be read; {url} is neither.",
        KOREAN: "http:// 또는 https:// 링크만 읽을 수 있습니다. {url}은(는) 둘 다 아닙니다.",
    },
    "link_no_host": {
        ENGLISH: "{url} names no site to fetch from; check the link.",
        KOREAN: "{url}에는 가져올 사이트가 없습니다. 링크를 확인해 주세요.",
    },
    "link_unresolvable": {
        ENGLISH: "Cannot find the site {host}; check the link.",
        KOREAN: "{host} 사이트를 찾을 수 없습니다. 링크를 확인해 주세요.",
    },
    "link_private_address": {
        ENGLISH: "{host} is a private or local network address, so I will not fetch it.",
        KOREAN: "{host}은(는) 사설 또는 로컬 네트워크 주소이므로 가져오지 않습니다.",
    },
    "link_too_large": {
        ENGLISH: "{url} is larger than {limit}, more than I read from a link.",
        KOREAN: "{url}은(는) {limit}보다 커서 링크에서 읽을 수 있는 크기를 넘습니다.",
    },
    "link_status": {
        ENGLISH: "{url} answered with HTTP status {status}; check that the link opens.",
        KOREAN: "{url}이(가) HTTP 상태 {status}(으)로 응답했습니다. 링크가 열리는지 확인해 주세요.",
    },
    "captions_unreadable": {
        ENGLISH: "The captions are not readable WebVTT ({detail}).",
        KOREAN: "자막이 읽을 수 있는 WebVTT 형식이 아닙니다 ({detail}).",
    },
    "link_unreachable": {
        ENGLISH: "Could not fetch {url}: the site did not answer properly. Try again later.",
        KOREAN: "{url}을(를) 가져오지 못했습니다. 사이트가 제대로 응답하지 않았습니다. 나중에 다시 시도해 주세요.",
    },
    "audio_unreadable": {
        ENGLISH: "I could not read the audio of {name}: the file is damaged or in a format I cannot decode.",
        KOREAN: "{name}의 오디오를 읽을 수 없습니다. 파일이 손상되었거나 해독할 수 없는 형식입니다.",
    },
    "audio_no_stream": {
        ENGLISH: "{name} has no sound track, so there is nothing to transcribe.",
        KOREAN: "{name}에는 오디오 트랙이 없어 받아쓸 내용이 없습니다.",
    },
    "transcriber_model_missing": {
        ENGLISH: "The speech-to-text model {path} is missing; `make whisper-models` installs it.",
        KOREAN: "음성 인식 모델 {path}이(가) 없습니다. `make whisper-models`로 설치할 수 있습니다.",
    },
}


def say(key: str, language: str = ENGLISH, **values: object) -> str:
    """The sentence `key` in `language` (English when missing), filled with `values`."""
    variants = _CATALOG[key]
    template = variants.get(language, variants[ENGLISH])
    # "{chunks} chunk{chunks_s}": 1 chunk, 3 chunks (Korean counts need no plural).
    plurals = {
        f"{name}_s": "" if value == 1 else "s"
        for name, value in values.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    return template.format(**values, **plurals)
