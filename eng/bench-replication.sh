#!/usr/bin/env bash
# Geo-replication benchmark: replication lag (push acknowledged in region A → pullable in region B) for small images and
# for one large layer, and bulk catch-up of a region added after the fact, compared with what the storage itself does.
# Builds Release, starts its own redis-server (loopback, private port, nothing on disk) and two single-process hosts
# (Registry.Standalone) as two regions that know each other's filesystem storage:
#   A: region eastus     on 127.0.0.1:$BASE_PORT      data $WORK/a   (Regions:westeurope:RootDirectory=$WORK/b)
#   B: region westeurope on 127.0.0.1:$BASE_PORT+1    data $WORK/b   (Regions:eastus:RootDirectory=$WORK/a)
# then runs a python3 (stdlib only) driver that speaks the registry API over raw HTTP with token auth:
#   1. catch-up: CATCHUP small images pushed to A (REPOS repositories, PUSHERS at a time) while the registry has no
#      replica; storage baselines on the same files (cp -r + sync, and a one-by-one copy with an fsync per file as the
#      registry does); then PUT /api/registries/default/replications/westeurope on A and the time until B lists every
#      tag (polled) and A's replications API reports the region in sync; a sample of images is pulled from B and verified.
#   2. small-image lag: SMALL pushes to A one after another (1–3 random layers of 16–96 KiB each + config); after each
#      manifest PUT answered 201 by A, GET of the manifest in B every POLL_MS ms until 200. p50/p90/p99/max.
#      Then the same with SMALL pushes started at RATE per second (several in flight, each polled on its own).
#   3. large layer: one LARGE_MIB MiB random layer pushed to A, same poll; lag and copy MB/s (size / lag), against a
#      cp + fsync of that blob file.
# Scan on push is off on both hosts (SCAN_ON_PUSH=true turns it on): the scanner is not what is measured here.
# APP=dir runs another build of Registry.Standalone (e.g. a copy of an earlier commit's output, to compare on equal terms).
# HOST_ARGS adds settings to both hosts (e.g. "--Replication:ParallelRepositories=16"). Each run uses fresh data
# directories under a new $WORK_ROOT/registry-bench-replication.* (deleted at exit unless KEEP=1) and stops only what it
# started. WORK_ROOT=/dev/shm puts both regions (and the storage baselines) on tmpfs: the service with the storage's cost
# taken away, its own ceiling (ADR 0020).
# Usage: [SMALL=300] [RATE=10] [CATCHUP=1000] [REPOS=50] [PUSHERS=8] [LARGE_MIB=1024] [POLL_MS=10] [BASE_PORT=5801]
#        [REDIS_PORT=6391] [HOST_ARGS=...] [APP=dir] [OUT=dir] [SKIP_BUILD=1] [KEEP=1] [WORK_ROOT=/tmp]
#        [PHASES=catchup,small,paced,large]
#        bash eng/bench-replication.sh                     # results (Markdown + JSON) in $OUT
set -euo pipefail
# Throughput is measured without the tiers' request rates (they would cap it by design).
export RateLimits__Enabled=false
cd "$(dirname "$0")/.."
SMALL="${SMALL:-300}"
CATCHUP="${CATCHUP:-1000}"
REPOS="${REPOS:-50}"
PUSHERS="${PUSHERS:-8}"
LARGE_MIB="${LARGE_MIB:-1024}"
POLL_MS="${POLL_MS:-10}"
BASE_PORT="${BASE_PORT:-5801}"
REDIS_PORT="${REDIS_PORT:-6391}"
PHASES="${PHASES:-catchup,small,paced,large}"
RATE="${RATE:-10}"
HOST_ARGS="${HOST_ARGS:-}"
SCAN_ON_PUSH="${SCAN_ON_PUSH:-false}"
OUT="${OUT:-/tmp/registry-bench-replication/$(date -u +%Y%m%dT%H%M%SZ)}"
BIN="bin/Release/net10.0"
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WORK="$(mktemp -d "${WORK_ROOT:-/tmp}/registry-bench-replication.XXXXXX")"
PORT_A="$BASE_PORT"
PORT_B=$((BASE_PORT + 1))
mkdir -p "$OUT"
log() { printf '[bench-replication] %s\n' "$*" >&2; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -s "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
  if [ "${KEEP:-}" = "1" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

for tool in python3 redis-server dotnet; do
  command -v "$tool" >/dev/null || { log "$tool is missing (bash eng/setup.sh installs redis-server)"; exit 1; }
done
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PORT_A" "$PORT_B" "$REDIS_PORT"; do
  if port_open "$port"; then log "127.0.0.1:$port is in use; choose BASE_PORT / REDIS_PORT"; exit 1; fi
done
wait_port() { for _ in $(seq 1 300); do port_open "$1" && return 0; sleep 0.2; done; log "port $1 did not open"; return 1; }

if [ "${SKIP_BUILD:-}" != "1" ]; then
  log "building Release"
  dotnet build services/Registry.Standalone -c Release -nologo -clp:ErrorsOnly >/dev/null
fi
# Run from a private copy: a concurrent build of the repository cannot swap the binaries under the running hosts.
cp -r "${APP:-services/Registry.Standalone/$BIN}" "$WORK/app"

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$OUT/redis.log"
wait_port "$REDIS_PORT"

start_host() { # name port region data other-region other-data
  env REGISTRY_ADMIN_USERNAME=admin REGISTRY_ADMIN_PASSWORD="$PASSWORD" ASPNETCORE_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning Logging__LogLevel__Registry.Replication=Information Logging__Console__TimestampFormat='HH:mm:ss.fff ' \
    dotnet "$WORK/app/Registry.Standalone.dll" --urls "http://127.0.0.1:$2" --data-dir "$4" \
    --Distribution:Region="$3" --Regions:"$5":RootDirectory="$6" --ConnectionStrings:cache="127.0.0.1:$REDIS_PORT" \
    --Scanner:ScanOnPush="$SCAN_ON_PUSH" $HOST_ARGS >"$OUT/$1.log" 2>&1 &
  pids+=($!)
  echo $! >"$WORK/$1.pid"
}
start_host a "$PORT_A" eastus "$WORK/a" westeurope "$WORK/b"
start_host b "$PORT_B" westeurope "$WORK/b" eastus "$WORK/a"
wait_port "$PORT_A"; wait_port "$PORT_B"

cat >"$WORK/driver.py" <<'PY'
import base64, hashlib, http.client, json, os, random, shutil, statistics, subprocess, sys, threading, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor

# Copies in flight in the parallel storage baseline: the catch-up's Replication:ParallelRepositories x ParallelTags (4 x 4).
PARALLEL_COPIES = 16
PASSWORD = os.environ["BENCH_PASSWORD"]
USER = "admin"
SERVICE = "default.localhost"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"


def log(*parts):
    print("[driver]", *parts, file=sys.stderr, flush=True)


class Client:
    """One registry process: keep-alive connection per thread, a pull,push token per repository (from that process)."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()
        self.tokens = {}
        self.lock = threading.Lock()
        self.basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def conn(self, fresh=False):
        c = getattr(self.local, "c", None)
        if c is None or fresh:
            if c is not None:
                c.close()
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600, blocksize=1 << 20)
            self.local.c = c
        return c

    def raw(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        for attempt in range(3):
            try:
                c = self.conn(fresh=attempt > 0)
                if hasattr(body, "seek"):
                    body.seek(0)
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                return r.status, r.headers, data
            except (ConnectionError, http.client.HTTPException, TimeoutError, OSError):
                if attempt == 2:
                    raise

    def token(self, repo, refresh=False):
        with self.lock:
            hit = self.tokens.get(repo)
        if hit and not refresh and time.monotonic() - hit[1] < 200:
            return hit[0]
        scope = urllib.parse.quote(f"repository:{repo}:pull,push", safe="")
        status, _, data = self.raw("GET", f"/oauth2/token?service={SERVICE}&scope={scope}", headers={"Authorization": self.basic})
        if status != 200:
            raise RuntimeError(f"token for {repo} from :{self.port}: {status} {data[:200]!r}")
        token = json.loads(data)["token"]
        with self.lock:
            self.tokens[repo] = (token, time.monotonic())
        return token

    def call(self, method, path, repo, body=None, headers=None):
        for refresh in (False, True):
            h = dict(headers or {})
            h["Authorization"] = "Bearer " + self.token(repo, refresh)
            status, rh, data = self.raw(method, path, body, h)
            if status != 401:
                return status, rh, data
        return status, rh, data

    def management(self, method, path, body=None):
        h = {"Authorization": self.basic}
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        status, _, data = self.raw(method, path, body, h)
        try:
            return status, (json.loads(data) if data else None)
        except ValueError:
            return status, None

    def push_blob(self, repo, digest, body, size):
        status, _, _ = self.call("HEAD", f"/v2/{repo}/blobs/{digest}", repo)
        if status == 200:
            return
        status, rh, data = self.call("POST", f"/v2/{repo}/blobs/uploads/", repo, b"", {"Content-Length": "0"})
        if status != 202:
            raise RuntimeError(f"POST upload {repo}: {status} {data[:200]!r}")
        location = urllib.parse.urlsplit(rh["Location"])
        path = location.path + "?" + (location.query + "&" if location.query else "") + "digest=" + urllib.parse.quote(digest, safe="")
        status, _, data = self.call("PUT", path, repo, body, {"Content-Length": str(size), "Content-Type": "application/octet-stream"})
        if status != 201:
            raise RuntimeError(f"PUT blob {repo} {digest}: {status} {data[:200]!r}")

    def push_manifest(self, repo, tag, manifest):
        status, _, data = self.call("PUT", f"/v2/{repo}/manifests/{tag}", repo, manifest, {"Content-Type": MT_MANIFEST})
        if status != 201:
            raise RuntimeError(f"PUT manifest {repo}:{tag}: {status} {data[:200]!r}")

    def manifest_status(self, repo, ref):
        status, _, _ = self.call("GET", f"/v2/{repo}/manifests/{ref}", repo, headers={"Accept": MT_MANIFEST})
        return status

    def tags(self, repo):
        status, _, data = self.call("GET", f"/v2/{repo}/tags/list?n=10000", repo)
        if status == 404:
            return set()
        if status != 200:
            raise RuntimeError(f"tags {repo}: {status} {data[:200]!r}")
        return set(json.loads(data).get("tags") or [])


def cpu_s(pid, kernel_only=False):
    """A process's CPU seconds (user + system, or system alone) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[12]) + (0 if kernel_only else int(fields[11]))) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU seconds of A and B (from /proc) and wall time over a phase: is a process busy, or waiting on storage?"""

    def __init__(self):
        self.pids = {"a": int(os.environ["PID_A"]), "b": int(os.environ["PID_B"])}
        self.start = {k: cpu_s(p) for k, p in self.pids.items()}
        self.start_kernel_a = cpu_s(self.pids["a"], kernel_only=True)
        self.t = time.monotonic()

    def result(self):
        wall = time.monotonic() - self.t
        cpu = {k: cpu_s(p) - self.start[k] for k, p in self.pids.items()}
        kernel_a = cpu_s(self.pids["a"], kernel_only=True) - self.start_kernel_a
        return {"wall_s": wall, "cpu_a_s": cpu["a"], "cpu_b_s": cpu["b"], "cores_a": cpu["a"] / wall, "cores_b": cpu["b"] / wall,
                "kernel_a_s": kernel_a}


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def small_image(rng):
    """1–3 random layers of 16–96 KiB and a config; returns (blobs, manifest bytes, total bytes)."""
    layers = [os.urandom(rng.randint(16, 96) * 1024) for _ in range(rng.randint(1, 3))]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [sha(l) for l in layers]},
                         "config": {"Labels": {"bench": os.urandom(8).hex()}}}).encode()
    blobs = [(sha(config), config)] + [(sha(l), l) for l in layers]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                           "config": {"mediaType": MT_CONFIG, "digest": blobs[0][0], "size": len(config)},
                           "layers": [{"mediaType": MT_LAYER, "digest": d, "size": len(b)} for d, b in blobs[1:]]}).encode()
    return blobs, manifest, sum(len(b) for _, b in blobs) + len(manifest)


