# The token emulator as a container: `docker build -t token-emulator .`, then
# `docker run -p 8080:8080 token-emulator`. compose.yaml runs it with the
# checkout's fixtures mounted read-only and a volume for the database.
# tests/docker/test_image.py reads this file: it runs the CMD and the
# HEALTHCHECK below as plain processes with the ENV below.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Only what the wheel is built from (.dockerignore keeps the rest out of the
# context); the wheel packs fixtures/ as token_emulator/default_fixtures.
COPY pyproject.toml README.md LICENSE /tmp/src/
COPY token_emulator /tmp/src/token_emulator
COPY fixtures /tmp/src/fixtures

# Install from the checkout as a user would, with the `postgres` extra (asyncpg,
# for EMULATOR_DATABASE=postgresql+asyncpg://...), drop the sources (and leave /,
# so that `import token_emulator` finds the installed package, not a source tree), copy
# the packaged default fixtures to /fixtures, where a mount of your own replaces
# them, and make the non-root user that owns the data directory.
RUN pip install --no-cache-dir "/tmp/src[postgres]" \
    && rm -rf /tmp/src \
    && cd / \
    && python -c "import shutil, token_emulator.settings as s; shutil.copytree(s.PACKAGE_DIR / 'default_fixtures', '/fixtures')" \
    && groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid emulator --create-home --home-dir /home/emulator \
        --shell /usr/sbin/nologin emulator \
    && mkdir /data \
    && chown 10001:10001 /data

# What `token-emulator serve` reads. 0.0.0.0: a container is reached from
# outside its own loopback. The database is kept in the /data volume across
# restarts (`serve` alone would use a temporary one). Set EMULATOR_ADMIN_TOKEN
# to close the control plane (serve warns until you do).
ENV EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    EMULATOR_DATABASE=/data/emulator.sqlite3 \
    EMULATOR_FIXTURES=/fixtures

# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /home/emulator
VOLUME ["/data"]
EXPOSE 8080

# Python, not curl (the slim image has none): asks GET /_emulator/health on
# $EMULATOR_PORT, exits 0 on a 200 and 1 otherwise. Health stays open under an
# admin token.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-m", "token_emulator.healthcheck"]

# Exec form: the server is PID 1 and gets `docker stop`'s SIGTERM, on which it
# shuts down cleanly and exits 0.
CMD ["token-emulator", "serve"]
