# ragbot image: the console bot by default; any `python -m bots` command by argument.
#   docker build -t ragbot .
#   docker run -it -v ragbot-data:/app/data ragbot            # console
#   docker run --rm -v ragbot-data:/app/data ragbot doctor     # what would run, and checks
# It installs through `make install` and `make model`: the same recipes `make test` runs
# first in CI, so CI exercises the image's install path.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml requirements.lock Makefile README.md ./
COPY scripts ./scripts
COPY core ./core
COPY adapters ./adapters
COPY bots ./bots
COPY config ./config

# llama-cpp-python compiles from source here (several minutes on 2 cores) with the
# Makefile's portable flags (x86-64-v3 on amd64, armv8-a on arm64, never native, no AMX), so
# the image runs on any CPU with AVX2 whatever the build machine has; the engine check runs
# a long prompt through it. The offline model is baked in (models/, 1.1 GB); mount another
# models folder to use other files.
RUN make install model check-engine PYTHON=python3.11 LLAMA_CPU=portable \
    PROBE_MODEL=models/qwen2.5-coder-1.5b-instruct.gguf \
    && rm -rf /root/.cache .cache

# Data (vector store, logs, the downloaded default model) lives in a volume.
ENV RAGBOT_DATA_DIR=/app/data
VOLUME ["/app/data"]
ENTRYPOINT ["/app/.venv/bin/python", "-m", "bots"]
CMD ["console"]