def push_image(client, repo, tag, image):
    blobs, manifest, _ = image
    for digest, body in blobs:
        client.push_blob(repo, digest, body, len(body))
    client.push_manifest(repo, tag, manifest)


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(lags):
    return {"count": len(lags), "p50_ms": pct(lags, 50), "p90_ms": pct(lags, 90), "p99_ms": pct(lags, 99),
            "max_ms": max(lags), "min_ms": min(lags), "mean_ms": statistics.fmean(lags)}


def wait_visible(client, repo, ref, poll, deadline_s):
    """GET the manifest in B right away, then every `poll` seconds (on a fixed grid) until 200."""
    start = time.monotonic()
    polls = 0
    while True:
        polls += 1
        if client.manifest_status(repo, ref) == 200:
            return time.monotonic(), polls
        now = time.monotonic()
        if now - start > deadline_s:
            raise RuntimeError(f"{repo}:{ref} not in B after {deadline_s} s")
        time.sleep(max(0.0, poll - ((now - start) % poll)))


def cmd_catchup_push(a, args, out):
    n, repos, pushers = int(args[0]), int(args[1]), int(args[2])
    rng = random.Random()
    plan = [(f"catchup/r{i % repos:03d}", f"t{i:05d}") for i in range(n)]
    images = [small_image(rng) for _ in plan]
    total = sum(img[2] for img in images)
    blobs = sum(len(img[0]) for img in images)
    start = time.monotonic()
    with ThreadPoolExecutor(pushers) as pool:
        list(pool.map(lambda i: push_image(a, plan[i][0], plan[i][1], images[i]), range(n)))
    elapsed = time.monotonic() - start
    result = {"images": n, "repositories": repos, "pushers": pushers, "blobs": blobs, "bytes": total, "push_s": elapsed,
              "push_images_per_s": n / elapsed, "plan": plan,
              "manifests": {f"{r}:{t}": sha(img[1]) for (r, t), img in zip(plan, images)}}
    json.dump(result, open(out, "w"))
    log(f"pushed {n} images ({blobs} blobs, {total / 1e6:.1f} MB) to A in {elapsed:.1f} s ({n / elapsed:.1f} images/s)")


