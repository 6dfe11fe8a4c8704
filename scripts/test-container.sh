#!/usr/bin/env bash
# npm run test:container — the container image and docker-compose.yml, tested with real parts.
#
#  1. ../shared/tools/container-tools.sh (buildah, podman, podman-compose and local stand-ins
#     for node:24-bookworm-slim and redis:7-bookworm). If that fails, this script says so
#     loudly and exits non-zero: it never passes without having run the containers.
#  2. buildah builds the Dockerfile; the layers added to the base image must stay < 60 MB.
#  3. A fake Kakao (dist/demo/fake-kakao.js) listens on the host loopback.
#  4. podman runs the image (--network host, --read-only, DATA_DIR on a host folder): discovery,
#     a full login (authorize → fake Kakao → callback → token → id_token verified → userinfo),
#     non-root user, node as PID 1, the image's HEALTHCHECK; `podman stop` (SIGTERM) must end
#     it in < 5 s with exit code 0; a new container on the same /data keeps the same JWKS.
#  5. podman-compose up with docker-compose.yml and Redis on podman's bridge network (published
#     on loopback only; the fake Kakao joins as a service): the same login, healthchecks,
#     SIGTERM exit code; then podman-compose down -v.
#
# Needs root (it installs packages and runs rootful podman) and a built node_modules (npm ci).
# Nothing is reachable from outside this machine: host processes listen on 127.0.0.1, compose
# services only on podman's internal network and ports published on 127.0.0.1. Every wait is bounded. Containers, volumes and the
# fake Kakao are removed on exit; KEEP_WORK=1 keeps the work folder (logs, env files).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
IMAGE=localhost/kakao-oidc-bridge:local
BASE_IMAGE=docker.io/library/node:24-bookworm-slim
TOOLS="$ROOT/../shared/tools/container-tools.sh"
MAX_ADDED_BYTES=$((60 * 1000 * 1000))
STOP_LIMIT_MS=5000
RUN_ID="kobtest$$"
KAKAO_USER_ID=4218530917 # the fake Kakao's default user

