#!/usr/bin/env bash
# Installs what is missing and runs every test (the captures they read are in Tests/Fixtures/captures);
# network-namespace tests need root (CI runs as root) and run on their
# own, one at a time, after the rest: they send real traffic with timing, which a fully loaded
# machine (every other suite running in parallel) would disturb.
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium, tshark: the HTML page's and evidence file's tests; prometheus, rsyslog, curl: the
# sensor's tests (a real Prometheus scraping icqscope live in the lab, a real rsyslog receiving its
# findings); installed without starting their services.
scripts/ensure-deps.sh nft chromium tshark prometheus rsyslog curl
namespaced='Live|Lab'
if [ $# -gt 0 ]; then
    exec swift test "$@"
fi
scripts/test-rules.sh
swift test --skip "$namespaced"
swift test --filter "$namespaced" --no-parallel
