# syntax=docker/dockerfile:1
# The emulator as a small image: wheels are built in the first stage, the second installs them and runs as a
# non-root user. Every setting is an EMULATOR_* environment variable; the health check follows EMULATOR_PORT.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 emulator \
    && mkdir /data /cache \
    && chown emulator /data /cache
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/trygdehendelser_emulator-*.whl \
    && rm -rf /wheels
USER 10001
ENV EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["trygdehendelser-emulator", "health"]
ENTRYPOINT ["trygdehendelser-emulator"]
CMD ["serve"]
