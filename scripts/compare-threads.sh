#!/usr/bin/env bash
# Compares `icqscope read` on one thread with `--threads N` (issue 12: the output must be the
# same byte for byte): every bundled sample, lab recording (gateway and vantage files), generated
# scenario, capture of Tests/Fixtures/captures and ../shared/captures, and a generated gateway
# mix; in text and NDJSON. Says how many inputs the shards actually split (the rest were read on
# one thread, and say why with ICQSCOPE_SHOW_SHARDS=1).
# Usage: scripts/compare-threads.sh [BIN_DIR] [N]   (default .build/release, 2)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "${1:-$root/.build/release}" && pwd)"
threads="${2:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin/icqscope-samples" --scenarios "$work/scenarios" >/dev/null
"$bin/icqscope-samples" --gateway-mix 2000 60000 "$work/gateway-mix.pcap" >/dev/null
inputs=()
while IFS= read -r f; do inputs+=("$f"); done < <(
    { ls "$root"/samples/*.pcapng "$root"/samples/lab/*/*.pcapng "$work"/scenarios/*.pcapng "$work/gateway-mix.pcap"
      find "$root/Tests/Fixtures/captures" "$root/../shared/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) 2>/dev/null
    } | LC_ALL=C sort -u)
compared=0 sharded=0 differ=0
for f in "${inputs[@]}"; do
    for format in text ndjson; do
        one="$("$bin/icqscope" read --format "$format" --threads 1 "$f" 2>/dev/null; echo "exit $?")"
        many="$(ICQSCOPE_SHOW_SHARDS=1 "$bin/icqscope" read --format "$format" --threads "$threads" "$f" 2>"$work/stderr"; echo "exit $?")"
        compared=$((compared + 1))
        if [ "$one" != "$many" ]; then
            differ=$((differ + 1))
            echo "DIFFERS: $f ($format)"
            diff <(echo "$one") <(echo "$many") | head -6
        fi
        if grep -q 'frames per shard' "$work/stderr"; then sharded=$((sharded + 1)); fi
    done
done
echo "compared $compared runs (${#inputs[@]} inputs × text, ndjson) at --threads 1 and $threads: $differ differ; $sharded were split into shards"
[ "$differ" -eq 0 ]
