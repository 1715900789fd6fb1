# VideoForge gateway: gunicorn serving entrypoints.gateway:app on port 8000, as an unprivileged user.
# Build from the repository root: docker build -f docker/gateway.Dockerfile -t videoforge/gateway .

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY videoforge ./videoforge
COPY entrypoints ./entrypoints
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    GUNICORN_BIND=0.0.0.0:8000 VIDEOFORGE_AUTO_MIGRATE=false VIDEOFORGE_WORKER_IN_PROCESS=false
RUN groupadd --system --gid 10001 videoforge \
 && useradd --system --uid 10001 --gid videoforge --home-dir /var/lib/videoforge --create-home --shell /usr/sbin/nologin videoforge
COPY --from=wheel /wheels /wheels
RUN python -m venv /opt/venv && pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY gunicorn.conf.py /etc/videoforge/gunicorn.conf.py
USER 10001:10001
WORKDIR /var/lib/videoforge
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "-c", "/etc/videoforge/gunicorn.conf.py", "entrypoints.gateway:app"]
