#!/usr/bin/env bash
# Installs (idempotently) everything the tests and the local platform need on a Debian 12 machine, as root:
#   redis-server, rabbitmq-server, docker.io (dockerd), skopeo, podman, docker-registry (reference registry),
#   busybox-static (tiny test image), azurite (npm, into .tools/azurite);
# then makes sure dockerd runs and the tiny test images registry-test/tiny:1 and :2 exist.
# Installing never leaves a packaged daemon running on its default port (policy-rc.d forbids service starts).
# Fast when everything is already there. See eng/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup] %s\n' "$*"; }
t0=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -E); else echo "[setup] must run as root (or with sudo)" >&2; exit 1; fi
else
  SUDO=()
fi

# ---------------------------------------------------------------- azurite (npm, repo-local), in the background
# 3.37.0 speaks blob API 2026-06-06; Azure.Storage.Blobs 12.30.x sends 2026-10-06, so start it with --skipApiVersionCheck.
AZURITE_VERSION="${AZURITE_VERSION:-3.37.0}"
AZ_DIR="$ROOT/.tools/azurite"
az_have="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$AZ_DIR/node_modules/azurite/package.json" 2>/dev/null | head -n1 || true)"
az_pid=""
if [ -x "$AZ_DIR/node_modules/.bin/azurite" ] && [ "$az_have" = "$AZURITE_VERSION" ]; then
  log "azurite $az_have present (.tools/azurite)"
elif command -v npm >/dev/null 2>&1; then
  log "installing azurite@$AZURITE_VERSION into .tools/azurite (background, about a minute)"
  rm -rf "$AZ_DIR.tmp"
  mkdir -p "$AZ_DIR.tmp"
  npm install --prefix "$AZ_DIR.tmp" --no-audit --no-fund --loglevel=error --save-exact "azurite@$AZURITE_VERSION" \
    >/tmp/registry-setup-npm.log 2>&1 &
  az_pid=$!
else
  echo "[setup] npm not found: install Node.js 20+ and npm" >&2
  exit 1
fi

# ---------------------------------------------------------------- Debian packages
PKGS=(
  redis-server
  rabbitmq-server
  docker.io
  skopeo
  podman
  docker-registry
  busybox-static
  iptables
  ca-certificates
  xz-utils
  uidmap
  fuse-overlayfs
  procps
  iproute2
  curl
  rpm
  zstd
)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  # Forbid maintainer scripts from starting services (redis on 6379, rabbitmq on 5672, registry on 5000, dockerd...).
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/tmp/registry-setup-apt.log 2>&1 \
    || { tail -n 40 /tmp/registry-setup-apt.log >&2; exit 1; }
  if [ "$created_policy" = 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
  trap - EXIT
  log "packages installed ($((SECONDS - t0))s)"
else
  log "Debian packages present"
fi

# Belt and braces: if a packaged service is running anyway (e.g. installed earlier without policy-rc.d), stop it
# through its own init script so the default ports (6379, 5672, 5000, 4369) stay free for tests.
listeners="$(ss -Hltnp 2>/dev/null || true)"
for spec in redis-server:redis-server:6379 rabbitmq-server:beam.smp:5672 docker-registry:docker-registry:5000; do
  IFS=: read -r svc proc port <<<"$spec"
  if grep -E ":$port .*\"$proc\"" <<<"$listeners" >/dev/null && [ -x "/etc/init.d/$svc" ]; then
    log "stopping packaged service $svc (port $port)"
    "${SUDO[@]}" "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
done

# ---------------------------------------------------------------- podman / skopeo storage (root)
# Rootful podman with the vfs driver: no overlay-on-overlay or fuse surprises in sandboxes/CI.
if [ ! -f /etc/containers/storage.conf ] || ! grep -q '^driver *= *"vfs"' /etc/containers/storage.conf; then
  log "writing /etc/containers/storage.conf (driver vfs)"
  "${SUDO[@]}" mkdir -p /etc/containers
  "${SUDO[@]}" tee /etc/containers/storage.conf >/dev/null <<'EOF'
# Written by eng/setup.sh (Registry): rootful podman/skopeo/buildah storage on the vfs driver.
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
fi

if [ -n "$az_pid" ]; then
  if ! wait "$az_pid"; then
    echo "[setup] npm install azurite failed:" >&2; tail -n 30 /tmp/registry-setup-npm.log >&2; exit 1
  fi
  rm -rf "$AZ_DIR"
  mv "$AZ_DIR.tmp" "$AZ_DIR"
  log "azurite $AZURITE_VERSION installed ($((SECONDS - t0))s)"
fi

# ---------------------------------------------------------------- CycloneDX JSON schemas (scanner tests validate SBOMs)
CDX_VERSION="10.3.0"
CDX_DIR="$ROOT/.tools/cyclonedx-schema"
if [ -f "$CDX_DIR/bom-1.5.SNAPSHOT.schema.json" ]; then
  log "CycloneDX schemas present (.tools/cyclonedx-schema)"
else
  log "fetching the CycloneDX schemas (npm pack @cyclonedx/cyclonedx-library@$CDX_VERSION)"
  cdx_tmp="$(mktemp -d)"
  (cd "$cdx_tmp" && npm pack --silent "@cyclonedx/cyclonedx-library@$CDX_VERSION" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$CDX_DIR"
  cp "$cdx_tmp"/package/res/schema/{bom-1.5.SNAPSHOT.schema.json,spdx.SNAPSHOT.schema.json,jsf-0.82.SNAPSHOT.schema.json} "$CDX_DIR/"
  rm -rf "$cdx_tmp"
fi

# ---------------------------------------------------------------- dockerd + tiny images
if docker info >/dev/null 2>&1; then
  log "docker daemon reachable"
else
  bash "$ROOT/eng/start-dockerd.sh"
fi
bash "$ROOT/eng/tiny-image.sh"

log "done in $((SECONDS - t0))s"
