#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, instrumented with -sanitize=fuzzer,address) and runs
# each for SECONDS (default 60), or for RUNS executions with FUZZ_RUNS=N, one after another.
#
#   scripts/fuzz.sh [SECONDS] [Harness ...]      e.g. scripts/fuzz.sh 30 FuzzICQ FuzzPeer
#
# Each harness starts from its committed seeds (Fuzz/seeds/<Harness>) and keeps what it learns
# in Fuzz/corpus/<Harness> (not in git), with its dictionary (Fuzz/dictionaries). A crash, a
# sanitizer report or a timeout leaves its input in Fuzz/artifacts/ and fails the script; turn it
# into a fixture and a test (Tests/FuzzReplayTests) and fix the decoder. The last line of each
# run (executions, cov, ft, seconds) goes to Fuzz/logs/summary.tsv.
# FUZZ_JOBS=2 runs two harnesses at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true

all=(FuzzPcap FuzzPcapng FuzzPacket FuzzICQ FuzzICQCipher FuzzPeer FuzzOSCARFraming FuzzOSCARPDU FuzzSOCKS FuzzStream FuzzAnalysis)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

dictionary() {
    case "$1" in
        FuzzPcap|FuzzPcapng) echo capture ;;
        FuzzPacket) echo packet ;;
        FuzzICQ|FuzzICQCipher) echo icq ;;
        FuzzPeer) echo peer ;;
        FuzzOSCARFraming|FuzzOSCARPDU) echo oscar ;;
        FuzzSOCKS) echo socks ;;
        FuzzStream) echo stream ;;
        *) echo analysis ;;
    esac
}

max_len() {
    case "$1" in
        FuzzPcap|FuzzPcapng|FuzzAnalysis|FuzzStream|FuzzOSCARFraming|FuzzSOCKS|FuzzPeer) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

scripts/ensure-deps.sh
mkdir -p Fuzz/corpus Fuzz/artifacts Fuzz/logs
# One build of every harness (the library modules are shared). The whole build is instrumented:
# coverage (-sanitize=fuzzer) and AddressSanitizer on every module the harnesses link.
# The flags are also given to swiftc directly: some builds here came out of `--sanitize` alone
# with uninstrumented objects (libFuzzer's main linked, no coverage: cov stuck near 30), so the
# result is checked too. FUZZ_NO_BUILD=1 runs the harnesses already built; FUZZ_SCRATCH names
# another build folder.
scratch="${FUZZ_SCRATCH:-Fuzz/.build}"
bin="$scratch/release"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    echo "icqscope: building the fuzz harnesses (log: Fuzz/logs/build.log)" >&2
    if ! swift build -c release --package-path Fuzz --scratch-path "$scratch" \
        --sanitize=fuzzer --sanitize=address \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >Fuzz/logs/build.log 2>&1; then
        grep -E "error" Fuzz/logs/build.log >&2 || tail -20 Fuzz/logs/build.log >&2
        exit 1
    fi
fi
if ! nm "$bin/Wire.build/ICQDecoder.swift.o" 2>/dev/null | grep -q __sancov; then
    echo "icqscope: the decoders were built without coverage instrumentation; remove Fuzz/.build and run again" >&2
    exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
failed=0

run_one() {
    local h="$1" log="Fuzz/logs/$1.log"
    mkdir -p "Fuzz/corpus/$h"
    local limit=(-max_total_time="$seconds")
    [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
    local start=$SECONDS status=0
    "$bin/$h" "Fuzz/corpus/$h" "Fuzz/seeds/$h" \
        -dict="Fuzz/dictionaries/$(dictionary "$h").dict" -max_len="$(max_len "$h")" \
        "${limit[@]}" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="Fuzz/artifacts/$h-" >"$log" 2>&1 || status=$?
    local elapsed=$((SECONDS - start))
    local done_line execs
    done_line="$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)"
    local cov ft
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$elapsed" "$status" | tee -a Fuzz/logs/summary.tsv
    if [ "$status" -ne 0 ]; then
        echo "icqscope: $h failed (status $status); see $log and Fuzz/artifacts/$h-*" >&2
        grep -E 'ERROR|Fatal error|SUMMARY|panic' "$log" | head -5 >&2 || true
        return 1
    fi
}

printf 'harness\texecutions\tcov\tft\tseconds\tstatus\n'
jobs_max="${FUZZ_JOBS:-1}"
pids=()
for h in "${harnesses[@]}"; do
    if [ "$jobs_max" -le 1 ]; then
        run_one "$h" || failed=1
    else
        run_one "$h" &
        pids+=($!)
        if [ ${#pids[@]} -ge "$jobs_max" ]; then
            wait "${pids[0]}" || failed=1
            pids=("${pids[@]:1}")
        fi
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
