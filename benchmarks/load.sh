#!/usr/bin/env bash
# The search page under load: the whole 2025-2026 daily corpus (74,728 papers) in a temporary
# data home, `paperwire serve --workers 2`, 20 wrk clients on 127.0.0.1, 60 s or 4,000 requests
# per run, against a static file and /about. Needs ../shared and wrk (apt-get install wrk).
# Extra arguments go to `paperwire bench load`, e.g. `--embed 2000` or `--data-home DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec paperwire bench load "${1:-../shared/data/arxiv/daily-arxiv-cs-2025-2026}" "${@:2}"
