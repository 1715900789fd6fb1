# VideoForge web client: the Vite build served by unprivileged nginx on port 8080, with SPA fallback,
# long-lived caching for hashed assets and /healthz for ECS and the ALB.
# Build from the repository root: docker build -f docker/client.Dockerfile -t videoforge/client .

FROM node:20-bookworm-slim AS build
WORKDIR /client
COPY client/package.json client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY client/ ./
RUN npm run build

FROM nginxinc/nginx-unprivileged:1.27-alpine
USER 0
RUN install -d -o nginx -g nginx /etc/nginx/videoforge.d
COPY docker/nginx/client.conf /etc/nginx/conf.d/default.conf
COPY --from=build /client/dist /usr/share/nginx/html
USER 101:101
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
