# kakao-oidc-bridge container image.
#
#   buildah build --format docker --layers -t kakao-oidc-bridge:local .    (or: docker build -t kakao-oidc-bridge:local .)
#   docker run --read-only -p 3000:3000 -v kakao-oidc-bridge-data:/data --env-file .env kakao-oidc-bridge:local
#
# `--format docker` matters with buildah/podman: the OCI image format has no HEALTHCHECK field,
# so an OCI build silently drops the health check below.
#
# Three stages: `build` compiles TypeScript with the dev dependencies, `deps` installs the
# production dependencies only, and the runtime image gets those node_modules and dist/ and
# nothing else (no npm cache, no sources, no dev tooling; the `node` npm package, a dev
# dependency that pins Node for the npm scripts, is not in it).

# ---- build: dev dependencies, tsc, then esbuild (scripts/bundle.mjs) ------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only -----------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; --ignore-scripts keeps it that way.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && test ! -e node_modules/node

# ---- runtime --------------------------------------------------------------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
# Application files belong to root and are read-only for the `node` user that runs them; the
# only writable place is DATA_DIR (signing keys, generated cookie secret).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# V8's code cache, filled here once: compiling the JavaScript is most of a start's CPU time, and
# the image's files never change. Loading ioredis (the Redis store's client), then starting
# without configuration (the bridge loads its bundle, then exits 2 naming the missing variable),
# writes it. Read-only at run time; node loads what it finds and writes nothing.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node -e "import('ioredis')" \
 && { node dist/main.js > /dev/null 2>&1; test $? -eq 2; } \
 && test -n "$(ls -A /app/.compile-cache)"
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME /data
USER node
EXPOSE 3000
# Uses node itself: the image has no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM/SIGINT itself (src/main.ts): it stops accepting
# connections, finishes in-flight requests, closes the store and exits 0. Running node directly
# (not `npm start`) also means nothing writes an npm cache or log, so `--read-only` works.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