def cmd_storage_baseline(src, dst, out):
    """cp -r + sync of the registry's files, then a one-by-one copy with an fsync per file (what the registry does)."""
    # Temporary files of writes in progress (the hosts' background work) may vanish meanwhile: not part of the content.
    files = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if not f.endswith(".tmp")]
    size = sum(os.path.getsize(f) for f in files)
    subprocess.run(["sync"], check=True)
    t = time.monotonic()
    subprocess.run(["cp", "-r", src, dst + "-cp"], check=True)
    subprocess.run(["sync"], check=True)
    cp_s = time.monotonic() - t
    def durable_copy(f, dst_root):
        target = os.path.join(dst_root, os.path.relpath(f, src))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(f, "rb") as i, open(target, "wb") as o:
            shutil.copyfileobj(i, o, 1 << 20)
            o.flush()
            os.fsync(o.fileno())

    t = time.monotonic()
    for f in files:
        durable_copy(f, dst + "-fsync")
    fsync_s = time.monotonic() - t
    # The same with as many copies in flight as the catch-up has (Replication:ParallelRepositories x ParallelTags =
    # 4 x 4): what the disk sustains for small files each made durable on its own. Python releases its lock around
    # the system calls, so the threads' opens, writes and fsyncs overlap.
    t = time.monotonic()
    cpu0 = os.times()
    with ThreadPoolExecutor(PARALLEL_COPIES) as pool:
        list(pool.map(lambda f: durable_copy(f, dst + "-fsync-parallel"), files))
    parallel_s = time.monotonic() - t
    cpu1 = os.times()
    # The copier's own CPU (user + system, all threads): what creating and syncing these files costs a process.
    parallel_cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    parallel_kernel_s = cpu1.system - cpu0.system
    # The copies stay (they go with $WORK at exit): deleting ~28,000 files right before the catch-up would slow every
    # file it creates for the next ~30 s on an ext4 without journal, whose inode allocator steps over recently deleted
    # inodes one by one (recently_deleted), and measure that instead of the registry.
    result = {"files": len(files), "bytes": size, "cp_s": cp_s, "fsync_copy_s": fsync_s, "parallel_fsync_copy_s": parallel_s, "parallel_copies": PARALLEL_COPIES,
              "parallel_cpu_s": parallel_cpu_s, "parallel_kernel_s": parallel_kernel_s}
    json.dump(result, open(out, "w"))
    log(f"storage: {len(files)} files, {size / 1e6:.1f} MB: cp -r + sync {cp_s:.2f} s, copy + fsync per file {fsync_s:.2f} s, "
        f"the same {PARALLEL_COPIES} at a time {parallel_s:.2f} s ({parallel_cpu_s / parallel_s:.2f} cores)")