now_ms() { date +%s%3N; }
T_START=$(now_ms)
say() { printf '[test:container] %s\n' "$*"; }
pass() { printf '[test:container]   ok  %s\n' "$*"; }
loud() {
  {
    printf '\n'
    printf '!%.0s' {1..100}; printf '\n'
    for line in "$@"; do printf '!!! %s\n' "$line"; done
    printf '!%.0s' {1..100}; printf '\n\n'
  } >&2
}
die() {
  loud "test:container FAILED" "$@"
  exit 1
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

# ---- root -------------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    say "re-running as root with sudo"
    exec sudo -n --preserve-env=PATH,KEEP_WORK bash "$0" "$@"
  fi
  die "CONTAINER TESTS DID NOT RUN: they need root (to install buildah/podman and run rootful podman)," \
    "and this is user $(id -un) without password-less sudo. Nothing was tested."
fi

# ---- work folder and cleanup ------------------------------------------------------------------
WORK="$(mktemp -d "/tmp/$RUN_ID.XXXXXX")"
chmod 0755 "$WORK"
FAKE_PID=""
CONTAINERS=()
COMPOSE_UP=""
COMPOSE_ARGS=()
OK=""

cleanup() {
  local status=$?
  set +e
  trap - ERR
  for ctr in "${CONTAINERS[@]}"; do timeout 60 podman rm -f -v -t 2 "$ctr" >/dev/null 2>&1; done
  if [ -n "$COMPOSE_UP" ]; then
    for ctr in $(podman ps -aq --filter "label=io.podman.compose.project=$RUN_ID" 2>/dev/null); do timeout 60 podman rm -f -v -t 2 "$ctr" >/dev/null 2>&1; done
    (cd "$WORK/compose" && timeout 120 podman-compose "${COMPOSE_ARGS[@]}" down -v -t 2 >/dev/null 2>&1)
    for vol in $(podman volume ls -q --filter "label=io.podman.compose.project=$RUN_ID" 2>/dev/null); do podman volume rm -f "$vol" >/dev/null 2>&1; done
    podman network rm -f "${RUN_ID}_default" >/dev/null 2>&1
  fi
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; fi
  if [ "$status" -ne 0 ] || [ -z "$OK" ] || [ -n "${KEEP_WORK:-}" ]; then
    say "work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'die "command failed at scripts/test-container.sh line $LINENO: $BASH_COMMAND"' ERR

# ---- 1. container tooling ---------------------------------------------------------------------
say "node $(node --version) at $(command -v node)"
[ -f "$TOOLS" ] || die "CONTAINER TOOLING NOT FOUND: $TOOLS does not exist." \
  "The container image and compose file were NOT tested."
say "container tooling: $TOOLS (the first run takes a few minutes) ..."
if ! timeout 1500 bash "$TOOLS" >"$WORK/container-tools.log" 2>&1; then
  tail -30 "$WORK/container-tools.log" >&2
  die "CONTAINER TOOLING COULD NOT BE INSTALLED ($TOOLS failed, log above)." \
    "The container image and compose file were NOT tested. This is a failure, not a skip."
fi
for bin in buildah podman podman-compose; do
  command -v "$bin" >/dev/null || die "CONTAINER TOOLING INCOMPLETE: $bin is missing after $TOOLS. Nothing was tested."
done
podman image exists "$BASE_IMAGE" || die "BASE IMAGE MISSING: $BASE_IMAGE is not in local storage after $TOOLS."
say "$(podman --version), $(buildah --version | cut -d' ' -f1-3), podman-compose $(podman-compose version 2>/dev/null | awk '/compose/ && /version/ {print $NF; exit}')"

# ---- helper scripts (node, run from the repo root so 'jose' and ./dist resolve) ---------------
# They live here rather than in scripts/*.mjs because `npm test` lints every .mjs file with
# type information, which only covers src/, test/ and bench/.
cat >"$WORK/fake-kakao.mjs" <<'JS'
// The test fake Kakao as a standalone loopback server; prints {"url": ...} once listening.
import { startFakeKakao } from './dist/demo/fake-kakao.js';
const redirectUris = process.env.FAKE_KAKAO_REDIRECT_URIS.split(',');
const fake = await startFakeKakao({
  host: '127.0.0.1',
  apps: [{ clientId: process.env.FAKE_KAKAO_CLIENT_ID, clientSecret: process.env.FAKE_KAKAO_CLIENT_SECRET, redirectUris }],
});
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
const close = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  fake.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
JS

cat >"$WORK/check.mjs" <<'JS'
// HTTP checks against the bridge in a container. Every request has a deadline; a failed check
// prints why and exits 1.
//   free-ports N | wait URL SECONDS | status URL | discovery ISSUER | kids ISSUER
//   login ISSUER   (env CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, EXPECT_SUB): /authorize → fake
//                  Kakao → /callback → redirect_uri?code → /token (client_secret_post + PKCE) →
//                  id_token verified against the JWKS → /userinfo. Prints a JSON summary.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

const timeoutMs = 10_000;
const fail = (message) => {
  process.stderr.write(`check: FAIL: ${message}\n`);
  process.exit(1);
};
const check = (condition, message) => condition || fail(message);

async function getJson(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) fail(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    return fail(`${url} did not answer JSON: ${text.slice(0, 300)}`);
  }
}

async function freePorts(count) {
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function waitFor(url, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`${url} did not answer 200 within ${seconds} s (last: ${last})`);
}

async function discovery(issuer) {
  const metadata = await getJson(`${issuer}/.well-known/openid-configuration`);
  check(metadata.issuer === issuer, `discovery issuer is ${metadata.issuer}, expected ${issuer}`);
  for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    check(String(metadata[field]).startsWith(`${issuer}/`), `discovery ${field} is ${metadata[field]}, not under ${issuer}`);
  }
  check(metadata.response_types_supported?.includes('code'), 'discovery lacks response_type code');
  return metadata;
}

async function kids(issuer) {
  const jwks = await getJson((await discovery(issuer)).jwks_uri);
  check(Array.isArray(jwks.keys) && jwks.keys.length > 0, 'the JWKS has no keys');
  for (const key of jwks.keys) check(key.d === undefined, 'the JWKS publishes a private key');
  return jwks.keys.map((key) => key.kid).sort();
}

/**
 * A browser: one cookie jar per host name (browsers share cookies across ports), manual
 * redirects, and a hosts file: BROWSER_HOSTS="name:port=127.0.0.1:port,…" (a compose service
 * name the bridge redirects to, reached through its port published on loopback).
 */
