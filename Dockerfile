# RUNE container image (docs/deployment.md, docs/architecture.md "Deployment and scale").
# Build: docker build -t rune .
# Run:   docker run -p 127.0.0.1:9095:9095 -e RUNE_WEBHOOK_TOKEN_FILE=/run/secrets/rune_webhook_token \
#          -v rune-data:/var/lib/rune -v ./rules:/etc/rune/rules:ro -v ./keys:/etc/rune/keys:ro rune
# test/deploy/dockerfile-steps.test.ts (`npm run test:deploy`, its own step of .ci/run) replays this
# file's COPY/RUN/ENV/CMD steps in a scratch directory (no Docker engine in CI): keep every step
# runnable with plain sh.

# ---- build: all dependencies, compile TypeScript, then drop the dev dependencies
FROM node:20-bookworm-slim AS build
# better-sqlite3 is a native addon: compile it here if no prebuilt binary can be fetched (the replay
# offers the one the checkout built, as a cached download would be; see the test).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and the compiled code only, as the unprivileged user node
FROM node:20-bookworm-slim
# openssh-client for ssh-keyscan/ssh-keygen when preparing known_hosts; jq and python3 for the core
# plugins when they run on RUNE's own host (node: localhost).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client jq python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# A smaller young generation: lower peak RSS under an alert storm (≈ 139 vs 165 MiB) for ≈ 5% more
# CPU (docs/benchmarks.md, bench/storm). bin/rune's shebang passes it too; this also covers `node -e`.
ENV NODE_OPTIONS=--max-semi-space-size=2
COPY package.json package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The shipped plugins and sample rules; mount your own over /etc/rune/plugins and /etc/rune/rules.
COPY plugins /etc/rune/plugins
COPY rules.yaml rules.schema.json /etc/rune/rules/
RUN mkdir -p /var/lib/rune /etc/rune/keys \
 && chown -R node:node /var/lib/rune
ENV RUNE_CONFIG=/etc/rune/rules/rules.yaml \
    RUNE_PLUGINS_DIR=/etc/rune/plugins \
    RUNE_SSH_KEY=/etc/rune/keys/id_ed25519 \
    RUNE_SSH_KNOWN_HOSTS=/etc/rune/keys/known_hosts \
    RUNE_DB=/var/lib/rune/rune.db \
    RUNE_LISTEN=0.0.0.0:9095
# data (SQLite), rules, plugins, SSH key and known_hosts
VOLUME ["/var/lib/rune", "/etc/rune/rules", "/etc/rune/plugins", "/etc/rune/keys"]
EXPOSE 9095
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9095/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/bin/rune"]
CMD ["serve"]
