#!/usr/bin/env bash
# Installs what is missing and runs every test. Tests that need ../shared/captures skip with a
# message when it is absent; network-namespace tests need root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh nft
exec swift test "$@"
