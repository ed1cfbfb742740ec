#!/usr/bin/env bash
# Set-up and first run: installs what is missing, builds icqscope, and analyses the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
swift build -c release --product icqscope
exec .build/release/icqscope read samples/firewall-timeout.pcapng "$@"
