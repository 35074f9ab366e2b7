# Slipway's image: the server from source (tsx, no build step), production dependencies only,
# running as the unprivileged `node` user. Build: docker build -t slipway .
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
# better-sqlite3 compiles its addon here; the toolchain stays in this stage.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# git fetches the repositories Slipway deploys; tini forwards SIGTERM for a graceful shutdown.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir /data && chown node:node /data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json app.yml ./
COPY core ./core
COPY app ./app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SLIPWAY_DATA_DIR=/data \
    SLIPWAY_RUNTIME=kubernetes
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "app/main.ts"]
