#!/usr/bin/env bash
# Starts a Docker daemon (Debian docker.io, vfs storage driver) in the background as root, unless one already answers.
# Log: /tmp/dockerd.log. Waits until `docker info` succeeds (timeout 60 s). Idempotent. See eng/README.md.
#   DOCKERD_EXTRA_ARGS   extra dockerd arguments (default: none)
set -euo pipefail

log() { printf '[dockerd] %s\n' "$*"; }

if docker info >/dev/null 2>&1; then
  log "already running"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "[dockerd] dockerd not installed: run eng/setup.sh" >&2
  exit 1
fi

# A stale pid file from a daemon that died (e.g. machine reused) makes dockerd refuse to start.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

# cgroup v1 hierarchy may be missing in minimal VMs; dockerd needs it mounted (cgroupfs-mount does the same).
if [ ! -e /sys/fs/cgroup/cpu ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
  mountpoint -q /sys/fs/cgroup || mount -t tmpfs -o uid=0,gid=0,mode=0755 cgroup /sys/fs/cgroup || true
fi

log "starting dockerd (vfs) -> /tmp/dockerd.log"
# shellcheck disable=SC2086
nohup dockerd --storage-driver=vfs ${DOCKERD_EXTRA_ARGS:-} >/tmp/dockerd.log 2>&1 </dev/null &
pid=$!

start=$SECONDS
until docker info >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "[dockerd] dockerd exited; last log lines:" >&2
    tail -n 30 /tmp/dockerd.log >&2
    exit 1
  fi
  if [ $((SECONDS - start)) -ge 60 ]; then
    echo "[dockerd] not ready after 60 s; last log lines:" >&2
    tail -n 30 /tmp/dockerd.log >&2
    exit 1
  fi
  sleep 0.5
done
log "ready in $((SECONDS - start))s (pid $pid)"
