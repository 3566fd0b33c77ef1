#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it. Needs only the Rust toolchain:
# every fixture is in the repository, and the tests serve them on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets --locked 2>&1 | tee "$log"
# One closing line for the whole workspace.
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { printf "workspace: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
