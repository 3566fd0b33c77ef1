#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: fmt, clippy, the Rust tests and
# the browser tests. Besides the Rust toolchain it needs Debian's word lists and
# hunspell dictionaries (the text checker's word knowledge), Chromium and
# Node.js, and installs whatever is missing. Every other fixture is in the
# repository, and the tests serve them on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

wordlists=(/usr/share/dict/ngerman /usr/share/dict/american-english /usr/share/dict/british-english
  /usr/share/dict/french /usr/share/hunspell/de_DE.dic /usr/share/hunspell/en_US.dic /usr/share/hunspell/fr.dic)
missing=0
for f in "${wordlists[@]}"; do [ -e "$f" ] || missing=1; done
if [ "$missing" = 1 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    wngerman wamerican wbritish wfrench hunspell-de-de hunspell-en-us hunspell-fr
fi

# The optional embedding model, for the test that checks the real one (it
# skips, saying so, when the model cannot be fetched).
scripts/fetch-model.sh || echo "embedding model not fetched: its real-model test will skip"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Browser tests need Debian's Chromium and Node.js (20 or later, for
# playwright-core; the machine image has it). Installed when missing.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

log=$(mktemp)
e2e_log=$(mktemp)
trap 'rm -f "$log" "$e2e_log"' EXIT
cargo test --workspace --all-targets --locked 2>&1 | tee "$log"

# The demo site in a real browser: the debug binary the tests just built,
# playwright-core (pinned in e2e/package-lock.json) driving /usr/bin/chromium.
# Screenshots of each page at desktop and phone widths land in e2e/screenshots.
cargo build --locked -p courant
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
(cd e2e && node --test --test-reporter=tap --test-concurrency=1 .) 2>&1 | tee "$e2e_log"

# One closing line for the workspace and the browser tests together.
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     /^# pass / { p += $3 } /^# fail / { f += $3 } /^# skipped / { s += $3 }
     END { printf "all: %d passed, %d failed, %d skipped\n", p, f, s }' "$log" "$e2e_log"
