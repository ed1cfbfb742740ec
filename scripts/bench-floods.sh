#!/usr/bin/env bash
# Floods with bounded memory (issue 16): generates each hostile capture of `icqscope-samples
# --flood` into a scratch folder, reads it with `icqscope read --memcap M` at each budget, and
# reports peak RSS (GNU time's %M) against the budget, the summary's evictions, and whether the
# flood's one real ICQ session (UIN 4242, the witness) kept every packet. A benchmark, run by
# hand: nothing here is timed.
#
# Checks, each a failure (exit 1) when broken:
#   - peak RSS <= memcap + baseline, the baseline being the peak RSS of the same command on a
#     one-packet capture at the same memcap (the runtime, the binary, the buffers of the reader);
#   - the witness's session record counts exactly the packets the generator sent (NDJSON runs).
#
# Usage: scripts/bench-floods.sh [--short] [MEMCAP ...]      (default memcaps: 1G 64M)
#   --short                       a tenth of each flood, NDJSON only (CI runs this at 64M)
#   ICQSCOPE_FLOOD_FORMATS        formats read (default "ndjson text"; the text report holds
#                                 its list of sessions until the end, so it is measured too)
#   ICQSCOPE_FLOOD_DIR            where the captures go (default: a temporary folder, removed)
#   ICQSCOPE_FLOODS               which floods (default: all six)
# Needs /usr/bin/time (package `time`) and python3; builds the release binaries if needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scale=1
formats="${ICQSCOPE_FLOOD_FORMATS:-ndjson text}"
if [ "${1:-}" = "--short" ]; then
    scale=10
    formats="${ICQSCOPE_FLOOD_FORMATS:-ndjson}"
    shift
fi
memcaps=("$@")
[ ${#memcaps[@]} -gt 0 ] || memcaps=(1G 64M)
floods="${ICQSCOPE_FLOODS:-syn peer-syn icq-sessions fragments tcp-out-of-order oscar-stalled}"

[ -x scripts/ensure-deps.sh ] && scripts/ensure-deps.sh time
command -v python3 >/dev/null 2>&1 || { echo "bench-floods: python3 is needed" >&2; exit 1; }

echo "bench-floods: building icqscope and icqscope-samples (release)" >&2
swift build -c release --product icqscope-samples >&2
swift build -c release --product icqscope >&2
bin="$(swift build -c release --show-bin-path)"

if [ -n "${ICQSCOPE_FLOOD_DIR:-}" ]; then
    dir="$ICQSCOPE_FLOOD_DIR"
    mkdir -p "$dir"
else
    dir="$(mktemp -d)"
    trap 'rm -rf "$dir"' EXIT
fi

bytes() {  # 64M -> 67108864
    python3 -c 'import sys; t=sys.argv[1].upper().rstrip("B").rstrip("I"); m={"K":10,"M":20,"G":30,"T":40}
print(int(t[:-1]) << m[t[-1]] if t[-1] in m else int(t))' "$1"
}

peak_kib() {  # peak RSS in KiB of: icqscope read --format F --memcap M FILE (stdout to $out)
    local format="$1" memcap="$2" file="$3" out="$4"
    /usr/bin/time -f %M -o "$dir/rss" "$bin/icqscope" read --format "$format" --memcap "$memcap" "$file" >"$out" 2>"$dir/stderr" || {
        local status=$?
        # 1 (findings) and 2 (damaged input) still analysed everything; anything else did not.
        if [ $status -ne 1 ] && [ $status -ne 2 ]; then
            echo "bench-floods: icqscope failed ($status) on $file: $(tail -3 "$dir/stderr")" >&2
            exit 1
        fi
    }
    tail -1 "$dir/rss"
}

# The baseline: a one-packet capture (the witness's login and log-off around one SYN).
"$bin/icqscope-samples" --flood syn "$dir/tiny.pcap" --count 1 >/dev/null
declare -A baseline
for m in "${memcaps[@]}"; do
    for f in $formats; do
        b=$(peak_kib "$f" "$m" "$dir/tiny.pcap" /dev/null)
        if [ -z "${baseline[$m]:-}" ] || [ "$b" -gt "${baseline[$m]}" ]; then baseline[$m]=$b; fi
    done
    echo "bench-floods: baseline at --memcap $m: ${baseline[$m]} KiB (one-packet capture)" >&2
done

failed=0
printf '%-17s %-6s %-7s %9s %9s %12s  %s\n' flood format memcap packets "peak MiB" "budget MiB" \
    "evicted: flows, icq_sessions, tcp_streams, ip_datagrams; witness"
for flood in $floods; do
    file="$dir/$flood.pcap"
    count_option=()
    if [ "$scale" -ne 1 ]; then
        # A tenth of the generator's defaults (Flood.defaultCount).
        case "$flood" in syn) full=2000000 ;; peer-syn | icq-sessions | fragments) full=1000000 ;; *) full=100000 ;; esac
        count_option=(--count $((full / scale)))
    fi
    "$bin/icqscope-samples" --flood "$flood" "$file" "${count_option[@]}" >"$dir/generated"
    packets=$(sed -n 's/.*, \([0-9]*\) packets, seed.*/\1/p' "$dir/generated")
    witness=$(sed -n 's/^witness uin 4242 client \([0-9]*\) server \([0-9]*\)$/\1 \2/p' "$dir/generated")
    for m in "${memcaps[@]}"; do
        budget_kib=$(( $(bytes "$m") / 1024 + baseline[$m] ))
        for f in $formats; do
            peak=$(peak_kib "$f" "$m" "$file" "$dir/out")
            verdict="ok"
            if [ "$peak" -gt "$budget_kib" ]; then verdict="OVER BUDGET"; failed=1; fi
            detail="-"
            if [ "$f" = ndjson ]; then
                detail=$(python3 - "$dir/out" $witness <<'PY'
import json, sys
path, client, server = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
summary, witness = None, None
with open(path) as f:
    for line in f:
        if line.startswith('{"type":"summary"'):
            summary = json.loads(line)
        elif line.startswith('{"type":"session","uin":4242,'):
            witness = json.loads(line)
evicted = (summary or {}).get("evicted", {})
flows = (summary or {}).get("flows", {}).get("evicted", 0)
counts = f'{flows}, {evicted.get("icq_sessions", 0)}, {evicted.get("tcp_streams", 0)}, {evicted.get("ip_datagrams", 0)}'
if witness is None:
    print(f"{counts}; witness LOST (no session record)")
    sys.exit(1)
got = (witness["packets"]["client"], witness["packets"]["server"])
if got != (client, server) or witness["end_reason"] != "logout":
    print(f"{counts}; witness LOST packets: {got[0]}/{got[1]} of {client}/{server}, {witness['end_reason']}")
    sys.exit(1)
print(f"{counts}; witness {client}+{server} packets, all counted")
PY
) || { verdict="WITNESS LOST"; failed=1; }
            fi
            awk -v flood="$flood" -v f="$f" -v m="$m" -v n="$packets" -v peak="$peak" -v budget="$budget_kib" \
                -v detail="$detail" -v verdict="$([ "$verdict" = ok ] || echo "<- $verdict")" \
                'BEGIN { printf "%-17s %-6s %-7s %9s %9.1f %12.1f  %s %s\n", flood, f, m, n, peak / 1024, budget / 1024, detail, verdict }'
        done
    done
    rm -f "$file"
done
if [ $failed -ne 0 ]; then
    echo "bench-floods: FAIL: a flood went over its budget or lost the witness's packets" >&2
    exit 1
fi
echo "bench-floods: every flood stayed within memcap + baseline, and the witness lost nothing" >&2
