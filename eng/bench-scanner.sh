#!/usr/bin/env bash
# Scanner benchmark (issue #6): push-acknowledged to findings-available for a large image (IMAGE_MIB, default 200) and
# for an image sharing its base layer, and scans per second over SMALL small images. Builds Release, starts the
# single-process host on 127.0.0.1 with a fresh data directory and an admin password made for the run, imports the
# OSV files of ../shared/testdata/vuln/osv (OSV), and runs the benchmark's `scanner` command.
# Usage: [IMAGE_MIB=200] [SMALL=1000] [OSV=dir] [PORT=5380] [OUT=dir] [SKIP_BUILD=1] bash eng/bench-scanner.sh
set -euo pipefail
# Throughput is measured without the tiers' request rates (they would cap it by design).
export RateLimits__Enabled=false
cd "$(dirname "$0")/.."
IMAGE_MIB="${IMAGE_MIB:-200}"
SMALL="${SMALL:-1000}"
OSV="${OSV:-$(cd .. && pwd)/shared/testdata/vuln/osv}"
PORT="${PORT:-5380}"
OUT="${OUT:-/tmp/registry-bench-scanner/$(date -u +%Y%m%dT%H%M%SZ)}"
BIN="bin/Release/net10.0"
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WORK="$(mktemp -d /tmp/registry-bench-scanner.XXXXXX)"
mkdir -p "$OUT"
log() { printf '[bench-scanner] %s\n' "$*" >&2; }
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-}" != "1" ]; then
  log "building Release"
  dotnet build Registry.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
fi

env REGISTRY_ADMIN_USERNAME=admin REGISTRY_ADMIN_PASSWORD="$PASSWORD" Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
  REGISTRY_DATA_DIR="$WORK/data" dotnet "services/Registry.Standalone/$BIN/Registry.Standalone.dll" --urls "http://127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done

log "benchmarking http://127.0.0.1:$PORT (image ${IMAGE_MIB} MiB, ${SMALL} small images, OSV $OSV)"
REGISTRY_BENCH_PASSWORD="$PASSWORD" dotnet "tests/Registry.Benchmarks/$BIN/Registry.Benchmarks.dll" scanner \
  --registry "http://127.0.0.1:$PORT" --username admin --osv "$OSV" --image-mib "$IMAGE_MIB" --small-images "$SMALL" \
  --markdown "$OUT/scanner.md" | tee "$OUT/scanner.txt"
log "results in $OUT"