const jars = new Map();
const hostsFile = new Map((process.env.BROWSER_HOSTS ?? '').split(',').filter(Boolean).map((entry) => entry.split('=')));
async function browserGet(url) {
  const target = new URL(url);
  const jar = jars.get(target.hostname) ?? new Map();
  jars.set(target.hostname, jar);
  const headers = jar.size === 0 ? {} : { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') };
  if (hostsFile.has(target.host)) target.host = hostsFile.get(target.host);
  const response = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';')[0];
    const name = pair.slice(0, pair.indexOf('=')).trim();
    const value = pair.slice(pair.indexOf('=') + 1).trim();
    if (/max-age=0/i.test(line) || value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

async function follow(url, stopPrefix) {
  let next = url;
  const hops = [];
  for (let hop = 0; hop < 10; hop++) {
    const response = await browserGet(next);
    hops.push(`${new URL(next).host}${new URL(next).pathname} ${response.status}`);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) {
      fail(`the browser stopped at ${hops.join(' -> ')}: ${(await response.text()).slice(0, 300)}`);
    }
    next = new URL(location, next).href;
    if (next.startsWith(stopPrefix)) return { callback: new URL(next), hops };
  }
  return fail(`more than 10 redirects from ${url}`);
}

async function login(issuer) {
  const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, REDIRECT_URI: redirectUri } = process.env;
  check(clientId && clientSecret && redirectUri, 'CLIENT_ID, CLIENT_SECRET and REDIRECT_URI are required');
  const metadata = await discovery(issuer);
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(metadata.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  const { callback, hops } = await follow(authorize.href, redirectUri);
  const param = (name) => callback.searchParams.get(name);
  check(param('error') === null, `the login ended with error=${param('error')}: ${param('error_description')}`);
  check(param('code'), 'no code at the redirect_uri');
  check(param('state') === state, 'state was not echoed');
  check(param('iss') === issuer, `iss is ${param('iss')}, expected ${issuer}`);

  const tokens = await getJson(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: param('code'),
      redirect_uri: redirectUri,
      client_id: clientId,
      client_secret: clientSecret,
      code_verifier: verifier,
    }),
  });
  check(typeof tokens.access_token === 'string' && typeof tokens.id_token === 'string', 'the token response lacks access_token or id_token');
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: timeoutMs });
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: clientId });
  check(payload.nonce === nonce, 'the id_token nonce does not match');
  const userinfo = await getJson(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  check(userinfo.sub === payload.sub, `userinfo sub ${userinfo.sub} differs from the id_token's ${payload.sub}`);
  if (process.env.EXPECT_SUB) check(payload.sub === process.env.EXPECT_SUB, `sub is ${payload.sub}, expected ${process.env.EXPECT_SUB}`);
  const { alg, kid } = decodeProtectedHeader(tokens.id_token);
  return { login: 'ok', legs: hops.length + 2, sub: payload.sub, nickname: userinfo.nickname, email: userinfo.email, email_verified: userinfo.email_verified, scope: tokens.scope, alg, kid };
}

const [command, ...args] = process.argv.slice(2);
setTimeout(() => fail(`${command} took longer than 90 s`), 90_000).unref();
try {
  if (command === 'free-ports') console.log((await freePorts(Number(args[0]))).join(' '));
  else if (command === 'wait') await waitFor(args[0], Number(args[1]));
  else if (command === 'status') console.log((await fetch(args[0], { signal: AbortSignal.timeout(timeoutMs) })).status);
  else if (command === 'discovery') console.log(JSON.stringify({ issuer: (await discovery(args[0])).issuer, discovery: 'ok' }));
  else if (command === 'kids') console.log((await kids(args[0])).join(','));
  else if (command === 'login') console.log(JSON.stringify(await login(args[0])));
  else fail(`unknown command ${command}`);
} catch (error) {
  fail(`${command}: ${error.cause?.code ?? ''} ${error.message}`);
}
JS
check() { (cd "$ROOT" && node --input-type=module - "$@" <"$WORK/check.mjs"); }

# ---- 2. the image -----------------------------------------------------------------------------
[ -d "$ROOT/node_modules" ] || die "node_modules is missing: run npm ci first (the fake Kakao and the checks run on the host)."
say "npm run build (the fake Kakao runs from dist/ on the host) ..."
(cd "$ROOT" && timeout 300 npm run build --silent) >"$WORK/npm-build.log" 2>&1 || { cat "$WORK/npm-build.log" >&2; die "npm run build failed"; }