def cmd_catchup_wait(a, b, pushed_file, out, sample):
    pushed = json.load(open(pushed_file))
    want = {}
    for repo, tag in pushed["plan"]:
        want.setdefault(repo, set()).add(tag)
    api = "/api/registries/default/replications"
    meter = Meter()
    t0 = time.monotonic()
    status, body = a.management("PUT", f"{api}/westeurope", {"location": "westeurope"})
    put_s = time.monotonic() - t0
    if status not in (200, 201):
        raise RuntimeError(f"PUT replication: {status} {body}")
    log(f"replication westeurope created ({status}, {put_s * 1000:.0f} ms); waiting for B to hold {pushed['images']} images")
    missing = dict(want)
    api_done = None
    all_seen = None
    next_tags = t0
    states = []
    api_errors = []
    while all_seen is None or api_done is None:
        now = time.monotonic()
        if now - t0 > 3600:
            raise RuntimeError(f"catch-up not done after 1 h: {sum(len(v) for v in missing.values())} tags missing, api_done={api_done}")
        if api_done is None:
            status, body = a.management("GET", api)
            if status != 200:
                api_errors.append((round(now - t0, 3), status))
                sync = {"state": None}
            else:
                sync = next(r["properties"]["sync"] for r in body["value"] if r["location"] == "westeurope")
                states.append((round(now - t0, 3), sync["state"], sync["pending"], sync["lastError"]))
            if sync["state"] == "Ready" and sync["pending"] == 0 and sync["lastSyncedAt"] is not None:
                api_done = time.monotonic() - t0
                next_tags = now  # verify at once
        if all_seen is None and (now >= next_tags):
            for repo in list(missing):
                missing[repo] = missing[repo] - b.tags(repo)
                if not missing[repo]:
                    del missing[repo]
            if not missing:
                all_seen = time.monotonic() - t0
            next_tags = time.monotonic() + 1.0
        time.sleep(0.1)
    cpu = meter.result()
    # Pull a sample from B and check every byte.
    rng = random.Random(7)
    checked = 0
    for repo, tag in rng.sample(pushed["plan"], min(sample, len(pushed["plan"]))):
        status, _, manifest = b.call("GET", f"/v2/{repo}/manifests/{tag}", repo, headers={"Accept": MT_MANIFEST})
        if status != 200 or sha(manifest) != pushed["manifests"][f"{repo}:{tag}"]:
            raise RuntimeError(f"B {repo}:{tag}: {status}, digest {sha(manifest)}")
        m = json.loads(manifest)
        for d in [m["config"]] + m["layers"]:
            status, _, blob = b.call("GET", f"/v2/{repo}/blobs/{d['digest']}", repo)
            if status != 200 or sha(blob) != d["digest"]:
                raise RuntimeError(f"B blob {repo}@{d['digest']}: {status}")
        checked += 1
    done = max(all_seen, api_done)
    result = {"images": pushed["images"], "bytes": pushed["bytes"], "blobs": pushed["blobs"], "put_ms": put_s * 1000,
              "all_tags_in_b_s": all_seen, "api_in_sync_s": api_done, "images_per_s": pushed["images"] / all_seen,
              "mb_per_s": pushed["bytes"] / 1e6 / all_seen, "verified_images": checked, "cpu": cpu, "api_errors": api_errors, "states": states[:5] + states[-3:]}
    json.dump(result, open(out, "w"))
    log(f"catch-up: all {pushed['images']} tags in B after {all_seen:.2f} s ({pushed['images'] / all_seen:.1f} images/s, "
        f"{pushed['bytes'] / 1e6 / all_seen:.2f} MB/s); API in sync after {api_done:.2f} s; {checked} images verified in B; "
        f"CPU A {cpu['cores_a']:.2f} cores, B {cpu['cores_b']:.2f} cores" + (f"; replications API errors: {api_errors}" if api_errors else ""))


