#!/usr/bin/env bash
# The Worker against the hand-written JS peer (../shared/peers/js-worker), like-for-like: the same
# setup as ../shared/bench/worker-vs-js-peer.sh (each server its own `wrangler dev --local`, one
# release emulator, `wrk` with 1 thread at 1 connection and 2 at 8, sync invokes of
# lookup-customer without Idempotency-Key), with a third server, "peer-line": a copy of the peer
# that writes one JSON access line like the Worker's (`console.log(JSON.stringify({...}))` with the
# same fields, after its answer), since the peer itself writes none. Servers take turns round by
# round. Besides req/s and p50 it prints the CPU each process of each `wrangler dev` spent per
# request (utime+stime from /proc/PID/stat before and after each round): wrangler's node, the
# workerd that runs wrangler's proxy Workers, and the workerd that runs the Worker. On a shared
# machine req/s moves with the load; CPU per request is what separates builds.
#
#   bash scripts/bench-peer.sh [ROUNDS] [SECONDS] [CONNS] [VARIANT...]     (defaults 3 5 "1 8")
#
# VARIANTs (default "project peer peer-line"): "project" (this tree's build/ and wrangler.toml),
# "project-no-assets" (the same without [assets]: not shippable, it shows what wrangler's asset
# router in front of the Worker costs), "peer", "peer-line", or the path of a directory holding
# another build of the Worker (its wrangler.toml, build/ and console/dist, e.g. copied from
# another worktree: A/B runs in one go).
# Ratios are printed for the first variant against "peer" and "peer-line" when they ran.
# BENCH_PATH=/healthz (GET) measures the cheapest route instead.
set -u
cd "$(dirname "$0")/.."
project=$(pwd)
rounds=${1:-3}; secs=${2:-5}; conns=${3:-"1 8"}; shift $(( $# < 3 ? $# : 3 ))
variants=("$@"); [ ${#variants[@]} -gt 0 ] || variants=(project peer peer-line)
wrangler=$project/node_modules/.bin/wrangler
[ -x "$wrangler" ] || { echo "no node_modules/.bin/wrangler: run scripts/setup.sh"; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
emulator=$project/target/release/cxone-emulator
[ -x "$emulator" ] || { echo "no release emulator: cargo build --release -p cxone-emulator"; exit 2; }
peer_src=$project/../shared/peers/js-worker
[ -d "$peer_src" ] || { echo "no JS peer at $peer_src"; exit 2; }
logs=$(mktemp -d -t bench-peer.XXXXXX)
free() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# A directory per variant that `wrangler dev` runs as is (no [build] step).
prepare() { # variant index -> dir
  local v=$1 d=$logs/v$2
  case "$v" in
    peer|peer-line)
      cp -r "$peer_src" "$d"; chmod -R u+w "$d"
      if [ "$v" = peer-line ]; then
        # One access line with the Worker's fields and about its length, written after the answer
        # is built (as the Worker's entry.js does), from the peer's own fetch handler.
        python3 - "$d/index.js" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
old = "      return await route(request, env, ctx);\n"
assert old in s, "the peer's fetch handler changed"
new = """      const started = Date.now();
      const response = await route(request, env, ctx);
      console.log(JSON.stringify({
        ts: new Date().toISOString(), level: "info", requestId: crypto.randomUUID().replaceAll("-", ""),
        msg: "request", method: request.method, path: new URL(request.url).pathname, status: response.status,
        ms: Date.now() - started, usage: { kvReads: 0, kvWrites: 1, objectRequests: 0 },
        invocationId: "inv_" + crypto.randomUUID().replaceAll("-", "").slice(0, 26), invokeId: "ivk-" + crypto.randomUUID(),
        invocationStatus: "succeeded",
      }));
      return response;
"""
open(p, "w").write(s.replace(old, new))
PY
      fi ;;
    *)
      local src=$v strip='^\[build\]\n'
      [ "$v" = project ] && src=$project
      # Not shippable, to split the cost: without [assets], no asset router in front of the Worker.
      [ "$v" = project-no-assets ] && { src=$project; strip='^\[(?:build|assets)\]\n'; }
      [ -f "$src/wrangler.toml" ] && [ -f "$src/build/index.js" ] || { echo "$v: no wrangler.toml and build/index.js"; exit 2; }
      mkdir -p "$d/console"; cp -r "$src/build" "$d/build"; [ -d "$src/console/dist" ] && cp -r "$src/console/dist" "$d/console/dist"
      # Without the [build] section: the copy is served as built.
      python3 - "$src/wrangler.toml" "$d/wrangler.toml" "$strip" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(sys.argv[3] + r"(?:(?!\[).*\n)*", "", s, flags=re.M)
open(sys.argv[2], "w").write(s)
PY
      ;;
  esac
  printf 'CXONE_CLIENT_SECRET=bench-secret\nPROXY_API_KEYS=k1,k2\n' >"$d/.dev.vars"
  echo "$d"
}

E=$(free)
"$emulator" --port "$E" --client-id bench-client --client-secret bench-secret >"$logs/emulator.log" 2>&1 & epid=$!
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true
ports=(); pids=(); names=()
cleanup() {
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  kill "$epid" 2>/dev/null
}
trap cleanup EXIT
i=0
for v in "${variants[@]}"; do
  d=$(prepare "$v" "$i") || exit 2
  port=$(free)
  (cd "$d" && exec setsid "$wrangler" dev --local --ip 127.0.0.1 --port "$port" --inspector-port "$(free)" \
     --persist-to "$d/.state" --var "CXONE_BASE_URL:http://127.0.0.1:$E" --var CXONE_CLIENT_ID:bench-client \
     --var "PUBLIC_URL:http://127.0.0.1:$port" >"$logs/wrangler-$i.log" 2>&1) &
  pids+=($!); ports+=("$port"); names+=("$(basename "$v")")
  i=$((i + 1))
done
for p in "${ports[@]}"; do
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break; sleep 1; done
done

path=${BENCH_PATH:-/v1/actions/lookup-customer/invoke}
body='{"inputs":{"customerId":"42","includeHistory":"yes","maxResults":"5"}}'
if [ "$path" = /healthz ]; then
  : >"$logs/bench.lua"
else
  cat >"$logs/bench.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer k1"
LUA
fi
for p in "${ports[@]}"; do for _ in $(seq 30); do
  curl -s -o /dev/null -X POST -H 'Authorization: Bearer k1' -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:$p/v1/actions/lookup-customer/invoke"; done; done

# utime+stime ticks of each process of a wrangler dev (its session): "node N proxy N worker N".
# Of the two workerd processes, the one that runs the Worker has the inspector (--inspector-addr);
# the other, listening on the public port, runs wrangler's proxy Workers.
cpu() {
  python3 - "$1" <<'PY'
import os, sys
sid = int(sys.argv[1]); procs = []
for p in os.listdir("/proc"):
    if not p.isdigit(): continue
    try:
        f = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    comm = f[f.index("(") + 1:f.rindex(")")]; rest = f[f.rindex(")") + 2:].split()
    if int(rest[3]) != sid: continue
    try:
        args = open(f"/proc/{p}/cmdline").read()
    except OSError:
        continue
    procs.append((comm, "--inspector-addr" in args, int(rest[11]) + int(rest[12])))
node = sum(t for c, _, t in procs if c.startswith("node"))
proxy = sum(t for c, insp, t in procs if c.startswith("workerd") and not insp)
worker = sum(t for c, insp, t in procs if c.startswith("workerd") and insp)
print(node, proxy, worker)
PY
}
run() { # port conns -> "requests rps p50ms"
  local method=(-s "$logs/bench.lua")
  wrk -t"$(( $2 > 1 ? 2 : 1 ))" -c"$2" -d"${secs}s" --latency "${method[@]}" "http://127.0.0.1:$1$path" |
    awk '/requests in/{n=$1} /Requests\/sec/{r=$2} / 50%/{v=$2; if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p=v} END{print n, r, p}'
}
hz=$(getconf CLK_TCK)
echo "bench-peer: $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), $path, ${secs}s rounds, variants ${names[*]}"
for c in $conns; do
  for r in $(seq "$rounds"); do
    for k in "${!ports[@]}"; do
      before=$(cpu "${pids[$k]}"); out=$(run "${ports[$k]}" "$c"); after=$(cpu "${pids[$k]}")
      echo "$c $r ${names[$k]} $out $before $after" >>"$logs/rows"
      python3 - "$hz" $out $before $after "${names[$k]}" "$c" "$r" <<'PY'
import sys
hz = int(sys.argv[1]); n, rps, p50 = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
b = list(map(int, sys.argv[5:8])); a = list(map(int, sys.argv[8:11])); name, c, r = sys.argv[11:14]
ms = [(a[i] - b[i]) * 1000 / hz / max(n, 1) for i in range(3)]
print("c=%s round=%s %-10s %7.1f req/s  p50 %6.2f ms  CPU ms/request: node %.2f proxy %.2f worker %.2f total %.2f"
      % (c, r, name, rps, p50, ms[0], ms[1], ms[2], sum(ms)))
PY
    done
  done
done
python3 - "$logs/rows" "$hz" <<'PY'
import statistics, sys
hz = int(sys.argv[2]); rows = [l.split() for l in open(sys.argv[1])]
med = statistics.median
names = list(dict.fromkeys(r[2] for r in rows))
for c in dict.fromkeys(r[0] for r in rows):
    by = {}
    for cc, r, name, n, rps, p50, *t in rows:
        if cc != c: continue
        t = list(map(int, t)); n = max(int(n), 1)
        ms = [(t[i + 3] - t[i]) * 1000 / hz / n for i in range(3)]
        by.setdefault(name, []).append((int(r), float(rps), float(p50), ms))
    for name in names:
        rs = by[name]
        print("c=%s %-10s median req/s %6.1f  p50 %6.2f ms  CPU ms/request node %.2f proxy %.2f worker %.2f total %.2f"
              % (c, name, med(x[1] for x in rs), med(x[2] for x in rs),
                 *(med(x[3][i] for x in rs) for i in range(3)), med(sum(x[3]) for x in rs)))
    first = names[0]
    for other in ("peer", "peer-line"):
        if other in by and other != first:
            pairs = [(a, b) for a in by[first] for b in by[other] if a[0] == b[0]]
            print("c=%s %s/%s median throughput ratio %.2f, p50 ratio %.2f" % (
                c, first, other, med(a[1] / b[1] for a, b in pairs), med(a[2] / b[2] for a, b in pairs)))
PY
