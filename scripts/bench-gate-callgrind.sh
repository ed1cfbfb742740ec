#!/usr/bin/env bash
# Gates the whole pipeline (`icqscope read --format ndjson`) on gateway-shaped traffic, with counts
# that do not drift with the machine: callgrind's instructions and a preloaded malloc counter.
#
# For each user count (10, 1,000 and 10,000) it generates two gateway mixes, P and 2P packets
# (`icqscope-samples --gateway-mix`; the 2P file is the P file followed by P more packets of the
# same mix), and measures both. Steady state is the difference, so start-up does not count:
#   instructions per packet = (I(2P) - I(P)) / P
#   allocations:  mallocs(2P) - mallocs(P) <= the records, flows and ICQ sessions the extra P
#                 packets made (stdout lines, summary flows.created, `session` records: the
#                 summary has no session count, and every session ends in one record)
# Gates: instructions per packet at 1,000 and at 10,000 users each under a ceiling; at 10,000
# users at most ICQSCOPE_GATE_MAX_RATIO (1.2) times the figure at 10 users (ICQSCOPE_GATE_RATIO=0
# turns this one off); the allocation bound at every user count.
#
# Environment (defaults in brackets):
#   ICQSCOPE_GATE_PACKETS      P [100000]; the files are P and 2P packets
#   ICQSCOPE_GATE_USERS        user counts, comma-separated [10,1000,10000]
#   ICQSCOPE_GATE_MAX_IPP_1000, ICQSCOPE_GATE_MAX_IPP_10000   instruction ceilings [below]
#   ICQSCOPE_GATE_RATIO        1: gate the 10,000/10 ratio, 0: report it only [1]
#   ICQSCOPE_GATE_MAX_RATIO    [1.2]
#   ICQSCOPE_GATE_ALLOCS       1: gate allocations, 0: report them only [1]
#   ICQSCOPE_GATE_DIR          where files and outputs go [a temporary folder, removed after]
#   ICQSCOPE_GATE_BINARY       measure this icqscope instead of building this tree's (an earlier
#                              commit's build, for a before and after)
# Needs valgrind, cc, python3 and strip (installed when missing, on Debian).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

packets="${ICQSCOPE_GATE_PACKETS:-100000}"
users_list="${ICQSCOPE_GATE_USERS:-10,1000,10000}"
# The ceilings are the engine's steady-state figures with about 15% of room, so that a
# regression fails and noise from the hash seed does not: 5,618 and 5,850 instructions a packet
# at 1,000 and 10,000 users when they were set (issue 10, ceilings 6,500 and 6,800), 5,188 and
# 5,443 after session 12 took the hot path's copies off. Issue 10 asks for at most 1,000: lower
# them as the engine gets there.
max_ipp_1000="${ICQSCOPE_GATE_MAX_IPP_1000:-6000}"
max_ipp_10000="${ICQSCOPE_GATE_MAX_IPP_10000:-6250}"
gate_ratio="${ICQSCOPE_GATE_RATIO:-1}"
max_ratio="${ICQSCOPE_GATE_MAX_RATIO:-1.2}"
gate_allocs="${ICQSCOPE_GATE_ALLOCS:-1}"

[ -x scripts/ensure-deps.sh ] && scripts/ensure-deps.sh valgrind cc
for tool in valgrind python3 strip cc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-gate-callgrind: $tool is needed" >&2; exit 1; }
done

if [ -n "${ICQSCOPE_GATE_DIR:-}" ]; then
    work="$ICQSCOPE_GATE_DIR"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi

started=$(date +%s)
echo "bench-gate-callgrind: building icqscope-samples and icqscope (release)" >&2
swift build -c release --product icqscope-samples >&2
bin="$(swift build -c release --show-bin-path)"
measured="${ICQSCOPE_GATE_BINARY:-}"
if [ -z "$measured" ]; then
    swift build -c release --product icqscope >&2
    measured="$bin/icqscope"
fi
# valgrind cannot read the DWARF that Swift 6.3 writes ("Possibly corrupted debuginfo file"):
# measure a copy without it (the code is the same).
strip --strip-debug -o "$work/icqscope" "$measured"
# The gate is the cost per packet of one thread's engine: `read --threads N` adds the shards'
# partition and merge, which callgrind would count in one stream (an earlier build without the
# option reads on one thread anyway).
one_thread=()
# (The help is read whole first: `grep -q` in a pipe would close it early, and under pipefail
# the writer's SIGPIPE would fail the test at random.)
read_help="$("$work/icqscope" read --help 2>/dev/null || true)"
if [[ "$read_help" == *--threads* ]]; then one_thread=(--threads 1); fi
cc -shared -fPIC -O2 -o "$work/alloc_counter.so" Tests/Fixtures/alloc-counter/alloc_counter.c -ldl

# Swift seeds its hashing per process: dictionaries then grow and collide differently from run
# to run, and the counts move by a few percent. A fixed seed makes them repeat.
export SWIFT_DETERMINISTIC_HASHING=1

