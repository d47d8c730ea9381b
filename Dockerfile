# Techbank's one image: the command server, the projector and the query server, and
# the operator tools (projector.restore, projector.check). It fixes no command:
# docker-compose.yml picks one per service, e.g. `python -m command_server`.
# Configured by the same TECHBANK_* environment variables as scripts/services.sh;
# with none set, `python -m embedded` and `python -m query_server` run the embedded
# default (SQLite under /app/data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/generated

# Every package pinned with its hashes, as `make venv` installs them. The lock also
# holds the dev tools (pytest, mypy, ruff, grpcio-tools): installed too, so the image
# matches the lock exactly, at the cost of some size.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
 && pip install --require-hashes -r /tmp/requirements.lock \
 && rm /tmp/requirements.lock

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home techbank

WORKDIR /app
COPY core/ core/
COPY adapters/ adapters/
COPY bank/ bank/
COPY embedded/ embedded/
COPY command_server/ command_server/
COPY query_server/ query_server/
COPY projector/ projector/
COPY generated/ generated/
COPY protos/ protos/
# The embedded default keeps its SQLite files in ./data; the only directory it writes.
RUN mkdir -p /app/data && chown techbank:techbank /app/data

USER techbank

# 50051: command server (AccountCommandService); 50052: query server (AccountQueryService).
# In a container listen on every interface, e.g. TECHBANK_COMMAND_ADDRESS=0.0.0.0:50051.
EXPOSE 50051 50052