def cmd_lag_small(a, b, n, poll_ms, rate, out):
    """rate 0: one push at a time (the next after the previous is seen in B); else pushes started at `rate` per second."""
    rng = random.Random()
    poll = poll_ms / 1000
    repo = "lag/serial" if rate == 0 else "lag/paced"
    # warm-up: tokens, connections, first-use paths
    for i in range(5):
        push_image(a, repo, f"warm{i}", small_image(rng))
        wait_visible(b, repo, f"warm{i}", poll, 60)
    images = [small_image(rng) for _ in range(n)]
    results = [None] * n

    def one(i):
        t = time.monotonic()
        push_image(a, repo, f"v{i:04d}", images[i])
        acked = time.monotonic()
        seen, count = wait_visible(b, repo, f"v{i:04d}", poll, 300)
        results[i] = ((acked - t) * 1000, (seen - acked) * 1000, count, t)

    meter = Meter()
    start = time.monotonic()
    if rate == 0:
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(64) as pool:
            futures = []
            for i in range(n):
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
                futures.append(pool.submit(one, i))
            for f in futures:
                f.result()
    elapsed = time.monotonic() - start
    pushes, lags, polls = [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]
    result = {"pushes": n, "rate": rate, "poll_ms": poll_ms, "lag": summary(lags), "push": summary(pushes),
              "polls_mean": statistics.fmean(polls), "elapsed_s": elapsed, "pushes_per_s": n / elapsed, "cpu": meter.result(),
              "lags_ms": [round(x, 2) for x in lags]}
    json.dump(result, open(out, "w"))
    s = result["lag"]
    mode = "one at a time" if rate == 0 else f"{rate:g}/s"
    log(f"small-image lag over {n} pushes ({mode}): p50 {s['p50_ms']:.0f} ms, p90 {s['p90_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms")


