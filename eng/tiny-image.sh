#!/usr/bin/env bash
# Builds, idempotently, tiny test images from busybox-static (no network, no Docker Hub):
#   .tools/tiny-rootfs.tar      rootfs of variant 1 (/bin/busybox + symlinks, /etc/os-release), ~2 MB, reproducible
#   .tools/tiny-rootfs-2.tar    rootfs of variant 2 (same + /etc/tiny-variant), reproducible
#   registry-test/tiny:1        docker image (docker import of tiny-rootfs.tar)
#   registry-test/tiny:2        docker image (docker import of tiny-rootfs-2.tar)
#   .tools/tiny-index/          OCI image layout, tag "multi": an image index of linux/amd64 (variant 1) and
#                               linux/arm64 (variant 2, same amd64 busybox inside: fine for registry tests, never run),
#                               byte-for-byte reproducible; push with `skopeo copy --all oci:.tools/tiny-index:multi ...`
# The docker images carry LABEL org.registry-test.rootfs=<sha256 of the rootfs tar> and are re-imported only when
# missing or when the tarball changed. Set SKIP_DOCKER=1 to build only the files. See eng/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"

log() { printf '[tiny] %s\n' "$*"; }

BUSYBOX="${BUSYBOX:-/bin/busybox}"
if [ ! -x "$BUSYBOX" ]; then
  echo "[tiny] $BUSYBOX missing: apt-get install busybox-static (eng/setup.sh does)" >&2
  exit 1
fi

EPOCH=946684800 # 2000-01-01T00:00:00Z: fixed times make the tarballs and the OCI layout reproducible
TARFLAGS=(--sort=name --mtime=@$EPOCH --owner=0 --group=0 --numeric-owner --format=gnu)

# build_rootfs VARIANT OUT.tar
build_rootfs() {
  local variant=$1 out=$2 dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root"
  chmod 1777 "$dir/tmp"
  cp "$BUSYBOX" "$dir/bin/busybox"
  chmod 755 "$dir/bin/busybox"
  for app in sh ls cat echo true sleep; do ln -s busybox "$dir/bin/$app"; done
  cat >"$dir/etc/os-release" <<EOF
NAME="registry-test tiny"
ID=registry-test-tiny
VERSION_ID=$variant
PRETTY_NAME="registry-test tiny $variant (busybox)"
EOF
  if [ "$variant" != 1 ]; then
    printf 'variant %s\n' "$variant" >"$dir/etc/tiny-variant"
  fi
  find "$dir" -exec touch -h -d @$EPOCH {} +
  tar -C "$dir" "${TARFLAGS[@]}" -cf "$out.tmp" .
  rm -rf "$dir"
  if [ -f "$out" ] && cmp -s "$out" "$out.tmp"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; CHANGED=1; fi
}

CHANGED=0
build_rootfs 1 "$TOOLS/tiny-rootfs.tar"
build_rootfs 2 "$TOOLS/tiny-rootfs-2.tar"
log "rootfs tarballs: .tools/tiny-rootfs.tar ($(stat -c %s "$TOOLS/tiny-rootfs.tar") B), .tools/tiny-rootfs-2.tar"

# ---------------------------------------------------------------- OCI layout with a two-platform index
sha() { sha256sum "$1" | cut -d' ' -f1; }
# put_blob FILE -> prints digest hex, stores blob
put_blob() {
  local h
  h="$(sha "$1")"
  mkdir -p "$OCI/blobs/sha256"
  [ -f "$OCI/blobs/sha256/$h" ] || cp "$1" "$OCI/blobs/sha256/$h"
  echo "$h"
}
OCI="$TOOLS/tiny-index.tmp"
if [ "$CHANGED" = 0 ] && [ -f "$TOOLS/tiny-index/index.json" ]; then
  log "OCI layout .tools/tiny-index:multi present"
else
rm -rf "$OCI"
mkdir -p "$OCI/blobs/sha256"
work="$(mktemp -d)"
manifests=""
for spec in "1 amd64" "2 arm64"; do
  set -- $spec
  variant=$1 arch=$2
  tarf="$TOOLS/tiny-rootfs.tar"; [ "$variant" = 1 ] || tarf="$TOOLS/tiny-rootfs-$variant.tar"
  diffid="$(sha "$tarf")"
  gzip -n -9 -c "$tarf" >"$work/layer.tgz"
  layer="$(put_blob "$work/layer.tgz")"
  lsize=$(stat -c %s "$work/layer.tgz")
  printf '{"architecture":"%s","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"],"Labels":{"org.registry-test.variant":"%s"}},"created":"2000-01-01T00:00:00Z","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$variant" "$diffid" >"$work/config.json"
  cfg="$(put_blob "$work/config.json")"
  csize=$(stat -c %s "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$csize" "$layer" "$lsize" >"$work/manifest.json"
  man="$(put_blob "$work/manifest.json")"
  msize=$(stat -c %s "$work/manifest.json")
  [ -z "$manifests" ] || manifests="$manifests,"
  manifests="$manifests{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$man\",\"size\":$msize,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$manifests" >"$work/index.json"
idx="$(put_blob "$work/index.json")"
isize=$(stat -c %s "$work/index.json")
printf '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}' \
  "$idx" "$isize" >"$OCI/index.json"
rm -rf "$work"
if [ -d "$TOOLS/tiny-index" ] && diff -r -q "$TOOLS/tiny-index" "$OCI" >/dev/null 2>&1; then
  rm -rf "$OCI"
else
  rm -rf "$TOOLS/tiny-index"; mv "$OCI" "$TOOLS/tiny-index"
fi
log "OCI layout .tools/tiny-index:multi (index sha256:$idx)"
fi

# ---------------------------------------------------------------- docker images
if [ "${SKIP_DOCKER:-0}" = 1 ]; then exit 0; fi
if ! docker info >/dev/null 2>&1; then
  echo "[tiny] docker daemon not reachable: run eng/start-dockerd.sh" >&2
  exit 1
fi
for spec in "1 $TOOLS/tiny-rootfs.tar" "2 $TOOLS/tiny-rootfs-2.tar"; do
  set -- $spec
  tag="registry-test/tiny:$1" tarf=$2
  want="$(sha "$tarf")"
  have="$(docker image inspect -f '{{index .Config.Labels "org.registry-test.rootfs"}}' "$tag" 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then
    log "$tag present"
  else
    docker import \
      --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
      --change "LABEL org.registry-test.rootfs=$want org.registry-test.variant=$1" \
      "$tarf" "$tag" >/dev/null
    log "$tag imported ($(docker image inspect -f '{{.Id}}' "$tag"))"
  fi
done
