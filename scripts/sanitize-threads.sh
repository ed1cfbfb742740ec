#!/usr/bin/env bash
# The live capture threads (`icqscope live --threads 2`: a capture thread per interface, rings,
# the analysis thread merging them) under ThreadSanitizer, in a build folder of its own
# (.build-tsan). Runs the live suites that use threads by default: the Capture tests drive
# LiveCapture with threads in the test process, the command tests run the TSan-built icqscope
# (a race reported makes it, and the test process, exit with status 66: the tests fail on it).
# Needs root for the namespaces, as every Live suite; other arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh nft
export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1}"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--filter 'LiveCaptureThreadsTests|LiveThreadsCommandTests|LiveCommandTests')
exec swift test --sanitize=thread --scratch-path .build-tsan "${args[@]}"
