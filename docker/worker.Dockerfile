# VideoForge worker: `videoforge worker` with ffmpeg, as an unprivileged user. The first SIGTERM lets the
# current job finish or hands it back (give `docker stop -t` / ECS stopTimeout enough seconds).
# Build from the repository root: docker build -f docker/worker.Dockerfile -t videoforge/worker .
# Writable at run time: the instance folder and the transcoding scratch folder, both volumes.

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
# Dependencies from setup.cfg alone first: a code change then rebuilds only the small VideoForge wheel.
COPY setup.cfg ./
RUN python -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); print(c['options']['install_requires'])" > requirements.txt \
 && pip wheel --no-cache-dir --wheel-dir /deps -r requirements.txt
COPY pyproject.toml README.md ./
COPY videoforge ./videoforge
COPY entrypoints ./entrypoints
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /app .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH TMPDIR=/var/lib/videoforge/tmp \
    VIDEOFORGE_MODULES=processor VIDEOFORGE_AUTO_MIGRATE=false VIDEOFORGE_WORKER_IN_PROCESS=false \
    VIDEOFORGE_INSTANCE_PATH=/var/lib/videoforge/instance
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 videoforge \
 && useradd --system --uid 10001 --gid videoforge --home-dir /var/lib/videoforge --create-home --shell /usr/sbin/nologin videoforge \
 && install -d -o videoforge -g videoforge /var/lib/videoforge/tmp \
 && install -d -o videoforge -g videoforge -m 0700 /var/lib/videoforge/instance
COPY --from=wheel /deps /deps
RUN python -m venv /opt/venv && pip install --no-cache-dir --no-index /deps/*.whl && rm -rf /deps
COPY --from=wheel /app /app
RUN pip install --no-cache-dir --no-index --no-deps /app/*.whl && rm -rf /app
USER 10001:10001
WORKDIR /var/lib/videoforge
VOLUME ["/var/lib/videoforge/instance", "/var/lib/videoforge/tmp"]
STOPSIGNAL SIGTERM
# Alive = the worker process is PID 1 and ffmpeg runs; a job in progress is not a failure.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["ffprobe", "-hide_banner", "-version"]
CMD ["videoforge", "worker", "--concurrency", "1"]
