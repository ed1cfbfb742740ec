#!/usr/bin/env bash
# Side by side, in one run, on the same gateway mixes (`icqscope-samples --gateway-mix`): the
# whole `icqscope read` (NDJSON findings and summary) against copying the packets with tcpdump
# and extracting ICQ and OSCAR fields with tshark. Run by hand, not in CI (it takes long).
#
#   icqscope read --format ndjson F > /dev/null
#   tcpdump -r F -w /dev/null
#   tshark -r F -d tcp.port==5190,aim -T fields -e icq.uin -e aim.fnac.family > /dev/null
#
# (tshark 4.0 no longer dissects TCP 5190 as AIM by default; `-d` makes it decode the OSCAR
# traffic, as icqscope does. TSHARK_DECODE_AS="" leaves it out.)
#
# For each user count: the wall and CPU time of each (the least of --runs), and callgrind's instructions
# per packet in steady state, (I(2K) - I(K)) / K on the files of the first K and 2K packets
# (the same mix: a shorter file is a prefix of the longer one), so start-up does not count.
#
# Usage: scripts/bench-compare.sh [--users 10,1000,10000,100000] [--packets 1000000]
#            [--callgrind-packets K] [--no-callgrind] [--runs R] [--seed S] [--icqscope BIN]
# --icqscope measures that binary (say, a build of an earlier commit) instead of this tree's.
# The mixes go to $TMPDIR/icqscope-bench (default /tmp) and are reused when present (several runs
# may share them); everything else goes to a folder of this run's own.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

users_list="10,1000,10000,100000"
packets=1000000
callgrind_packets=100000
callgrind=1
runs=1
seed=1
icqscope=""
while [ $# -gt 0 ]; do
    case "$1" in
        --users) users_list="$2"; shift 2 ;;
        --packets) packets="$2"; shift 2 ;;
        --callgrind-packets) callgrind_packets="$2"; shift 2 ;;
        --no-callgrind) callgrind=0; shift ;;
        --runs) runs="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --icqscope) icqscope="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "bench-compare: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
decode_as="${TSHARK_DECODE_AS--d tcp.port==5190,aim}"

# tshark asks whether non-root users may capture; noninteractive takes the default.
export DEBIAN_FRONTEND=noninteractive
scripts/ensure-deps.sh tcpdump tshark $([ "$callgrind" = 1 ] && echo valgrind)

data="${TMPDIR:-/tmp}/icqscope-bench"
mkdir -p "$data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "bench-compare: building icqscope-samples$([ -z "$icqscope" ] && echo " and icqscope") (release)" >&2
swift build -c release --product icqscope-samples >&2
bin="$(swift build -c release --show-bin-path)"
if [ -z "$icqscope" ]; then
    swift build -c release --product icqscope >&2
    icqscope="$bin/icqscope"
fi
# valgrind cannot read Swift 6.3's debug info: callgrind measures a copy without it.
strip --strip-debug -o "$work/icqscope.stripped" "$icqscope"

# A mix file, made once (written aside and renamed, so an interrupted run leaves none half made).
mix() {
    local users="$1" n="$2" file="$data/mix-$1-$2-seed$seed.pcap"
    if [ ! -s "$file" ]; then
        echo "bench-compare: generating $n packets at $users users" >&2
        "$bin/icqscope-samples" --gateway-mix "$users" "$n" "$file.part.$$" --seed "$seed" >&2
        mv "$file.part.$$" "$file"
    fi
    echo "$file"
}

# The command that measures $1 (icqscope, tcpdump or tshark) on file $2 with icqscope binary $3,
# in the array `cmd`.
command_for() {
    case "$1" in
        icqscope) cmd=("$3" read --format ndjson "$2") ;;
        tcpdump) cmd=(tcpdump -r "$2" -w /dev/null) ;;
        # shellcheck disable=SC2206
        tshark) cmd=(tshark -r "$2" $decode_as -T fields -e icq.uin -e aim.fnac.family) ;;
    esac
}

