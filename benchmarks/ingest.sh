#!/usr/bin/env bash
# Ingest throughput over the whole 2025-2026 daily corpus (120,405 records). Needs ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
exec paperwire bench ingest "${1:-../shared/data/arxiv/daily-arxiv-cs-2025-2026}" "${@:2}"
