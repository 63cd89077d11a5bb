#!/usr/bin/env bash
# Digest delivery: N subscribers (default 10,000; trending + a saved search each) over the
# bundled demo corpus, sent by `send_digests` to a local aiosmtpd server that counts messages,
# against raw smtplib sends of one prebuilt digest over one connection. Needs aiosmtpd
# (pip install -e '.[bench]'). Extra arguments go to `paperwire bench digest`, e.g. `-n 2000`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec paperwire bench digest "$@"