results="$work/results.tsv"
: > "$results"
for users in ${users_list//,/ }; do
    for n in "$packets" $((2 * packets)); do
        file="$work/mix-$users-$n.pcap"
        "$bin/icqscope-samples" --gateway-mix "$users" "$n" "$file" >/dev/null
        echo "bench-gate-callgrind: $users users, $n packets: callgrind" >&2
        t0=$(date +%s)
        valgrind --tool=callgrind --callgrind-out-file="$work/callgrind-$users-$n.out" \
            "$work/icqscope" read "${one_thread[@]}" --format ndjson "$file" >/dev/null 2>"$work/valgrind-$users-$n.log"
        t1=$(date +%s)
        # One run natively with the malloc counter preloaded; its output gives the records,
        # flows and sessions.
        ICQSCOPE_ALLOC_COUNT_FILE="$work/mallocs-$users-$n.txt" LD_PRELOAD="$work/alloc_counter.so" \
            "$work/icqscope" read "${one_thread[@]}" --format ndjson "$file" >"$work/out-$users-$n.ndjson"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$users" "$n" "$work/callgrind-$users-$n.out" \
            "$work/mallocs-$users-$n.txt" "$work/out-$users-$n.ndjson" $((t1 - t0)) >>"$results"
        rm -f "$file"
    done
done

python3 - "$results" "$packets" "$max_ipp_1000" "$max_ipp_10000" "$gate_ratio" "$max_ratio" "$gate_allocs" \
    "$(( $(date +%s) - started ))" <<'PY'
import json, sys

results, packets, max1000, max10000, gate_ratio, max_ratio, gate_allocs, elapsed = sys.argv[1:]
packets = int(packets)
ceilings = {1000: float(max1000), 10000: float(max10000)}

def instructions(path):
    """Ir from callgrind's out file: the `totals:` line (or `summary:` in older versions)."""
    found = {}
    for line in open(path):
        for key in ("totals:", "summary:"):
            if line.startswith(key):
                found[key] = int(line.split()[1])
    if not found:
        sys.exit(f"bench-gate-callgrind: FAIL: no totals in {path}")
    return found.get("totals:", found.get("summary:"))

def output_counts(path):
    lines = sessions = 0
    summary = None
    for line in open(path):
        lines += 1
        record = json.loads(line)
        if record.get("type") == "session":
            sessions += 1
        elif record.get("type") == "summary":
            summary = record
    if summary is None:
        sys.exit(f"bench-gate-callgrind: FAIL: no summary record in {path}")
    return lines, (summary.get("flows") or {}).get("created", 0), sessions

runs = {}
for row in open(results):
    users, n, callgrind, mallocs, output, seconds = row.rstrip("\n").split("\t")
    lines, flows, sessions = output_counts(output)
    runs[(int(users), int(n))] = dict(ir=instructions(callgrind), mallocs=int(open(mallocs).read()),
                                      lines=lines, flows=flows, sessions=sessions, seconds=int(seconds))

rows = {}
for users in sorted({u for u, _ in runs}):
    short, long = runs[(users, packets)], runs[(users, 2 * packets)]
    extra = {k: long[k] - short[k] for k in ("ir", "mallocs", "lines", "flows", "sessions")}
    allowance = extra["lines"] + extra["flows"] + extra["sessions"]
    rows[users] = dict(ipp=extra["ir"] / packets, mallocs=extra["mallocs"], allowance=allowance, extra=extra,
                       short=short, long=long)

print()
print(f"gateway mix, whole pipeline (icqscope read --format ndjson), steady state = {2 * packets:,} - {packets:,} packets")
print(f"{'users':>7} {'instr/packet':>13} {'I(P)':>16} {'I(2P)':>16} {'mallocs(2P)-(P)':>16} "
      f"{'allowed':>9} {'=records':>9} {'+flows':>8} {'+sessions':>10} {'callgrind s':>12}")
for users, r in rows.items():
    e = r["extra"]
    print(f"{users:>7,} {r['ipp']:>13,.0f} {r['short']['ir']:>16,} {r['long']['ir']:>16,} {r['mallocs']:>16,} "
          f"{r['allowance']:>9,} {e['lines']:>9,} {e['flows']:>8,} {e['sessions']:>10,} "
          f"{r['short']['seconds'] + r['long']['seconds']:>12,}")
print()

failures = []
for users, ceiling in ceilings.items():
    if users in rows:
        verdict = "ok" if rows[users]["ipp"] <= ceiling else "FAIL"
        print(f"{verdict}: {users:,} users: {rows[users]['ipp']:,.0f} instructions per packet, ceiling {ceiling:,.0f}")
        if verdict == "FAIL":
            failures.append(f"{users:,} users: {rows[users]['ipp']:,.0f} instructions per packet > {ceiling:,.0f}")
if 10 in rows and 10000 in rows:
    ratio = rows[10000]["ipp"] / rows[10]["ipp"]
    gated = gate_ratio != "0"
    verdict = "ok" if ratio <= float(max_ratio) else ("FAIL" if gated else "not gated")
    print(f"{verdict}: 10,000 users cost {ratio:.2f}x what 10 users cost per packet, at most {max_ratio}x"
          + ("" if gated else " (ICQSCOPE_GATE_RATIO=0)"))
    if verdict == "FAIL":
        failures.append(f"10,000 users cost {ratio:.2f}x the 10 users' instructions per packet (> {max_ratio}x)")
for users, r in rows.items():
    ok = r["mallocs"] <= r["allowance"]
    verdict = "ok" if ok else ("FAIL" if gate_allocs != "0" else "not gated")
    print(f"{verdict}: {users:,} users: {r['mallocs']:,} mallocs for {packets:,} more packets, "
          f"at most {r['allowance']:,} (records + flows + sessions)")
    if verdict == "FAIL":
        failures.append(f"{users:,} users: {r['mallocs']:,} mallocs > {r['allowance']:,}")
print(f"bench-gate-callgrind: took {int(elapsed) // 60} min {int(elapsed) % 60} s")
if failures:
    for failure in failures:
        print(f"bench-gate-callgrind: FAIL: {failure}")
    sys.exit(1)
print("bench-gate-callgrind: OK")
PY
