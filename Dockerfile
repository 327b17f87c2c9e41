# syntax=docker/dockerfile:1
# The emulator as a small image. The first stage installs the locked dependencies (requirements.lock, every file
# checked against its hash) into a virtual environment, then the emulator's own wheel; the second copies that
# environment alone and runs it as a non-root user under tini. Every setting is an EMULATOR_* environment variable;
# the health check follows EMULATOR_PORT. The layers go from what changes least to what changes most, so a code
# edit rebuilds only the last two steps of the first stage and the COPY of the second.
#
# The base image is pinned by digest (python:3.11-slim-bookworm, Python 3.11.16). Where no registry is reachable,
# scripts/container-check builds a local stand-in and passes it as --build-arg BASE_IMAGE=...
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b

FROM ${BASE_IMAGE} AS build
# pip trusts the system's CA store (a build behind a TLS-inspecting proxy mounts its bundle there), never asks
# whether it is current, and keeps its downloads in the cache mount below, outside every layer.
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The dependencies, before any of the emulator's code: a code edit leaves this layer cached.
COPY requirements.lock requirements-build.lock /locks/
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps --only-binary=:all: -r /locks/requirements-build.lock \
    && python3 -m venv --without-pip /opt/emulator \
    && /opt/build/bin/pip --python /opt/emulator/bin/python install \
        --require-hashes --no-deps --only-binary=:all: -r /locks/requirements.lock
COPY pyproject.toml README.md /src/
COPY emulator /src/emulator
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /wheels /src \
    && /opt/build/bin/pip --python /opt/emulator/bin/python install --no-deps --no-index /wheels/*.whl

FROM ${BASE_IMAGE}
# tini is PID 1: it hands SIGTERM to the server at once, also while the log is still being built (a bare PID 1
# ignores it until then), and turns the 143 of a server stopped that early into 0.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 emulator \
    && mkdir /data /cache \
    && chown emulator /data /cache
COPY --from=build /opt/emulator /opt/emulator
USER 10001
ENV PATH=/opt/emulator/bin:$PATH \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
# Checked every 10 s; failures in the first 120 s do not count (10 million events are ready in about 5 s).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["trygdehendelser-emulator", "health"]
ENTRYPOINT ["tini", "-e", "143", "--", "trygdehendelser-emulator"]
CMD ["serve"]
ARG REVISION=unknown
LABEL org.opencontainers.image.title="trygdehendelser-emulator" \
      org.opencontainers.image.description="A local emulator of NAV's Helse Trygdehendelser API on a seeded synthetic event log" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim-bookworm"
