#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (pinned, from PyPI)
# drives every operation of a server holding the demo corpus with generated
# requests, valid and invalid, and checks status codes, content types,
# response schemas and authentication. The write API's token throttle is off
# for the run (`max_wrong_tokens = 0`): schemathesis sends wrong tokens on
# purpose, and a throttled address would answer 429 where 401 is checked.
#
# COURANT_BIN (default target/debug/courant) and ST_EXAMPLES (default 30 per
# operation) can be set. Prints a TAP-style "# pass 1" or "# fail 1" last.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COURANT_BIN:-target/debug/courant}
venv=target/schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi

dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

RUST_LOG=warn "$bin" demo --no-serve --db "$dir/demo.db" --log-format json >"$dir/demo.log" 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/courant.toml" <<EOF
database = "demo.db"
listen = "127.0.0.1:$port"
[api]
token = "conformance"
max_wrong_tokens = 0
EOF
RUST_LOG=warn "$bin" serve --config "$dir/courant.toml" --log-format json >"$dir/serve.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
python3 - "$base/healthz" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2)
        break
    except OSError:
        time.sleep(0.2)
PY

status=0
"$venv/bin/schemathesis" run "$base/api/v1/openapi.json" --url "$base/api/v1" \
  -H "Authorization: Bearer conformance" --checks all \
  --max-examples "${ST_EXAMPLES:-30}" --workers 2 --seed 1 --no-color || status=$?
if [ "$status" = 0 ]; then echo "# pass 1"; else
  echo "--- server log (last lines)"; tail -20 "$dir/serve.log"; echo "# fail 1"; fi
exit "$status"
