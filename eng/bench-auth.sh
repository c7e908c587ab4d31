#!/usr/bin/env bash
# Auth and gateway benchmark (issue #3): what token auth and the gateway cost, and how fast tokens are issued.
# Builds Release, then per round, each setup started fresh on 127.0.0.1 with its own temporary data directory:
#   (a) the single-process host with --Auth:Enabled=false: manifest HEAD rate and latency (the baseline);
#   (e) the single-process host with auth on: manifest HEAD with bearer tokens, and (d) the tokens phase against it;
#   (b) gateway + auth + distribution as three processes sharing one filesystem storage directory and one Redis (a fresh
#       redis-server per round, as the AppHost gives them), auth on: manifest HEAD through the gateway (the client gets its
#       token through the gateway's /oauth2/token), and (c) the tokens phase through the gateway; CPU is reported per
#       process. The gateway answers repeated HEADs itself (ADR 0019); GATEWAY_MANIFEST_CACHE=false measures every HEAD
#       proxied to distribution instead.
# Prints the comparison (cost of gateway + auth against the baseline; target < 25 %) and the token rates (target > 2,000/s).
#
# Usage: bash eng/bench-auth.sh [extra benchmark options for every run, e.g. --token-concurrency 32; not --duration,
#   --warmup, --phases, --manifest-methods or --manifest-concurrency, which this script sets]
# Environment: ROUNDS (default 1; results are the median of the rounds), OUT (results directory, default
#   /tmp/registry-bench-auth/<timestamp>), BASE_PORT (default 5180; the setups use BASE_PORT..BASE_PORT+4), SKIP_BUILD=1,
#   DURATION (seconds measured per measurement, default 10), WARMUP (seconds before each, default 60: on 2 shared cores
#   three freshly started processes are still compiling their hot paths at tier 1 after several seconds of load),
#   READY_TO_RUN=1 (run the servers as deploy/publish.sh publishes them, compiled ahead of time).
set -euo pipefail
# Throughput is measured without the tiers' request rates (they would cap it by design).
export RateLimits__Enabled=false
cd "$(dirname "$0")/.."
ROOT="$PWD"

ROUNDS="${ROUNDS:-1}"
BASE_PORT="${BASE_PORT:-5180}"
STANDALONE_PORT="$BASE_PORT"
GATEWAY_PORT="$((BASE_PORT + 1))"
AUTH_PORT="$((BASE_PORT + 2))"
DIST_PORT="$((BASE_PORT + 3))"
REDIS_PORT="$((BASE_PORT + 4))"
OUT="${OUT:-/tmp/registry-bench-auth/$(date -u +%Y%m%dT%H%M%SZ)}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-60}"
BIN="bin/Release/net10.0"
STANDALONE_DLL="$ROOT/services/Registry.Standalone/$BIN/Registry.Standalone.dll"
GATEWAY_DLL="$ROOT/services/Registry.Gateway/$BIN/Registry.Gateway.dll"
AUTH_DLL="$ROOT/services/Registry.Auth/$BIN/Registry.Auth.dll"
DIST_DLL="$ROOT/services/Registry.Distribution/$BIN/Registry.Distribution.dll"
BENCH_DLL="$ROOT/tests/Registry.Benchmarks/$BIN/Registry.Benchmarks.dll"

log() { printf '[bench-auth] %s\n' "$*" >&2; }
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/registry-bench-auth.XXXXXX)"

# The admin user of the default registry, created on first run from these variables. The password is made here, given
# to the servers and to the benchmark through the environment (never on a command line) and not written anywhere.
ADMIN_USER=admin
ADMIN_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export REGISTRY_BENCH_PASSWORD="$ADMIN_PASSWORD"

# Every server this script started, stopped (TERM, then KILL after 5 s) on exit or between setups.
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v redis-server >/dev/null || { log "redis-server is not installed (bash eng/setup.sh)"; exit 1; }
for port in "$STANDALONE_PORT" "$GATEWAY_PORT" "$AUTH_PORT" "$DIST_PORT" "$REDIS_PORT"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    log "port $port is already in use; set BASE_PORT"; exit 1
  fi
