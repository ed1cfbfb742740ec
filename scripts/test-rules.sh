#!/usr/bin/env bash
# The shipped Prometheus alerting rules: checked, then unit-tested with series that fire and
# series that do not (promtool, from Debian's prometheus package).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh prometheus
promtool check rules packaging/prometheus/icqscope.rules.yml
promtool test rules packaging/prometheus/icqscope.rules.test.yml
