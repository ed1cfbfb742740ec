#!/usr/bin/env bash
# The tests under AddressSanitizer and UndefinedBehaviorSanitizer, in a build folder of their own
# (.build-asan) so the ordinary build is not rebuilt. Skips the namespace suites (Live|Lab),
# which need root and real network namespaces; other arguments go to `swift test`.
# LeakSanitizer is off: it reports the Swift runtime's own allocations on Linux as leaks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--skip 'Live|Lab')
exec swift test --sanitize=address --sanitize=undefined --scratch-path .build-asan "${args[@]}"
