#!/usr/bin/env bash
# Fuzzes courant_feed::parse with libFuzzer (cargo-fuzz on the nightly toolchain).
#   bench/fuzz-feed.sh [SECONDS] [SHARED_DATA_DIR]   (default 1800 s, ../shared/data)
# Seeds: the project's feed fixtures, and the shared feed suites when present.
# Prints libFuzzer's final stats; a crash leaves its input in fuzz/artifacts/feed/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-1800}"
shared="${2:-../shared/data}/feeds"
command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked
corpus=target/fuzz-corpus/feed
mkdir -p "$corpus"
seeds=(crates/courant-feed/testdata)
[ -d "$shared" ] && seeds+=("$shared")
# Named by content, so files with the same name in different suites all count.
find "${seeds[@]}" -type f -size -64k ! -name 'LICENSE*' ! -name '*.md' ! -name '*.py' \
  | while read -r f; do cp "$f" "$corpus/$(md5sum < "$f" | cut -c1-16)"; done
cargo +nightly fuzz run feed "$corpus" -- -max_total_time="$secs" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