done

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release (Standalone, Gateway, Auth, Distribution, Benchmarks)"
  for project in services/Registry.Standalone services/Registry.Gateway services/Registry.Auth services/Registry.Distribution tests/Registry.Benchmarks; do
    dotnet build "$project" -c Release -nologo -v q -clp:ErrorsOnly
  done
fi
if [ "${READY_TO_RUN:-0}" = 1 ]; then
  # The servers as deploy/publish.sh ships them: compiled ahead of time (ReadyToRun), into this run's own folder.
  log "publishing the servers ReadyToRun (deploy/publish.sh)"
  OUT="$WORK/published" bash deploy/publish.sh Registry.Standalone Registry.Gateway Registry.Auth Registry.Distribution
  for name in Standalone Gateway Auth Distribution; do
    declare "$(echo "$name" | tr '[:lower:]' '[:upper:]')_DLL=$WORK/published/Registry.$name/Registry.$name.dll"
  done
fi

wait_status() { # url expected-status pid
  local code
  for _ in $(seq 1 150); do
    kill -0 "$3" 2>/dev/null || { log "a server exited during start-up (logs in $OUT)"; return 1; }
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)"
    [ "$code" = "$2" ] && return 0
    sleep 0.2
  done
  log "$1 did not answer $2 (last: $code)"; return 1
}

# Common server environment: production, warnings only (as eng/bench.sh), the admin credentials for first run.
server_env=(env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning
  REGISTRY_ADMIN_USERNAME="$ADMIN_USER" REGISTRY_ADMIN_PASSWORD="$ADMIN_PASSWORD")

STANDALONE_PID=""
start_standalone() { # data-dir on|off log-name
  mkdir -p "$1"
  local extra=() expect=401
  if [ "$2" = off ]; then extra=(--Auth:Enabled=false); expect=200; fi
  "${server_env[@]}" dotnet "$STANDALONE_DLL" --urls "http://127.0.0.1:$STANDALONE_PORT" --data-dir "$1" "${extra[@]}" \
    >"$OUT/$3.log" 2>&1 &
  STANDALONE_PID=$!; PIDS+=("$STANDALONE_PID")
  wait_status "http://127.0.0.1:$STANDALONE_PORT/v2/" "$expect" "$STANDALONE_PID"
}

