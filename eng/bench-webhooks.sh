#!/usr/bin/env bash
# Webhooks benchmark (issue #4): push-to-delivery latency (p50/p90/p99) and deliveries per second with 100 subscribers.
# Builds Release, starts the registry on 127.0.0.1 with a fresh data directory, and runs the benchmark's `webhooks`
# command: 100 webhooks (all subscribed to the pushed repository) pointing at a receiver inside the benchmark process,
# then a paced run (RATE pushes/s, PUSHES pushes) and a burst run (BURST pushes as fast as acknowledged).
#   MODE=standalone (default): the single-process host (in-memory bus, filesystem storage).
#   MODE=platform: auth, distribution, webhooks and the gateway as four processes over a real rabbitmq-server
#                  (filesystem storage shared by the services), the benchmark talking to the gateway.
# Usage: [MODE=platform] [RATE=6] [PUSHES=120] [BURST=60] [SUBSCRIBERS=100] [OUT=dir] [SKIP_BUILD=1] bash eng/bench-webhooks.sh
set -euo pipefail
# Throughput is measured without the tiers' request rates (they would cap it by design).
export RateLimits__Enabled=false
cd "$(dirname "$0")/.."
ROOT="$PWD"
MODE="${MODE:-standalone}"
RATE="${RATE:-6}"
PUSHES="${PUSHES:-120}"
BURST="${BURST:-60}"
SUBSCRIBERS="${SUBSCRIBERS:-100}"
BASE_PORT="${BASE_PORT:-5280}"
OUT="${OUT:-/tmp/registry-bench-webhooks/$(date -u +%Y%m%dT%H%M%SZ)}"
BIN="bin/Release/net10.0"
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WORK="$(mktemp -d /tmp/registry-bench-webhooks.XXXXXX)"
mkdir -p "$OUT"
log() { printf '[bench-webhooks] %s\n' "$*" >&2; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${RABBIT_DIR:-}" ]; then pkill -f "$RABBIT_DIR" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-}" != "1" ]; then
  log "building Release"
  dotnet build Registry.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
fi

wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; log "port $1 did not open"; return 1; }

common=(Webhooks__AllowPrivateNetworks=true REGISTRY_ADMIN_USERNAME=admin REGISTRY_ADMIN_PASSWORD="$PASSWORD" Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production)
if [ "$MODE" = "standalone" ]; then
  port="$BASE_PORT"
  env "${common[@]}" REGISTRY_DATA_DIR="$WORK/data" dotnet "services/Registry.Standalone/$BIN/Registry.Standalone.dll" --urls "http://127.0.0.1:$port" >"$OUT/server.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  target="http://127.0.0.1:$port"
else
  amqp=$((BASE_PORT + 10)); epmd=$((BASE_PORT + 11)); dist_port=$((BASE_PORT + 12))
  RABBIT_DIR="$WORK/rabbitmq"; mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"; echo '[].' >"$RABBIT_DIR/enabled_plugins"
  log "starting rabbitmq-server on $amqp"
  epmd -port "$epmd" -address 127.0.0.1 >/dev/null 2>&1 & pids+=($!)
  env HOME="$RABBIT_DIR" RABBITMQ_NODENAME="bench$amqp@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp" \
    RABBITMQ_DIST_PORT="$dist_port" RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBIT_DIR/log" \
    RABBITMQ_PID_FILE="$RABBIT_DIR/rabbit.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" ERL_EPMD_PORT="$epmd" \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none" \
    /usr/lib/rabbitmq/bin/rabbitmq-server >"$OUT/rabbitmq.log" 2>&1 & pids+=($!)
  wait_port "$amqp"
  auth=$((BASE_PORT + 1)); distribution=$((BASE_PORT + 2)); webhooks=$((BASE_PORT + 3)); gateway="$BASE_PORT"
  storage=(Storage__Driver=FileSystem Storage__RootDirectory="$WORK/data" Auth__Authority="http://127.0.0.1:$auth")
  messaging="ConnectionStrings__messaging=amqp://guest:guest@127.0.0.1:$amqp/"
  env "${common[@]}" "${storage[@]}" dotnet "services/Registry.Auth/$BIN/Registry.Auth.dll" --urls "http://127.0.0.1:$auth" >"$OUT/auth.log" 2>&1 & pids+=($!)
  wait_port "$auth"
  env "${common[@]}" "${storage[@]}" "$messaging" dotnet "services/Registry.Distribution/$BIN/Registry.Distribution.dll" --urls "http://127.0.0.1:$distribution" >"$OUT/distribution.log" 2>&1 & pids+=($!)
  env "${common[@]}" "${storage[@]}" "$messaging" dotnet "services/Registry.Webhooks/$BIN/Registry.Webhooks.dll" --urls "http://127.0.0.1:$webhooks" >"$OUT/webhooks.log" 2>&1 & pids+=($!)
  env "${common[@]}" Gateway__DistributionAddress="http://127.0.0.1:$distribution" Gateway__AuthAddress="http://127.0.0.1:$auth" \
    Gateway__WebhooksAddress="http://127.0.0.1:$webhooks" Auth__Authority="http://127.0.0.1:$auth" \
    dotnet "services/Registry.Gateway/$BIN/Registry.Gateway.dll" --urls "http://127.0.0.1:$gateway" >"$OUT/gateway.log" 2>&1 & pids+=($!)
  wait_port "$distribution"; wait_port "$webhooks"; wait_port "$gateway"
  target="http://127.0.0.1:$gateway"
fi

log "$MODE: benchmarking $target ($SUBSCRIBERS subscribers, paced $PUSHES at $RATE/s, burst $BURST)"
REGISTRY_BENCH_PASSWORD="$PASSWORD" dotnet "tests/Registry.Benchmarks/$BIN/Registry.Benchmarks.dll" webhooks \
  --registry "$target" --username admin --subscribers "$SUBSCRIBERS" --rate "$RATE" --pushes "$PUSHES" --burst-pushes "$BURST" \
  --markdown "$OUT/webhooks-$MODE.md"
log "results in $OUT"
