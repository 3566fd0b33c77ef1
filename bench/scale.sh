#!/usr/bin/env bash
# Scale benchmark (issue 25): the grown demo corpus ingested by one SQLite
# process against 1, 2 and 4 worker processes on PostgreSQL (with one story
# process beside them); page latency from 2 web nodes on PostgreSQL against
# 1 on SQLite at the same offered load; the database size on each backend.
#
#   bench/scale.sh                          # ARTICLES=100000 WORKERS=1,2,4
#   ARTICLES=20000 WORKERS=1,2 bench/scale.sh
#   PG=postgres://postgres@127.0.0.1:5432/test bench/scale.sh
#   BIN=/path/to/courant bench/scale.sh     # another build
#   PHASES=latency bench/scale.sh           # only the web nodes, on the stores the last run left
#
# Results: target/scale/results.md (figures go to BENCHMARKS.md by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p courant
  BIN=target/release/courant
fi
BIN="$BIN" python3 bench/scale.py
