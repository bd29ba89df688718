# fleetcmd's image. One image, several processes, chosen by the command:
#   node dist/worker.js                     the Temporal worker (the default)
#   node dist/emulator/main.js --help       the local Azure emulator (compose's `emulator` service)
#   node bin/fleetcmd.js --help             the CLI
# Build: docker build -t fleetcmd .   (docker compose up --build does it too)

# glibc (not alpine): the Temporal worker's native core ships for glibc, and the
# emulator runs scripts with bash.
ARG NODE_IMAGE=node:20.19-bookworm-slim

# --- build: every dependency, TypeScript compiled from src/ into dist/ --------
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only, so the runtime carries no compiler ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: dist/ + production node_modules, run by an unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# glibc's malloc keeps an arena per thread; two keep the worker's resident set about 10 % smaller (BENCHMARKS.md, P4).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# Application files stay root-owned: the process can read them, not rewrite them.
COPY package.json ./
COPY --from=deps /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY bin ./bin
COPY examples ./examples
# The emulator's data dir (certificates, state, VM sandboxes). It belongs to
# the unprivileged user so that an empty named volume mounted on it (or on
# /data/tls) starts with that owner.
RUN mkdir -p /data/tls && chown -R node:node /data
# `node` (uid 1000) comes with the official Node.js images.
USER node
CMD ["node", "dist/worker.js"]
