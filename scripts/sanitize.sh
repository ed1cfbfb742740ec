#!/usr/bin/env bash
# The tests under AddressSanitizer and UndefinedBehaviorSanitizer, in a build folder of their own
# (.build-asan) so the ordinary build is not rebuilt. Skips the namespace suites (Live|Lab),
# which need root and real network namespaces; other arguments go to `swift test`.
# LeakSanitizer is off: it reports the Swift runtime's own allocations on Linux as leaks.
# `scripts/sanitize.sh --thread [FILTER]`: ThreadSanitizer instead, in .build-tsan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [ "${1:-}" = "--thread" ]; then
    # ThreadSanitizer (issue 12), in a build folder of its own: the shards of `read --threads 2`
    # in this process on a 12,000-packet gateway mix, and `live --threads` (capture threads and
    # rings, run as the TSan-built binary on a real namespaced gateway, so one at a time). A
    # report makes the process exit 66, which fails the test.
    shift
    scripts/ensure-deps.sh nft
    export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1}"
    exec swift test --sanitize=thread --scratch-path .build-tsan --no-parallel \
        --filter "${1:-ShardedAnalysisTests|LiveCaptureThreadsTests|LiveThreadsCommandTests|LiveCommandTests}"
fi
args=("$@")
# ThreadsIdentityTests are left to the plain run: they run the whole binary twice on every sample
# and capture (one thread, two), the longest suite under AddressSanitizer, and the shards' code is
# covered here in-process by ShardedAnalysisTests (and under ThreadSanitizer by --thread).
[ ${#args[@]} -gt 0 ] || args=(--skip 'Live|Lab|ThreadsIdentityTests')
# Swift 6.3's swiftc refuses -sanitize=undefined on Linux (`swift test --sanitize=undefined` stops
# with "unsupported option"): Swift code checks overflow, bounds and casts itself (debug builds
# trap). UndefinedBehaviorSanitizer therefore covers the C code (BoringSSL under swift-crypto, the
# libpcap shim) through clang, and its runtime is linked in with AddressSanitizer's.
exec swift test --sanitize=address --scratch-path .build-asan \
    -Xcc -fsanitize=undefined -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined \
    "${args[@]}"
