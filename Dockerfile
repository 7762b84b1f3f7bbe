# RUNE container image (first version; the service endpoints arrive with `rune serve`).
# Build: docker build -t rune .   Run: docker run --rm -v $PWD/rules.yaml:/etc/rune/rules.yaml rune actions

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
# openssh-client for ssh-keyscan/ssh-keygen when preparing known_hosts; jq + coreutils for local runs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client jq ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY plugins ./plugins
COPY rules.yaml /etc/rune/rules.yaml
RUN mkdir -p /var/lib/rune /etc/rune/keys && chown -R node:node /var/lib/rune
ENV RUNE_CONFIG=/etc/rune/rules.yaml \
    RUNE_PLUGINS_DIR=/app/plugins \
    RUNE_SSH_KEY=/etc/rune/keys/id_ed25519 \
    RUNE_SSH_KNOWN_HOSTS=/etc/rune/keys/known_hosts \
    RUNE_DB=/var/lib/rune/rune.db \
    RUNE_LISTEN=0.0.0.0:9095
VOLUME ["/var/lib/rune", "/etc/rune/keys"]
USER node
ENTRYPOINT ["/app/bin/rune"]
CMD ["actions"]
