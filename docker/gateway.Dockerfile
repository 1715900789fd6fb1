# VideoForge gateway: gunicorn serving entrypoints.gateway:app on port 8000, as an unprivileged user.
# Build from the repository root: docker build -f docker/gateway.Dockerfile -t videoforge/gateway .
# It also answers the pages a static server cannot: shared watch pages with their link previews, embed pages framed
# only where the video's owner allows, and oEmbed (the web module), rendered from the client build's index.html and
# embed.html, which it carries in /opt/videoforge/client (VIDEOFORGE_WEB_DIST). Every other client file is nginx's.
# The code is read-only at run time; the one writable place is the instance folder, a volume: it holds the local
# issuer's signing key and the app key when the environment does not give them (VIDEOFORGE_AUTH_SIGNING_KEY,
# VIDEOFORGE_SECRET_KEY), or mount them there as files (auth_signing_key.pem, secret_key).

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

# The client build, in the same instructions as client.Dockerfile's build stage: one layer cache serves both images,
# and the pages here name the same content-hashed assets the client image serves.
FROM node:20-bookworm-slim AS client
WORKDIR /client
COPY client/package.json client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY client/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    GUNICORN_BIND=0.0.0.0:8000 VIDEOFORGE_AUTO_MIGRATE=false VIDEOFORGE_WORKER_IN_PROCESS=false \
    VIDEOFORGE_INSTANCE_PATH=/var/lib/videoforge/instance VIDEOFORGE_WEB_DIST=/opt/videoforge/client
RUN groupadd --system --gid 10001 videoforge \
 && useradd --system --uid 10001 --gid videoforge --home-dir /var/lib/videoforge --create-home --shell /usr/sbin/nologin videoforge \
 && install -d -o videoforge -g videoforge -m 0700 /var/lib/videoforge/instance
COPY --from=wheel /deps /deps
RUN python -m venv /opt/venv && pip install --no-cache-dir --no-index /deps/*.whl && rm -rf /deps
COPY --from=wheel /app /app
RUN pip install --no-cache-dir --no-index --no-deps /app/*.whl && rm -rf /app
# The two pages the web module renders, and the API docs' ReDoc bundle (/api/docs/redoc.standalone.js).
COPY --from=client /client/dist/index.html /client/dist/embed.html /opt/videoforge/client/
COPY --from=client /client/dist/vendor /opt/videoforge/client/vendor
COPY gunicorn.conf.py /etc/videoforge/gunicorn.conf.py
USER 10001:10001
WORKDIR /var/lib/videoforge
VOLUME ["/var/lib/videoforge/instance"]
EXPOSE 8000
# The port gunicorn binds (GUNICORN_BIND or PORT, as gunicorn.conf.py reads them), so a moved port stays checked.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = (os.environ.get('GUNICORN_BIND') or ':' + os.environ.get('PORT', '8000')).rpartition(':')[2]; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "-c", "/etc/videoforge/gunicorn.conf.py", "entrypoints.gateway:app"]