def cmd_lag_large(a, b, mib, poll_ms, work, out):
    size = mib * 1024 * 1024
    path = os.path.join(work, "large.bin")
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 << 20))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    digest = "sha256:" + h.hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                           "config": {"mediaType": MT_CONFIG, "digest": sha(config), "size": len(config)},
                           "layers": [{"mediaType": MT_LAYER, "digest": digest, "size": size}]}).encode()
    repo = "lag/large"
    subprocess.run(["sync"], check=True)
    t = time.monotonic()
    meter = Meter()
    a.push_blob(repo, sha(config), config, len(config))
    with open(path, "rb") as f:
        a.push_blob(repo, digest, f, size)
    a.push_manifest(repo, "v1", manifest)
    acked = time.monotonic()
    seen, _ = wait_visible(b, repo, "v1", poll_ms / 1000, 3600)
    lag = seen - acked
    cpu = meter.result()
    # the storage doing the same: the blob's file copied and fsynced (page cache warm, as for the registry)
    subprocess.run(["sync"], check=True)
    t2 = time.monotonic()
    with open(path, "rb") as i, open(path + ".copy", "wb") as o:
        shutil.copyfileobj(i, o, 8 << 20)
        o.flush()
        os.fsync(o.fileno())
    copy_s = time.monotonic() - t2
    os.remove(path + ".copy")
    os.remove(path)
    result = {"mib": mib, "bytes": size, "push_s": acked - t, "push_mb_per_s": size / 1e6 / (acked - t), "lag_s": lag,
              "copy_mb_per_s": size / 1e6 / lag, "storage_copy_fsync_s": copy_s, "storage_mb_per_s": size / 1e6 / copy_s, "cpu_push_and_copy": cpu}
    json.dump(result, open(out, "w"))
    log(f"{mib} MiB layer: push {acked - t:.2f} s, lag {lag:.2f} s ({size / 1e6 / lag:.0f} MB/s); cp+fsync of the file {copy_s:.2f} s ({size / 1e6 / copy_s:.0f} MB/s)")


