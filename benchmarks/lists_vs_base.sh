#!/usr/bin/env bash
# The list pages (day, week, top with a category chip, trending) under the same wrk load,
# served by this tree and by a base commit (default e781067, main before issue 13's list
# orders and filters), alternately in one run; prints the JSON with the p95 ratio (this / base,
# issue 13's budget: at most 1.2). Each tree builds its own store from the daily files with its
# own code. Needs wrk (apt-get install wrk) and the daily files (default ../shared/...).
#   benchmarks/lists_vs_base.sh [BASE_REV] [DAILY_DIR] [extra `paperwire bench load` options]
# e.g. benchmarks/lists_vs_base.sh e781067 ../shared/data/arxiv/daily-arxiv-cs-2025-2026 \
#        --rounds 2 --duration 20 --requests 0 --warmup 5 --workers 2
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev="${1:-e781067}"
daily="${2:-../shared/data/arxiv/daily-arxiv-cs-2025-2026}"
worktree="$(mktemp -d "${TMPDIR:-/tmp}/paperwire-base-XXXXXX")"
cleanup() { git worktree remove --force "$worktree" >/dev/null 2>&1 || rm -rf "$worktree"; }
trap cleanup EXIT
git worktree add --detach --quiet "$worktree" "$base_rev"
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" python3 -m paperwire bench load "$daily" \
  --pages lists --base-src "$worktree/src" "${@:3}"
