#!/usr/bin/env bash
# Side-by-side benchmark: our single-process registry vs CNCF Distribution 2.8 (Debian package docker-registry),
# same machine, same run. Builds Release, then for each registry: start it on 127.0.0.1 with a fresh temporary
# data directory, run the throughput phases (blobs, manifests, small images) with RSS sampling, stop it; start it
# fresh again and run the 2 GiB memory phase, stop it. Prints both tables and the comparison.
# Both run without authentication (ours with --Auth:Enabled=false, Distribution without an auth section), so the
# comparison is like for like; eng/bench-auth.sh measures what token auth and the gateway cost.
#
# Usage: bash eng/bench.sh [extra benchmark options, e.g. --duration 5]
# Environment: ROUNDS (default 1; results are the median of the rounds), OUT (results directory, default
#   /tmp/registry-bench-results/<timestamp>), OURS_PORT (default 5080), DIST_PORT (default 5081), SKIP_BUILD=1,
#   SKIP_MEMORY=1, OURS_CONFIG (extra "--Key=Value" arguments for our host, e.g. --Storage:FlushToDisk=false).
set -euo pipefail
# Throughput is measured without the tiers' request rates (they would cap it by design).
export RateLimits__Enabled=false
cd "$(dirname "$0")/.."
ROOT="$PWD"

ROUNDS="${ROUNDS:-1}"
OURS_PORT="${OURS_PORT:-5080}"
DIST_PORT="${DIST_PORT:-5081}"
OUT="${OUT:-/tmp/registry-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
OURS_DLL="$ROOT/services/Registry.Standalone/bin/Release/net10.0/Registry.Standalone.dll"
BENCH_DLL="$ROOT/tests/Registry.Benchmarks/bin/Release/net10.0/Registry.Benchmarks.dll"
read -r -a OURS_EXTRA <<<"${OURS_CONFIG:-}"

log() { printf '[bench] %s\n' "$*" >&2; }
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/registry-bench.XXXXXX)"
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ Distribution 2.8 (Debian docker-registry)
if [ ! -x /usr/bin/docker-registry ]; then
  log "installing docker-registry (Debian package) without starting its service"
  SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q docker-registry >/dev/null || {
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q docker-registry >/dev/null
  }
  [ "$created_policy" = 1 ] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
fi
# Never leave (or benchmark next to) the packaged service.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  log "stopping the packaged docker-registry service"; systemctl stop docker-registry || true
elif command -v service >/dev/null 2>&1 && service docker-registry status >/dev/null 2>&1; then
  log "stopping the packaged docker-registry service"; service docker-registry stop >/dev/null 2>&1 || true
fi
DIST_VERSION="$(/usr/bin/docker-registry --version 2>/dev/null | head -n1 || true)"

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release (Registry.Standalone, Registry.Benchmarks)"
  dotnet build services/Registry.Standalone -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build tests/Registry.Benchmarks -c Release -nologo -v q -clp:ErrorsOnly
fi

wait_ready() { # url pid
  for _ in $(seq 1 150); do
    kill -0 "$2" 2>/dev/null || { log "server exited during start-up"; return 1; }
    code="$(curl -s -o /dev/null -w '%{http_code}' "$1/v2/" || true)"
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  log "server at $1 did not answer 200 on /v2/"; return 1
}

start_ours() { # data dir
  mkdir -p "$1"
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet "$OURS_DLL" --urls "http://127.0.0.1:$OURS_PORT" --data-dir "$1" --Auth:Enabled=false "${OURS_EXTRA[@]}" \
    >"$OUT/ours-server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$OURS_PORT" "$SERVER_PID"
}

start_dist() { # data dir
  mkdir -p "$1"
  cat >"$WORK/distribution.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$DIST_PORT
YML
  /usr/bin/docker-registry serve "$WORK/distribution.yml" >"$OUT/distribution-server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$DIST_PORT" "$SERVER_PID"
}

bench() { # name port json [args...]
  local name="$1" port="$2" json="$3"; shift 3
  dotnet "$BENCH_DLL" --registry "http://127.0.0.1:$port" --name "$name" --server-pid "$SERVER_PID" --json "$json" "$@"
}

log "results in $OUT; Distribution: ${DIST_VERSION:-unknown version}"
OURS_JSON=(); DIST_JSON=(); OURS_MEM=(); DIST_MEM=()
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS: ours, throughput"
  start_ours "$WORK/ours-$round"
  bench ours "$OURS_PORT" "$OUT/ours-$round.json" --phases blobs,manifests,small "$@"
  stop_server; rm -rf "$WORK/ours-$round"; OURS_JSON+=("$OUT/ours-$round.json")

  log "round $round/$ROUNDS: Distribution, throughput"
  start_dist "$WORK/dist-$round"
  bench distribution "$DIST_PORT" "$OUT/distribution-$round.json" --phases blobs,manifests,small "$@"
  stop_server; rm -rf "$WORK/dist-$round"; DIST_JSON+=("$OUT/distribution-$round.json")

  if [ "${SKIP_MEMORY:-0}" != 1 ]; then
    log "round $round/$ROUNDS: ours, 2 GiB memory (fresh server)"
    start_ours "$WORK/ours-mem-$round"
    bench ours "$OURS_PORT" "$OUT/ours-memory-$round.json" --mode memory "$@"
    stop_server; rm -rf "$WORK/ours-mem-$round"; OURS_MEM+=("$OUT/ours-memory-$round.json")

    log "round $round/$ROUNDS: Distribution, 2 GiB memory (fresh server)"
    start_dist "$WORK/dist-mem-$round"
    bench distribution "$DIST_PORT" "$OUT/distribution-memory-$round.json" --mode memory "$@"
    stop_server; rm -rf "$WORK/dist-mem-$round"; DIST_MEM+=("$OUT/distribution-memory-$round.json")
  fi
done

echo
echo "## Side by side (${DIST_VERSION:-Distribution})"
echo
dotnet "$BENCH_DLL" compare --ours "${OURS_JSON[@]}" --theirs "${DIST_JSON[@]}" --markdown "$OUT/comparison.md"
if [ "${SKIP_MEMORY:-0}" != 1 ]; then
  echo "## Memory: one 2 GiB blob pushed and pulled (target: RSS increase < 200 MiB)"
  echo
  dotnet "$BENCH_DLL" compare --ours "${OURS_MEM[@]}" --theirs "${DIST_MEM[@]}" --markdown "$OUT/memory.md"
fi
log "done; JSON and Markdown in $OUT"