def cmd_report(out_dir):
    def load(name):
        path = os.path.join(out_dir, name)
        return json.load(open(path)) if os.path.exists(path) else None
    rows = ["| measurement | result |", "|---|---|"]
    large, catchup, push, storage = (load(n) for n in ("lag-large.json", "catchup.json", "catchup-push.json", "storage.json"))
    for small in (load("lag-serial.json"), load("lag-paced.json")):
        if not small:
            continue
        s = small["lag"]
        mode = "one at a time" if small["rate"] == 0 else f"started at {small['rate']:g}/s"
        rows.append(f"| small-image lag, {small['pushes']} pushes {mode} (B polled every {small['poll_ms']:g} ms) | "
                    f"p50 {s['p50_ms']:.0f} ms, p90 {s['p90_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms "
                    f"(push itself p50 {small['push']['p50_ms']:.0f} ms; CPU A {small['cpu']['cores_a']:.2f}, B {small['cpu']['cores_b']:.2f} cores) |")
    if large:
        rows.append(f"| {large['mib']} MiB layer: lag | {large['lag_s']:.2f} s = {large['copy_mb_per_s']:.0f} MB/s copied "
                    f"(push to A {large['push_s']:.2f} s, {large['push_mb_per_s']:.0f} MB/s) |")
        rows.append(f"| {large['mib']} MiB: the blob file copied + fsynced by Python | {large['storage_copy_fsync_s']:.2f} s = {large['storage_mb_per_s']:.0f} MB/s |")
    if catchup and push:
        rows.append(f"| catch-up of {catchup['images']} images ({catchup['blobs']} blobs, {catchup['bytes'] / 1e6:.1f} MB, {push['repositories']} repositories) | "
                    f"{catchup['all_tags_in_b_s']:.1f} s = {catchup['images_per_s']:.1f} images/s, {catchup['mb_per_s']:.2f} MB/s "
                    f"(API in sync after {catchup['api_in_sync_s']:.1f} s; CPU A {catchup['cpu']['cores_a']:.2f}, B {catchup['cpu']['cores_b']:.2f} cores; "
                    f"A {catchup['cpu']['cpu_a_s']:.1f} CPU-s, {catchup['cpu']['kernel_a_s']:.1f} of them in the kernel) |")
        rows.append(f"| pushing those images to A ({push['pushers']} pushers) | {push['push_s']:.1f} s = {push['push_images_per_s']:.1f} images/s |")
    if storage:
        rows.append(f"| storage: `cp -r` + `sync` of A's registry files ({storage['files']} files, {storage['bytes'] / 1e6:.1f} MB) | "
                    f"{storage['cp_s']:.2f} s = {storage['bytes'] / 1e6 / storage['cp_s']:.1f} MB/s |")
        rows.append(f"| storage: the same files copied one by one, fsync after each | {storage['fsync_copy_s']:.2f} s = "
                    f"{storage['bytes'] / 1e6 / storage['fsync_copy_s']:.1f} MB/s, {storage['files'] / storage['fsync_copy_s']:.0f} files/s |")
        rows.append(f"| storage: the same, {storage['parallel_copies']} copies at a time, fsync after each | {storage['parallel_fsync_copy_s']:.2f} s = "
                    f"{storage['bytes'] / 1e6 / storage['parallel_fsync_copy_s']:.1f} MB/s, {storage['files'] / storage['parallel_fsync_copy_s']:.0f} files/s "
                    f"(the copier: {storage['parallel_cpu_s']:.1f} CPU-s, {storage['parallel_kernel_s']:.1f} of them in the kernel) |")
        if catchup:
            took = catchup['all_tags_in_b_s']
            rows.append(f"| catch-up time ÷ storage time: `cp -r` + `sync` / one by one with fsync / {storage['parallel_copies']} at a time with fsync | "
                        f"{took / storage['cp_s']:.2f} / {took / storage['fsync_copy_s']:.2f} / {took / storage['parallel_fsync_copy_s']:.2f} |")
            rows.append(f"| CPU of the replicating process (A) ÷ the {storage['parallel_copies']}-way copier's, same files: all / in the kernel | "
                        f"{catchup['cpu']['cpu_a_s'] / storage['parallel_cpu_s']:.2f} / {catchup['cpu']['kernel_a_s'] / storage['parallel_kernel_s']:.2f} |")
    text = "\n".join(rows) + "\n"
    open(os.path.join(out_dir, "replication.md"), "w").write(text)
    print(text)


