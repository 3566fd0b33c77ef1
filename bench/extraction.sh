#!/usr/bin/env bash
# Extraction benchmark: courant against trafilatura on the same pages, in one run.
#   bench/extraction.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Installs trafilatura into target/bench-venv, runs both tools over
# extraction/fundus and extraction/trafilatura-eval, scores both with
# bench/score_extraction.py and prints one JSON line per tool and set.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data}/extraction"
out=target/bench-extraction
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r bench/extraction-requirements.txt
cargo build --release -q -p courant-extract --example bench
mkdir -p "$out"
echo "# speed: pages/s, one thread, pages in memory, best of passes"
./target/release/examples/bench "$data/fundus" "$data/trafilatura-eval" "$out" --memory "${MEMORY_PAGES:-10000}"
TRAFILATURA_PASSES="${TRAFILATURA_PASSES:-1}" "$venv/bin/python" bench/extraction_trafilatura.py "$data/fundus" "$data/trafilatura-eval" "$out"
echo "# quality"
python3 bench/score_extraction.py "$data/fundus" "$data/trafilatura-eval" "$out" courant trafilatura