say "buildah build -> $IMAGE ..."
T_BUILD=$(now_ms)
# --format docker keeps the HEALTHCHECK (the OCI format has no such field); --layers reuses
# unchanged steps on later runs.
if ! timeout 1500 buildah build --isolation chroot --pull=never --format docker --layers -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -40 "$WORK/build.log" >&2
  die "IMAGE BUILD FAILED (buildah build, log above)"
fi
BUILD_S=$(awk -v ms=$(($(now_ms) - T_BUILD)) 'BEGIN { printf "%.1f", ms / 1000 }')
pass "image built in ${BUILD_S} s"

IMAGE_BYTES=$(podman image inspect "$IMAGE" --format '{{.Size}}')
BASE_BYTES=$(podman image inspect "$BASE_IMAGE" --format '{{.Size}}')
ADDED_BYTES=$((IMAGE_BYTES - BASE_BYTES))
say "layers the project adds to $BASE_IMAGE (podman history):"
podman history --format '{{.Size}}|{{.CreatedBy}}' "$IMAGE" | awk -F'|' '$1 != "0 B" { printf "           %-9s %s\n", $1, substr($2, 1, 90) }' | sed '$d'
[ "$ADDED_BYTES" -lt "$MAX_ADDED_BYTES" ] || die "the image adds $(mb "$ADDED_BYTES") to the base image; the limit is $(mb "$MAX_ADDED_BYTES")"
pass "image $(mb "$IMAGE_BYTES"), of which $(mb "$ADDED_BYTES") added to the base image (limit $(mb "$MAX_ADDED_BYTES"))"

config="$(podman image inspect "$IMAGE" --format '{{.User}}|{{json .Config.Healthcheck}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}|{{json .Config.Cmd}}|{{json .Config.Env}}')"
[[ "$config" == node\|* ]] || die "the image does not run as user node: $config"
[[ "$config" == *'"CMD","node","-e"'*healthz* ]] || die "the image has no node-based HEALTHCHECK: $config"
[[ "$config" == *'"3000/tcp"'* ]] || die "the image does not EXPOSE 3000: $config"
[[ "$config" == *'"/data"'* ]] || die "the image does not declare VOLUME /data: $config"
[[ "$config" == *'["node","dist/main.js"]'* ]] || die "the image CMD is not [node, dist/main.js]: $config"
[[ "$config" == *NODE_ENV=production* && "$config" == *DATA_DIR=/data* ]] || die "the image lacks NODE_ENV=production or DATA_DIR=/data: $config"
timeout 60 podman run --rm --network none --read-only --entrypoint /bin/sh "$IMAGE" -c '
  set -e
  test -f dist/main.js -a -f node_modules/fastify/package.json
  for dev in node typescript tap eslint oidc-provider @types; do ! test -e "node_modules/$dev" || { echo "dev dependency in the image: $dev"; exit 1; }; done
  for stray in src test .env data .git coverage .tap; do ! test -e "$stray" || { echo "not for the image: /app/$stray"; exit 1; }; done
  test "$(stat -c %U /data)" = node
  ! test -w /app/dist' >"$WORK/image-content.log" 2>&1 || { cat "$WORK/image-content.log" >&2; die "the image content check failed"; }
pass "user node, HEALTHCHECK with node, EXPOSE 3000, VOLUME /data owned by node, CMD node dist/main.js, no dev dependencies or sources"

# ---- 3. fake Kakao on the host loopback -------------------------------------------------------
read -r BRIDGE_PORT COMPOSE_PORT FAKE_COMPOSE_PORT < <(check free-ports 3)
[ -n "${FAKE_COMPOSE_PORT:-}" ] || die "could not find free loopback ports"
ISSUER="http://127.0.0.1:$BRIDGE_PORT"
COMPOSE_ISSUER="http://127.0.0.1:$COMPOSE_PORT"
KAKAO_KEY="container-test-rest-api-key"
KAKAO_SECRET="container-test-kakao-client-secret"
export CLIENT_ID="container-test-rp" CLIENT_SECRET="container-test-rp-secret-0123456789" REDIRECT_URI="https://rp.example.test/callback" EXPECT_SUB="$KAKAO_USER_ID"

(cd "$ROOT" && FAKE_KAKAO_CLIENT_ID="$KAKAO_KEY" FAKE_KAKAO_CLIENT_SECRET="$KAKAO_SECRET" \
  FAKE_KAKAO_REDIRECT_URIS="$ISSUER/callback/kakao" \
  exec node --input-type=module - <"$WORK/fake-kakao.mjs" >"$WORK/fake-kakao.out" 2>"$WORK/fake-kakao.err") &