GATEWAY_PID=""; AUTH_PID=""; DIST_PID=""
start_platform() { # storage-dir round
  mkdir -p "$1"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$1" >"$OUT/redis-$2.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  local storage=(Storage__Driver=FileSystem Storage__RootDirectory="$1" ConnectionStrings__cache="127.0.0.1:$REDIS_PORT")
  local authority="http://127.0.0.1:$AUTH_PORT"
  "${server_env[@]}" "${storage[@]}" dotnet "$AUTH_DLL" --urls "$authority" >"$OUT/auth-$2.log" 2>&1 &
  AUTH_PID=$!; PIDS+=("$AUTH_PID")
  wait_status "$authority/oauth2/jwks" 200 "$AUTH_PID"
  "${server_env[@]}" "${storage[@]}" Auth__Authority="$authority" dotnet "$DIST_DLL" --urls "http://127.0.0.1:$DIST_PORT" \
    >"$OUT/distribution-$2.log" 2>&1 &
  DIST_PID=$!; PIDS+=("$DIST_PID")
  wait_status "http://127.0.0.1:$DIST_PORT/v2/" 401 "$DIST_PID"
  "${server_env[@]}" Auth__Authority="$authority" Gateway__DistributionAddress="http://127.0.0.1:$DIST_PORT" \
    Gateway__AuthAddress="$authority" ConnectionStrings__cache="127.0.0.1:$REDIS_PORT" \
    Gateway__ManifestCache="${GATEWAY_MANIFEST_CACHE:-true}" dotnet "$GATEWAY_DLL" --urls "http://127.0.0.1:$GATEWAY_PORT" >"$OUT/gateway-$2.log" 2>&1 &
  GATEWAY_PID=$!; PIDS+=("$GATEWAY_PID")
  wait_status "http://127.0.0.1:$GATEWAY_PORT/v2/" 401 "$GATEWAY_PID"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# Run the benchmark; the first measurement of a fresh setup gets the long warm-up.

bench() { # name port json [args...]
  local name="$1" port="$2" json="$3"; shift 3
  log "$name: load average before: $(load)"
  printf '%s\tbefore\t%s\n' "$name" "$(load)" >>"$OUT/load.tsv"
  dotnet "$BENCH_DLL" --registry "http://127.0.0.1:$port" --name "$name" --json "$json" --manifest-methods head \
    --duration "$DURATION" --warmup "$WARMUP" "$@"
  printf '%s\tafter\t%s\n' "$name" "$(load)" >>"$OUT/load.tsv"
}

# The same server, already warm, with one connection: the latency a lone client (docker pulling layer by layer) sees.
single() { # name port json [args...]
  local name="$1" port="$2" json="$3"; shift 3
  dotnet "$BENCH_DLL" --registry "http://127.0.0.1:$port" --name "$name" --json "$json" --manifest-methods head \
    --duration "$DURATION" --warmup 2 --phases manifests --manifest-concurrency 1 "$@" >/dev/null
}

log "results in $OUT; $(nproc) cores; load average $(load)"
BASELINE=(); STANDALONE_AUTH=(); GATEWAY=(); BASELINE_1=(); STANDALONE_AUTH_1=(); GATEWAY_1=()
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS: (a) single process, auth off"
  start_standalone "$WORK/off-$round" off "standalone-off-$round"
  bench standalone-auth-off "$STANDALONE_PORT" "$OUT/standalone-off-$round.json" \
    --server-pid "$STANDALONE_PID" --phases manifests "$@"
  single standalone-auth-off "$STANDALONE_PORT" "$OUT/standalone-off-$round-c1.json" --server-pid "$STANDALONE_PID" "$@"
  stop_all; rm -rf "$WORK/off-$round"; BASELINE+=("$OUT/standalone-off-$round.json"); BASELINE_1+=("$OUT/standalone-off-$round-c1.json")

  log "round $round/$ROUNDS: (d, e) single process, auth on"
  start_standalone "$WORK/on-$round" on "standalone-on-$round"
  bench standalone-auth-on "$STANDALONE_PORT" "$OUT/standalone-on-$round.json" \
    --server-pid "$STANDALONE_PID" --username "$ADMIN_USER" --phases manifests,tokens "$@"
  single standalone-auth-on "$STANDALONE_PORT" "$OUT/standalone-on-$round-c1.json" --server-pid "$STANDALONE_PID" --username "$ADMIN_USER" "$@"
  stop_all; rm -rf "$WORK/on-$round"; STANDALONE_AUTH+=("$OUT/standalone-on-$round.json"); STANDALONE_AUTH_1+=("$OUT/standalone-on-$round-c1.json")

  log "round $round/$ROUNDS: (b, c) gateway + auth + distribution, auth on"
  start_platform "$WORK/platform-$round" "$round"
  bench gateway-auth-on "$GATEWAY_PORT" "$OUT/gateway-$round.json" \
    --processes "gateway=$GATEWAY_PID,auth=$AUTH_PID,distribution=$DIST_PID" --username "$ADMIN_USER" --phases manifests,tokens "$@"
  single gateway-auth-on "$GATEWAY_PORT" "$OUT/gateway-$round-c1.json" \
    --processes "gateway=$GATEWAY_PID,auth=$AUTH_PID,distribution=$DIST_PID" --username "$ADMIN_USER" "$@"
  stop_all; rm -rf "$WORK/platform-$round"; GATEWAY+=("$OUT/gateway-$round.json"); GATEWAY_1+=("$OUT/gateway-$round-c1.json")
done

echo
echo "## Auth and gateway ($(nproc) cores; load average during the runs in $OUT/load.tsv)"
echo
dotnet "$BENCH_DLL" auth-report --baseline "${BASELINE[@]}" --standalone-auth "${STANDALONE_AUTH[@]}" --gateway "${GATEWAY[@]}" \
  --markdown "$OUT/auth.md"
echo
dotnet "$BENCH_DLL" auth-report --baseline "${BASELINE_1[@]}" --standalone-auth "${STANDALONE_AUTH_1[@]}" --gateway "${GATEWAY_1[@]}" \
  --title "Manifest HEAD by tag, one connection (latency of a lone client)" --markdown "$OUT/auth-single.md"
column -t "$OUT/load.tsv" >&2 || cat "$OUT/load.tsv" >&2
log "done; JSON, Markdown and server logs in $OUT"