# "WALL CPU": wall and CPU (user + system) nanoseconds of "$@", each the least of $runs runs
# (output discarded). CPU time is printed beside the wall time: on a busy machine, waiting for a
# core lengthens the one and not the other.
wall() {
    python3 - "$runs" "$@" <<'PY'
import resource, subprocess, sys, time
runs, command = int(sys.argv[1]), sys.argv[2:]
best_wall = best_cpu = None
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
print(int(best_wall * 1e9), int(best_cpu * 1e9))
PY
}

# Instructions callgrind counts for "$@". tcpdump run as root drops to user tcpdump after opening
# its files, and callgrind could then not write its own: under callgrind it keeps root (-Z root).
instructions() {
    local out
    out="$(mktemp)"
    if [ "$1" = tcpdump ] && [ "$(id -u)" -eq 0 ]; then set -- tcpdump -Z root "${@:2}"; fi
    # A fixed hash seed: Swift's per-process seeds move icqscope's counts by a few percent.
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1 || true
    awk '/^(totals|summary):/ { print $2; exit }' "$out"
    rm -f "$out"
}

results="$work/results.tsv"
: >"$results"
for users in ${users_list//,/ }; do
    file="$(mix "$users" "$packets")"
    row="$users"
    for tool in icqscope tcpdump tshark; do
        echo "bench-compare: $users users: $tool, wall time on $packets packets" >&2
        command_for "$tool" "$file" "$icqscope"
        row="$row	$(wall "${cmd[@]}" | tr ' ' '\t')"
    done
    for tool in icqscope tcpdump tshark; do
        if [ "$callgrind" = 1 ]; then
            short="$(mix "$users" "$callgrind_packets")"
            long="$(mix "$users" $((2 * callgrind_packets)))"
            echo "bench-compare: $users users: $tool under callgrind, $callgrind_packets and $((2 * callgrind_packets)) packets" >&2
            command_for "$tool" "$short" "$work/icqscope.stripped"
            a=$(instructions "${cmd[@]}")
            command_for "$tool" "$long" "$work/icqscope.stripped"
            b=$(instructions "${cmd[@]}")
            if [ -z "$a" ] || [ -z "$b" ]; then
                echo "bench-compare: callgrind gave no count for $tool" >&2
                exit 1
            fi
            row="$row	$(( (b - a) / callgrind_packets ))"
        else
            row="$row	-"
        fi
    done
    echo "$row" >>"$results"
done

echo "bench-compare: icqscope measured: $icqscope" >&2
python3 - "$results" "$packets" "$callgrind_packets" "$runs" "$callgrind" <<'PY'
import sys
results, packets, k, runs, callgrind = sys.argv[1:]
packets, k = int(packets), int(k)
print()
print(f"gateway mix, {packets:,} packets (20,000 per second of capture time); seconds: wall (CPU), "
      f"the least of {runs} run(s)")
if callgrind == "1":
    print(f"instructions per packet: callgrind, steady state (I({2 * k:,}) - I({k:,})) / {k:,}")
header = ("users", "icqscope s", "tcpdump s", "tshark s", "icqscope/tcpdump", "tshark/icqscope",
          "icqscope I/pkt", "tcpdump I/pkt", "tshark I/pkt")
print("| " + " | ".join(header) + " |")
print("|" + "|".join("---:" for _ in header) + "|")
for line in open(results):
    users, *fields = line.rstrip("\n").split("\t")
    (ours, ours_cpu, copy, copy_cpu, shark, shark_cpu), ipp = (int(x) / 1e9 for x in fields[:6]), fields[6:]
    cells = [f"{int(users):,}", f"{ours:.2f} ({ours_cpu:.2f})", f"{copy:.2f} ({copy_cpu:.2f})",
             f"{shark:.2f} ({shark_cpu:.2f})", f"{ours / copy:.1f}x ({ours_cpu / max(copy_cpu, 1e-3):.1f}x)",
             f"{shark / ours:.2f}x ({shark_cpu / ours_cpu:.2f}x)"] + [x if x == "-" else f"{int(x):,}" for x in ipp]
    print("| " + " | ".join(cells) + " |")
PY
