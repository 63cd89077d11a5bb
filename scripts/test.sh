#!/usr/bin/env bash
# Installs what the tests need (Debian's PostgreSQL and chromium, the package with its test
# extras) and runs the whole suite. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)  # store tests
[ -x /usr/bin/chromium ] || missing+=(chromium)  # browser tests (never `playwright install`)
[ -x /usr/bin/wrk ] || missing+=(wrk)  # the web load benchmark test
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian's ${missing[*]} for the tests"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
export PAPERWIRE_REQUIRE_POSTGRES=1 PAPERWIRE_REQUIRE_BROWSER=1 PAPERWIRE_REQUIRE_WRK=1
export PAPERWIRE_REQUIRE_MILVUS=1
python3 -m pytest "$@"
