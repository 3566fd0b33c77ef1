#!/usr/bin/env bash
# Load benchmark: wrk on loopback against the demo data grown to 100,000
# articles, served by `courant serve` from the database the demo built.
#
#   bench/load.sh                  # ARTICLES=100000 RATE=500 DURATION=20
#   REBUILD=1 bench/load.sh        # ingest the grown corpus again
#   BIN=/path/to/courant bench/load.sh   # another build (say, before a change) on the same data
#
# For each page kind (home, story, article, search) and for /healthz (the
# anchor: the same server and wrk at the same pace, doing no work), it runs
# wrk twice: paced at about RATE requests/s (CONNS connections, each waiting
# CONNS*1000/RATE ms between requests; the rate achieved is printed beside
# the latencies), and unpaced with 4 connections, for the most pages/s one
# server gives. Each kind is first warmed for 3 s, unmeasured (a started
# server's first requests find cold SQLite pages and empty page caches; that
# start is not what a running site serves). Then the server's memory.
# Results: target/load/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${ARTICLES:-100000}
RATE=${RATE:-500}
DURATION=${DURATION:-20}
CONNS=${CONNS:-12}
PORT=${PORT:-18081}

if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p courant
  BIN=target/release/courant
fi
dir=target/load
mkdir -p "$dir"
if [ ! -e "$dir/load.db" ] || [ "${REBUILD:-0}" = 1 ]; then
  rm -rf "$dir"/load.db*
  /usr/bin/time -v "$BIN" demo --grow "$ARTICLES" --no-serve --db "$dir/load.db" \
    >"$dir/ingest.txt" 2>"$dir/ingest.err"
  grep -E "Elapsed|Maximum resident" "$dir/ingest.err" >>"$dir/ingest.txt" || true
fi
cat "$dir/ingest.txt"

# The sources point at the demo's publishers, gone now: nothing polls during the run.
cat >"$dir/courant.toml" <<CONF
database = "load.db"
listen = "127.0.0.1:$PORT"
[poll]
interval_secs = 86400
max_backoff_secs = 86400
CONF
"$BIN" serve --config "$dir/courant.toml" >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "$base/healthz" >/dev/null || { cat "$dir/serve.log"; exit 1; }

# What to ask for: real ids and words from the store.
curl -sf "$base/api/v1/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("store:", d["ready"], "ready articles,", d["stories"], "stories")'
echo "/" >"$dir/home.paths"
echo "/healthz" >"$dir/healthz.paths"
curl -sf "$base/api/v1/stories?limit=300" | python3 -c '
import json,sys
for s in json.load(sys.stdin): print("/stories/%d" % s["id"])' >"$dir/story.paths"
curl -sf "$base/api/v1/articles?limit=500&offset=20000" | python3 -c '
import json,sys,re
d=json.load(sys.stdin); arts=d["articles"] if isinstance(d,dict) else d
words=[]
for a in arts:
    print("/articles/%d" % a["id"])
    ws=[w for w in re.findall(r"\w{5,}", a["title"]) if not w.isdigit()]
    if ws: words.append(ws[len(ws)//2])
with open(sys.argv[1],"w") as f:
    for w in words[:300]:
        from urllib.parse import quote_plus
        f.write("/search?q=%s\n" % quote_plus(w))' "$dir/search.paths" >"$dir/article.paths"
wc -l "$dir"/*.paths | sed 's/^/  /'

ms() { # wrk's "1.23ms" / "456.00us" / "1.02s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
run() { # kind conns delay_ms -> "req/s p50 p99 errors"
  local out
  out=$(WRK_PATHS="$dir/$1.paths" WRK_DELAY_MS="$3" wrk -t2 -c"$2" -d"${DURATION}s" --latency \
    -s bench/wrk-paths.lua "$base" 2>&1)
  echo "$out" >"$dir/wrk-$1-$2-$3.txt"
  local rps p50 p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
  p50=$(ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  bad=$(echo "$out" | awk '/Non-2xx/ { n += $NF } /Socket errors/ { n += 1 } END { print n + 0 }')
  echo "$rps $p50 $p99 $bad"
}
warm() {
  WRK_PATHS="$dir/$1.paths" WRK_DELAY_MS=0 wrk -t2 -c4 -d3s -s bench/wrk-paths.lua "$base" >/dev/null 2>&1
}
delay=$((CONNS * 1000 / RATE))
{
  echo "| page | paced req/s | p50 ms | p99 ms | errors | unpaced req/s (4 conns) | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|---|---|"
  for kind in healthz home story article search; do
    warm "$kind"
    read -r r1 a1 b1 e1 <<<"$(run "$kind" "$CONNS" "$delay")"
    read -r r2 a2 b2 e2 <<<"$(run "$kind" 4 0)"
    echo "| $kind | $r1 | $a1 | $b1 | $((e1 + e2)) | $r2 | $a2 | $b2 |"
  done
  echo
  echo "server memory after the runs: $(awk '/VmRSS|VmHWM/ { printf "%s %d MiB  ", $1, $2 / 1024 }' /proc/$pid/status)"
  echo "index on disk: $(du -sh "$dir/load.db.search" | cut -f1), database: $(du -sh "$dir/load.db" | cut -f1)"
} | tee "$dir/results.md"
