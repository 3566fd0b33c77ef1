#!/usr/bin/env bash
# Reliability benchmark (issue 24): kill -9 during ingest, placement and
# indexing; a disk that fills and is freed; 2,000 idle connections beside
# /healthz; memory under a 50,000-item backlog. One command:
#
#   bench/reliability.sh                      # all phases, release build
#   PHASES=kill,idle CYCLES=30 bench/reliability.sh
#   BIN=/path/to/courant bench/reliability.sh # another build
#
# The disk phase mounts a small tmpfs and needs root; it says it skipped
# otherwise. Figures go to BENCHMARKS.md by hand; the script exits 1 when an
# article is lost, stored twice or missing from search, or /healthz fails or
# its p99 passes 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p courant
  BIN=target/release/courant
fi
BIN="$BIN" python3 bench/reliability.py
