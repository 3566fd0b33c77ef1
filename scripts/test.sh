#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it. Besides the Rust toolchain it
# needs Debian's word lists and hunspell dictionaries (the text checker's word
# knowledge), which it installs when they are missing. Every other fixture is
# in the repository, and the tests serve them on loopback.
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

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets --locked 2>&1 | tee "$log"
# One closing line for the whole workspace.
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { printf "workspace: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
