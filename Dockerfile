# The token emulator as a container: `docker build -t token-emulator .`, then
# `docker run -p 8080:8080 token-emulator`. compose.yaml runs it with the
# checkout's fixtures mounted read-only and a volume for the database.
# tests/container/ builds it and runs the image; tests/docker/test_image.py also
# reads this file and runs the CMD and the HEALTHCHECK as plain processes.
#
# The base image is an argument so that a machine without a registry can build on
# a stand-in (tests/container/ makes one from Debian's python3 3.11 with
# debootstrap, and the tests build and run the image on it); everyone else gets
# the official image, whose Python 3.12 the package supports but these machines
# cannot build on (no registry).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm
FROM ${PYTHON_IMAGE}

# tests/container/test_image.py holds the version to the package's.
LABEL org.opencontainers.image.title="token-emulator" \
      org.opencontainers.image.description="Local emulator of UneeQ, Unifize, 8x8 Video Interaction, web1on1 and Widget token servers, for integration tests" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/token-emulator/token-emulator"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Only what the wheel is built from (.dockerignore keeps the rest out of the
# context); the wheel packs fixtures/ as token_emulator/default_fixtures.
COPY pyproject.toml README.md LICENSE image-constraints.txt /tmp/src/
COPY token_emulator /tmp/src/token_emulator
COPY fixtures /tmp/src/fixtures

# Install from the checkout as a user would, with the `postgres` extra (asyncpg,
# for EMULATOR_DATABASE=postgresql+asyncpg://...), every dependency at the version
# image-constraints.txt pins (those the tests ran against), drop the sources (and leave /,
# so that `import token_emulator` finds the installed package, not a source tree), copy
# the packaged default fixtures to /fixtures, where a mount of your own replaces
# them, and make the non-root user that owns the data directory.
RUN pip install --no-cache-dir -c /tmp/src/image-constraints.txt "/tmp/src[postgres]" \
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