FAKE_PID=$!
for _ in $(seq 100); do grep -q '"url"' "$WORK/fake-kakao.out" 2>/dev/null && break; sleep 0.1; done
FAKE_URL="$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$WORK/fake-kakao.out")"
[ -n "$FAKE_URL" ] || { cat "$WORK/fake-kakao.err" >&2; die "the fake Kakao did not start within 10 s"; }
pass "fake Kakao at $FAKE_URL (host loopback)"

write_env() { # $1: file; $2: port; then extra lines
  local file="$1" port="$2"
  shift 2
  {
    echo "PUBLIC_URL=http://127.0.0.1:$port"
    echo "PORT=$port"
    echo "HOST=127.0.0.1"
    echo "LOG_LEVEL=info"
    echo "KAKAO_CLIENT_ID=$KAKAO_KEY"
    echo "KAKAO_CLIENT_SECRET=$KAKAO_SECRET"
    echo "KAKAO_AUTH_URL=$FAKE_URL"
    echo "KAKAO_API_URL=$FAKE_URL"
    echo "OIDC_CLIENT_ID=$CLIENT_ID"
    echo "OIDC_CLIENT_SECRET=$CLIENT_SECRET"
    echo "OIDC_REDIRECT_URIS=$REDIRECT_URI"
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

# ---- 4. podman run ----------------------------------------------------------------------------
DATA="$WORK/data"
mkdir -m 0700 "$DATA"
chown 1000:1000 "$DATA" # the image's node user
write_env "$WORK/bridge.env" "$BRIDGE_PORT"

run_bridge() { # $1: container name
  CONTAINERS+=("$1")
  # --read-only-tmpfs=false: not even /tmp or /run is writable; only the /data volume is.
  timeout 120 podman run -d --name "$1" --network host --read-only --read-only-tmpfs=false \
    -v "$DATA:/data" --env-file "$WORK/bridge.env" "$IMAGE" >/dev/null 2>>"$WORK/podman-run.err" \
    || { cat "$WORK/podman-run.err" >&2; die "podman run $1 failed"; }
  local t0
  t0=$(now_ms)
  if ! check wait "$ISSUER/healthz" 30; then
    podman logs "$1" 2>&1 | tail -30 >&2
    die "container $1 did not become healthy within 30 s (its log above)"
  fi
  pass "container $1 answers /healthz ($(($(now_ms) - t0)) ms after podman run returned)"
}

stop_bridge() { # $1: container name; sets STOP_MS and STOP_EXIT
  local t0
  t0=$(now_ms)
  timeout 60 podman stop -t 10 "$1" >/dev/null 2>&1 || die "podman stop $1 failed"
  STOP_MS=$(($(now_ms) - t0))
  STOP_EXIT=$(podman inspect "$1" --format '{{.State.ExitCode}}')
  podman logs "$1" >"$WORK/$1.log" 2>&1 || true
  grep -q '"signal":"SIGTERM"' "$WORK/$1.log" || { tail -5 "$WORK/$1.log" >&2; die "$1 did not log its SIGTERM shutdown"; }
  [ "$STOP_MS" -lt "$STOP_LIMIT_MS" ] || die "podman stop (SIGTERM) took $STOP_MS ms; the limit is $STOP_LIMIT_MS ms"
  [ "$STOP_EXIT" = 0 ] || die "after SIGTERM the container exited with code $STOP_EXIT, not 0"
  pass "podman stop (SIGTERM) -> stopped in $STOP_MS ms with exit code $STOP_EXIT"
}

VOLUMES_BEFORE="$(podman volume ls -q | wc -l)"
C1="$RUN_ID-bridge-1"
run_bridge "$C1"
DISCOVERY="$(check discovery "$ISSUER")"
pass "discovery: $DISCOVERY"
LOGIN1="$(check login "$ISSUER")" || die "login through the container failed"
pass "login through the container: $LOGIN1"
USER_ID="$(podman exec "$C1" id -u)"
[ "$USER_ID" != 0 ] || die "the container runs as root"
pass "runs as uid $USER_ID ($(podman exec "$C1" id -un)), not root"
PID1="$(podman exec "$C1" cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
[ "$PID1" = "node dist/main.js" ] || die "PID 1 is '$PID1', expected 'node dist/main.js'"
pass "PID 1 is '$PID1'"
[ "$(podman inspect "$C1" --format '{{.HostConfig.ReadonlyRootfs}}')" = true ] || die "the root filesystem is not read-only"
podman exec "$C1" sh -c 'touch /app/x /tmp/x 2>/dev/null' && die "the root filesystem accepted a write"
pass "read-only root filesystem (no tmpfs either); writes only to /data: $(ls -A "$DATA" | tr '\n' ' ')"
timeout 30 podman healthcheck run "$C1" >/dev/null 2>&1 || die "the image's HEALTHCHECK reports unhealthy"
pass "podman healthcheck run: healthy"
READY_CODE="$(check status "$ISSUER/readyz")"
[ "$READY_CODE" = 200 ] || die "/readyz answered $READY_CODE"
pass "/readyz 200"
KIDS1="$(check kids "$ISSUER")"
stop_bridge "$C1"
STOP1_MS=$STOP_MS STOP1_EXIT=$STOP_EXIT

C2="$RUN_ID-bridge-2"
run_bridge "$C2"
KIDS2="$(check kids "$ISSUER")"
[ "$KIDS1" = "$KIDS2" ] || die "the JWKS changed across a restart on the same /data: $KIDS1 -> $KIDS2"
pass "a new container on the same /data publishes the same JWKS (kids $KIDS2)"
LOGIN2="$(check login "$ISSUER")" || die "login after the restart failed"
pass "login after the restart: $LOGIN2"
stop_bridge "$C2"
STOP2_MS=$STOP_MS STOP2_EXIT=$STOP_EXIT

# ---- 5. podman-compose with Redis -------------------------------------------------------------
# The repo's docker-compose.yml on podman's bridge network, exactly as written (the bridge
# reaches Redis at redis://redis:6379), with three changes for this machine, made by a YAML
# transform because podman-compose 1.0.3 concatenates lists instead of overriding them:
#   - the bridge is published on 127.0.0.1:<free port> instead of 127.0.0.1:3000;
#   - a `fake-kakao` service (the fake from dist/demo, which the image contains) joins the
#     network, published on 127.0.0.1 only. The bridge calls it at http://fake-kakao:PORT;
#     the test's browser resolves fake-kakao to 127.0.0.1, as a hosts-file entry would.
#   - nothing else: the generated .env even says DATA_DIR=./data, as .env.example does, to
#     prove that the compose file's DATA_DIR=/data wins.
mkdir "$WORK/compose"
FAKE_HOSTPORT="fake-kakao:$FAKE_COMPOSE_PORT"
write_env "$WORK/compose/.env" "$COMPOSE_PORT" "DATA_DIR=./data" "REDIS_URL="
sed -i -e '/^PORT=/d' -e '/^HOST=/d' -e "s#^KAKAO_\(AUTH\|API\)_URL=.*#KAKAO_\1_URL=http://$FAKE_HOSTPORT#" "$WORK/compose/.env"
REPO_COMPOSE="$ROOT/docker-compose.yml" OUT="$WORK/compose/docker-compose.yml" \
  COMPOSE_PORT="$COMPOSE_PORT" FAKE_PORT="$FAKE_COMPOSE_PORT" \
  FAKE_APPS="[{\"clientId\":\"$KAKAO_KEY\",\"clientSecret\":\"$KAKAO_SECRET\",\"redirectUris\":[\"$COMPOSE_ISSUER/callback/kakao\"]}]" \
  timeout 30 python3 - <<'PY' || die "could not derive the test compose file from docker-compose.yml"
import os, yaml
with open(os.environ["REPO_COMPOSE"]) as f:
    doc = yaml.safe_load(f)
services = doc["services"]
assert set(services) == {"bridge", "redis"}, f"expected services bridge and redis, got {sorted(services)}"
bridge = services["bridge"]
assert bridge.get("ports") == ["127.0.0.1:3000:3000"], f"bridge ports: {bridge.get('ports')}"
bridge["ports"] = [f"127.0.0.1:{os.environ['COMPOSE_PORT']}:3000"]
deps = bridge.get("depends_on")
bridge["depends_on"] = {**(deps if isinstance(deps, dict) else {d: {"condition": "service_started"} for d in deps or []}),
                        "fake-kakao": {"condition": "service_started"}}
port = os.environ["FAKE_PORT"]
services["fake-kakao"] = {
    "image": bridge["image"],
    "environment": {"FAKE_APPS": os.environ["FAKE_APPS"]},
    "tmpfs": ["/data"],  # no anonymous volume for the image's VOLUME (down -v would leave it)
    "ports": [f"127.0.0.1:{port}:{port}"],
    "command": ["node", "-e",
        "import('./dist/demo/fake-kakao.js').then(async ({ startFakeKakao }) => {"
        f" const fake = await startFakeKakao({{ host: '0.0.0.0', port: {port}, apps: JSON.parse(process.env.FAKE_APPS) }});"
        " console.log('fake Kakao (test only) listening', fake.url);"
        " const stop = () => fake.close().then(() => process.exit(0));"
        " process.on('SIGTERM', stop); process.on('SIGINT', stop); })"],
}
with open(os.environ["OUT"], "w") as f:
    yaml.safe_dump(doc, f, sort_keys=False)
PY
COMPOSE_ARGS=(-p "$RUN_ID" -f docker-compose.yml)
say "podman-compose up -d (bridge + redis, and the test's fake-kakao) ..."
COMPOSE_UP=1
T_COMPOSE=$(now_ms)
(cd "$WORK/compose" && timeout 300 podman-compose "${COMPOSE_ARGS[@]}" up -d --no-build) >"$WORK/compose-up.log" 2>&1 \
  || { tail -30 "$WORK/compose-up.log" >&2; die "podman-compose up failed"; }
service_ctr() { podman ps -a --filter "label=io.podman.compose.project=$RUN_ID" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1; }
BRIDGE_CTR="$(service_ctr bridge)"
REDIS_CTR="$(service_ctr redis)"
[ -n "$BRIDGE_CTR" ] && [ -n "$REDIS_CTR" ] || { tail -30 "$WORK/compose-up.log" >&2; die "podman-compose did not create the bridge and redis containers"; }
healthy=""
for _ in $(seq 60); do
  if timeout 10 podman healthcheck run "$REDIS_CTR" >/dev/null 2>&1; then healthy=1; break; fi
  sleep 0.5
done
[ -n "$healthy" ] || die "the redis service never became healthy (its healthcheck) within 30 s"
pass "redis healthy ($REDIS_CTR, its compose healthcheck)"
if ! check wait "$COMPOSE_ISSUER/healthz" 60; then
  podman logs "$BRIDGE_CTR" 2>&1 | tail -30 >&2
  die "the compose bridge did not answer /healthz within 60 s (its log above)"
fi
timeout 30 podman healthcheck run "$BRIDGE_CTR" >/dev/null 2>&1 || die "the compose bridge's healthcheck reports unhealthy"
pass "bridge healthy ($BRIDGE_CTR, its compose healthcheck), $(($(now_ms) - T_COMPOSE)) ms after podman-compose up began"
inspect="$(podman inspect "$BRIDGE_CTR" --format '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.RestartPolicy.Name}}')"
[ "$inspect" = "true unless-stopped" ] || die "compose bridge: expected read-only and restart unless-stopped, got '$inspect'"
IN_DATA="$(podman exec "$BRIDGE_CTR" ls -A /data | tr '\n' ' ')"
pass "compose bridge: read-only root filesystem, restart unless-stopped; named volume /data holds: ${IN_DATA:-nothing (this build keeps keys and the cookie secret in Redis)}"
podman logs "$BRIDGE_CTR" >"$WORK/compose-bridge.log" 2>&1 || true
FAILED_STARTS="$(grep -c 'failed to start' "$WORK/compose-bridge.log" || true)"
if [ "$FAILED_STARTS" -gt 0 ]; then
  say "NOTE: the compose bridge failed to start $FAILED_STARTS time(s) before Redis answered and was restarted by its restart policy:"
  grep -m1 'failed to start' "$WORK/compose-bridge.log" | cut -c1-200 | sed 's/^/           /'
fi
COMPOSE_LOGIN="$(BROWSER_HOSTS="$FAKE_HOSTPORT=127.0.0.1:$FAKE_COMPOSE_PORT" check login "$COMPOSE_ISSUER")" || die "login through the compose stack failed"
pass "login through the compose stack: $COMPOSE_LOGIN"
REDIS_KEYS="$(podman exec "$REDIS_CTR" redis-cli dbsize | tr -d '\r')"
if [ "${REDIS_KEYS:-0}" -gt 0 ]; then
  REDIS_NOTE="the bridge stores in Redis ($REDIS_KEYS keys after the login)"
  pass "$REDIS_NOTE"
else
  REDIS_NOTE="Redis is up and healthy but holds 0 keys: this build's store ignores REDIS_URL (in-memory)"
  say "NOTE: $REDIS_NOTE"
fi
# The bridge first, then the rest: docker compose stops dependents before their dependencies,
# but podman-compose 1.0.3 stops Redis first, and a bridge whose libuv threadpool is then stuck
# resolving "redis" (podman's DNS and this sandbox's upstream resolver do not answer for a
# stopped container) cannot exit until that lookup times out (Node joins the threadpool at exit).
T_DOWN=$(now_ms)
(cd "$WORK/compose" && timeout 120 podman-compose "${COMPOSE_ARGS[@]}" stop bridge) >"$WORK/compose-stop.log" 2>&1 \
  || { tail -20 "$WORK/compose-stop.log" >&2; die "podman-compose stop bridge failed"; }
COMPOSE_STOP_MS=$(($(now_ms) - T_DOWN))
COMPOSE_EXIT="$(podman inspect "$BRIDGE_CTR" --format '{{.State.ExitCode}}')"
[ "$COMPOSE_EXIT" = 0 ] || die "the compose bridge exited with code $COMPOSE_EXIT after podman-compose stop bridge (SIGTERM)"
[ "$COMPOSE_STOP_MS" -lt "$STOP_LIMIT_MS" ] || die "podman-compose stop bridge took $COMPOSE_STOP_MS ms; the limit is $STOP_LIMIT_MS ms"
pass "podman-compose stop bridge (SIGTERM) -> stopped in $COMPOSE_STOP_MS ms with exit code $COMPOSE_EXIT"
(cd "$WORK/compose" && timeout 120 podman-compose "${COMPOSE_ARGS[@]}" down -v) >"$WORK/compose-down.log" 2>&1 \
  || { tail -20 "$WORK/compose-down.log" >&2; die "podman-compose down failed"; }
podman network rm -f "${RUN_ID}_default" >/dev/null 2>&1 || true # podman-compose 1.0.3 leaves it
LEFT="$(podman ps -aq --filter "label=io.podman.compose.project=$RUN_ID" | wc -l)"
[ "$LEFT" = 0 ] || die "podman-compose down left $LEFT containers"
VOLS="$(podman volume ls -q | grep -c "^${RUN_ID}_" || true)"
[ "$VOLS" = 0 ] || die "podman-compose down -v left $VOLS volumes"
VOLUMES_AFTER="$(podman volume ls -q | wc -l)"
[ "$VOLUMES_AFTER" -le "$VOLUMES_BEFORE" ] || die "the test left $((VOLUMES_AFTER - VOLUMES_BEFORE)) podman volumes behind"
pass "podman-compose down -v: no containers or volumes left"
COMPOSE_UP=""

# ---- summary ----------------------------------------------------------------------------------
OK=1
TOTAL_S=$(awk -v ms=$(($(now_ms) - T_START)) 'BEGIN { printf "%.1f", ms / 1000 }')
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"; }
cat <<SUMMARY

================================ test:container: PASS ================================
 image                $IMAGE
 image size           $(mb "$IMAGE_BYTES") (base $BASE_IMAGE $(mb "$BASE_BYTES"))
 added layers         $(mb "$ADDED_BYTES") (limit $(mb "$MAX_ADDED_BYTES"))
 build                ${BUILD_S} s
 user / PID 1         uid $USER_ID / $PID1, read-only root filesystem, /data volume
 discovery            issuer $ISSUER
 login (podman run)   ok: sub $(field sub "$LOGIN1"), id_token $(field alg "$LOGIN1") kid $(field kid "$LOGIN1"), userinfo matches
 SIGTERM stop         $STOP1_MS ms, exit code $STOP1_EXIT (after restart: $STOP2_MS ms, exit $STOP2_EXIT; limit $STOP_LIMIT_MS ms)
 restart, same /data  same JWKS kids ($KIDS2); login ok
 compose + redis      up, both healthy, login ok (sub $(field sub "$COMPOSE_LOGIN")); SIGTERM stop $COMPOSE_STOP_MS ms, exit $COMPOSE_EXIT; down -v clean
 redis                $REDIS_NOTE
 total                ${TOTAL_S} s
======================================================================================
SUMMARY