def main():
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "report":
        return cmd_report(rest[0])
    a, b = Client(int(os.environ["PORT_A"])), Client(int(os.environ["PORT_B"]))
    if cmd == "catchup-push":
        cmd_catchup_push(a, rest[:3], rest[3])
    elif cmd == "storage":
        cmd_storage_baseline(rest[0], rest[1], rest[2])
    elif cmd == "catchup-wait":
        cmd_catchup_wait(a, b, rest[0], rest[1], int(rest[2]))
    elif cmd == "lag-small":
        cmd_lag_small(a, b, int(rest[0]), float(rest[1]), float(rest[2]), rest[3])
    elif cmd == "lag-large":
        cmd_lag_large(a, b, int(rest[0]), float(rest[1]), rest[2], rest[3])
    else:
        raise SystemExit(f"unknown command {cmd}")


main()
PY

export BENCH_PASSWORD="$PASSWORD" PORT_A PORT_B PID_A="$(cat "$WORK/a.pid")" PID_B="$(cat "$WORK/b.pid")"
drive() { python3 "$WORK/driver.py" "$@"; }
has() { case ",$PHASES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg); A http://127.0.0.1:$PORT_A (eastus), B http://127.0.0.1:$PORT_B (westeurope)"

if has catchup; then
  log "catch-up: pushing $CATCHUP images to A ($REPOS repositories, $PUSHERS pushers), no replica yet"
  drive catchup-push "$CATCHUP" "$REPOS" "$PUSHERS" "$WORK/catchup-push.json"
  sync
  drive storage "$WORK/a/registries/default" "$WORK/baseline" "$OUT/storage.json"
  drive catchup-wait "$WORK/catchup-push.json" "$OUT/catchup.json" 50
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("plan"); d.pop("manifests"); json.dump(d, open(sys.argv[2],"w"))' \
    "$WORK/catchup-push.json" "$OUT/catchup-push.json"
else
  curl -sf -u "admin:$PASSWORD" -X PUT -H 'content-type: application/json' \
    "http://127.0.0.1:$PORT_A/api/registries/default/replications/westeurope" -d '{"location":"westeurope"}' >/dev/null
  sleep 6 # the replica list is cached for 5 s
fi
if has small; then
  log "small-image lag: $SMALL pushes to A, one at a time, B polled every $POLL_MS ms"
  drive lag-small "$SMALL" "$POLL_MS" 0 "$OUT/lag-serial.json"
fi
if has paced; then
  log "small-image lag: $SMALL pushes to A started at $RATE/s, B polled every $POLL_MS ms"
  drive lag-small "$SMALL" "$POLL_MS" "$RATE" "$OUT/lag-paced.json"
fi
if has large; then
  log "large layer: $LARGE_MIB MiB"
  drive lag-large "$LARGE_MIB" "$POLL_MS" "$WORK" "$OUT/lag-large.json"
fi
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
drive report "$OUT"
curl -sf -u "admin:$PASSWORD" "http://127.0.0.1:$PORT_A/api/registries/default/replications" >"$OUT/replications-a.json" || true
grep -h -E 'warn|fail|Reconciled' "$OUT/a.log" "$OUT/b.log" | head -40 >&2 || true
log "results in $OUT"
