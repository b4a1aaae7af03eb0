# ragbot image, first version: the console bot on the embedded defaults.
#   docker build -t ragbot .
#   docker run -it -v ragbot-data:/app/data ragbot
# The image installs through the same make targets as CI (`make install model`).
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

# llama-cpp-python compiles from source here: several minutes on 2 cores.
RUN make install model && rm -rf /root/.cache .cache

ENV RAGBOT_DATA_DIR=/app/data
VOLUME ["/app/data"]
ENTRYPOINT ["/app/.venv/bin/python", "-m", "bots"]
CMD ["console"]
