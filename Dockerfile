# syntax=docker/dockerfile:1
# Multi-stage: compile with dev dependencies, ship production dependencies only, run as non-root.
# Node 24 is the active LTS (Node 20 reached end of life in April 2026); the code also runs on Node 20.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY config ./config
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    REELAY_HOST=0.0.0.0 \
    REELAY_PORT=8080
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root config/reelay.yaml config/compose.yaml ./config/
COPY --chown=root:root docker/healthcheck.mjs ./docker/healthcheck.mjs
# Content custody's fs driver writes under /app/data (storage.dir ./data/content): the one
# directory the non-root user owns. Mount a volume here so stored videos outlive the container.
RUN mkdir -p /app/data/content && chown -R node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
# node directly (not npm) so SIGTERM reaches Reelay and it drains gracefully.
CMD ["node", "dist/main.js"]
