#!/bin/sh
# Measures the highest packet rate `icqscope live` analyses without drops on a busy gateway's
# traffic (issue 12, item 3): the gateway benchmark's mix (`icqscope-samples --gateway-mix`,
# USERS users) is replayed by tcpreplay at each RATE (packets/s) into the namespaced gateway of
# scripts/live-lab.sh, which forwards it out of its other side; icqscope captures both gateway
# interfaces (every packet is seen twice, as on a real gateway) and reports
# received = analysed + dropped, with the kernel's (ps_drop) and the interface's (ps_ifdrop)
# drops. The senders are pinned with taskset (SENDER_CPUS, default the last core); icqscope is
# not pinned, so senders and icqscope share the machine's cores, as the report says.
#
#   scripts/measure-replay-rate.sh [--threads N[,N...]] [--senders K] [BINARY_DIR] [USERS] [PACKETS] RATE...
#   e.g. sudo scripts/measure-replay-rate.sh --threads 1,2 .build/release 10000 1000000 60000 120000 top
# RATE is what all senders send together; `top`: as fast as tcpreplay can, the file preloaded
# in memory. --threads: `icqscope live --threads` for each run, every RATE at each N (default
# 1). --senders K: K tcpreplay processes at once, each replaying its own mix (seeds 1..K: the
# same users, other conversations) at RATE/K, for when one sender cannot go fast enough.
# Extra options for icqscope live go in ICQSCOPE_LIVE_ARGS (e.g. "--packets" for a heavier
# analysis). Needs root (namespaces) and tcpreplay/tcprewrite (installed when missing).
set -eu
threads_list=1
senders=1
while [ $# -gt 0 ]; do
    case "$1" in
    --threads) threads_list=$2; shift 2 ;;
    --senders) senders=$2; shift 2 ;;
    *) break ;;
    esac
done
bin=$(realpath "${1:-.build/release}"); shift || true
users=${1:-10000}; shift || true
packets=${1:-200000}; shift || true
here=$(dirname "$0")
"$here/ensure-deps.sh" tcpreplay
lab=rr$$
work=$(mktemp -d)
"$here/live-lab.sh" up $lab
trap '"$here/live-lab.sh" down $lab; rm -rf "$work"' EXIT
# The mix's addresses (10.1.x.y inside, public ones outside) arrive from the client side and are
# forwarded out of the server side, whose namespace drops them: no reverse-path check, a default
# route out.
ip netns exec ${lab}g sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.${lab}i.rp_filter=0
ip -n ${lab}g route add default via 10.81.2.2
gateway_mac=$(ip -n ${lab}g -br link show ${lab}i | awk '{print $3}')
client_mac=$(ip -n ${lab}c -br link show ${lab}ci | awk '{print $3}')
per_sender=$((packets / senders))
s=1
while [ $s -le "$senders" ]; do
    "$bin/icqscope-samples" --gateway-mix "$users" "$per_sender" "$work/mix$s.pcap" --seed $s >/dev/null
    tcprewrite --enet-smac="$client_mac" --enet-dmac="$gateway_mac" --infile="$work/mix$s.pcap" --outfile="$work/replay$s.pcap"
    s=$((s + 1))
done
sender_cpus=${SENDER_CPUS:-$(($(nproc) - 1))}
echo "users $users, $packets packets per run from $senders tcpreplay process(es) pinned to CPU(s) $sender_cpus of $(nproc); icqscope unpinned: senders and icqscope share the cores; icqscope live ${ICQSCOPE_LIVE_ARGS:-}"
for threads in $(echo "$threads_list" | tr ',' ' '); do
for rate in "$@"; do
    out="$work/live-$threads-$rate.ndjson"
    # Others' work on the machine changes the result: the load before the run is printed with it.
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    ip netns exec ${lab}g "$bin/icqscope" live -i ${lab}i -i ${lab}o --format ndjson --threads "$threads" ${ICQSCOPE_LIVE_ARGS:-} \
        >"$out" 2>"$work/live-$threads-$rate.err" &
    capture=$!
    sleep 1.5
    speed="--topspeed --preload-pcap"
    [ "$rate" = top ] || speed="--pps=$((rate / senders)) --preload-pcap"
    replays=""
    s=1
    while [ $s -le "$senders" ]; do
        # shellcheck disable=SC2086
        ip netns exec ${lab}c taskset -c "$sender_cpus" tcpreplay -q -i ${lab}ci $speed "$work/replay$s.pcap" \
            >"$work/replay$s.out" 2>&1 &
        replays="$replays $!"
        s=$((s + 1))
    done
    for job in $replays; do wait "$job" || true; done
    achieved=0
    s=1
    while [ $s -le "$senders" ]; do
        one=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$work/replay$s.out" | head -1)
        achieved=$(python3 -c "print(round($achieved + ${one:-0}))")
        s=$((s + 1))
    done
    sleep 2  # the last packets forwarded and read, then stop as a user would
    kill -INT $capture
    wait $capture || true
    python3 - "$out" "$rate" "$achieved" "$packets" "$threads" "$senders" "$load" <<'PY'
import json, sys
out, rate, achieved, packets, threads, senders, load = sys.argv[1:]
stats = [json.loads(l) for l in open(out) if '"type":"summary"' in l]
live = stats[-1]["live"] if stats else {}
ok = live.get("dropped", 1) == 0 and live.get("interface_dropped", 1) == 0 and live.get("received", 0) >= 2 * int(packets)
print(f"--threads {threads}: asked {rate} pps, {senders} tcpreplay achieved {achieved} pps together ({2 * int(achieved)} packets/s on the two interfaces): "
      f"received {live.get('received')} = analysed {live.get('analysed')} + dropped {live.get('dropped')} "
      f"(ps_drop), ps_ifdrop {live.get('interface_dropped')}, unread {live.get('unread')}: {'no drops' if ok else 'DROPS'} (load before: {load})")
PY
done
done
