#!/usr/bin/env bash
# Issue 12: how much sooner `read --threads 2` finishes the gateway benchmark's 10,000-user
# million-packet mix than one thread. Runs alternate (one thread, two, one, two, ...) so that both
# see the same machine; prints each pair, the median ratio, and the stages of the last two-thread
# run (ICQSCOPE_SHOW_SHARDS). Also checks that both outputs are the same.
# Usage: scripts/measure-threads.sh [BIN_DIR] [PAIRS] [USERS] [PACKETS]   (.build/release, 5, 10000, 1000000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "${1:-$root/.build/release}" && pwd)"
pairs="${2:-5}" users="${3:-10000}" packets="${4:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin/icqscope-samples" --gateway-mix "$users" "$packets" "$work/mix.pcap" >/dev/null
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
ratios=() ones=() twos=()
for i in $(seq "$pairs"); do
    one="$(seconds "$bin/icqscope" read --threads 1 --format ndjson "$work/mix.pcap")"
    two="$(seconds "$bin/icqscope" read --threads 2 --format ndjson "$work/mix.pcap")"
    ratio="$(python3 -c "print(f'{$one / $two:.2f}')")"
    ratios+=("$ratio") ones+=("$one") twos+=("$two")
    echo "pair $i: one thread $one s, two threads $two s: ${ratio}x"
done
python3 -c "import statistics, sys; print(f'median {statistics.median(map(float, sys.argv[1:])):.2f}x over $pairs alternating pairs ($users users, $packets packets, $(nproc) cores, load $(cut -d" " -f1 /proc/loadavg))')" "${ratios[@]}"
# The neighbours of a shared machine slow some runs down, two threads more than one (a shard
# slowed on its core holds up the end of the run): the fastest run of each, side by side, is
# the figure least touched by them (not the issue's measure, which is the median above).
python3 -c "import statistics, sys; n = int(sys.argv[1]); o = [float(x) for x in sys.argv[2:2 + n]]; t = [float(x) for x in sys.argv[2 + n:]]; print(f'fastest runs: one thread {min(o):.2f} s, two threads {min(t):.2f} s: {min(o) / min(t):.2f}x; medians {statistics.median(o):.2f} s and {statistics.median(t):.2f} s')" "$pairs" "${ones[@]}" "${twos[@]}"
"$bin/icqscope" read --threads 1 --format ndjson "$work/mix.pcap" >"$work/one.ndjson"
ICQSCOPE_SHOW_SHARDS=1 "$bin/icqscope" read --threads 2 --format ndjson "$work/mix.pcap" >"$work/two.ndjson" 2>"$work/stages"
cat "$work/stages"
cmp -s "$work/one.ndjson" "$work/two.ndjson" && echo "outputs: the same" || { echo "outputs DIFFER"; exit 1; }
