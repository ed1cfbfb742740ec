#!/bin/sh
# Measures the highest packet rate `icqscope live` analyses without drops on a busy gateway's
# traffic (issue 12, item 3): the gateway benchmark's mix (`icqscope-samples --gateway-mix`,
# USERS users) is replayed by tcpreplay at each RATE (packets/s) into the namespaced gateway of
# scripts/live-lab.sh, which forwards it out of its other side; icqscope captures both gateway
# interfaces (every packet is seen twice, as on a real gateway) and reports
# received = analysed + dropped, with the kernel's (ps_drop) and the interface's (ps_ifdrop)
# drops. tcpreplay is pinned to the last core with taskset; icqscope is not pinned, so both share
# the machine's cores, as the report says.
#
#   scripts/measure-replay-rate.sh [BINARY_DIR] [USERS] [PACKETS] RATE...
#   e.g. sudo scripts/measure-replay-rate.sh .build/release 10000 200000 20000 40000 80000 top
# (RATE `top`: as fast as tcpreplay can, the file preloaded in memory.)
# Extra options for icqscope live go in ICQSCOPE_LIVE_ARGS (e.g. "--threads 2" once it exists).
# Needs root (namespaces) and tcpreplay/tcprewrite (installed when missing).
set -eu
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
"$bin/icqscope-samples" --gateway-mix "$users" "$packets" "$work/mix.pcap" >/dev/null
tcprewrite --enet-smac="$client_mac" --enet-dmac="$gateway_mac" --infile="$work/mix.pcap" --outfile="$work/replay.pcap"
last_core=$(($(nproc) - 1))
echo "users $users, $packets packets per run; tcpreplay pinned to core $last_core of $(nproc), icqscope unpinned; icqscope live ${ICQSCOPE_LIVE_ARGS:-}"
for rate in "$@"; do
    out="$work/live-$rate.ndjson"
    # shellcheck disable=SC2086
    ip netns exec ${lab}g "$bin/icqscope" live -i ${lab}i -i ${lab}o --format ndjson ${ICQSCOPE_LIVE_ARGS:-} \
        >"$out" 2>"$work/live-$rate.err" &
    capture=$!
    sleep 1.5
    speed="--pps=$rate"
    [ "$rate" != top ] || speed="--topspeed --preload-pcap"
    # shellcheck disable=SC2086
    replay=$(ip netns exec ${lab}c taskset -c "$last_core" tcpreplay -q -i ${lab}ci $speed "$work/replay.pcap" 2>&1 \
        | sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' | head -1)
    sleep 2  # the last packets forwarded and read, then stop as a user would
    kill -INT $capture
    wait $capture || true
    python3 - "$out" "$rate" "${replay:-?}" "$packets" <<'PY'
import json, sys
out, rate, achieved, packets = sys.argv[1:]
stats = [json.loads(l) for l in open(out) if '"type":"summary"' in l]
live = stats[-1]["live"] if stats else {}
ok = live.get("dropped", 1) == 0 and live.get("interface_dropped", 1) == 0 and live.get("received", 0) >= 2 * int(packets)
print(f"asked {rate} pps, tcpreplay achieved {achieved} pps ({2 * float(achieved) if achieved != '?' else '?'} packets/s on the two interfaces): "
      f"received {live.get('received')} = analysed {live.get('analysed')} + dropped {live.get('dropped')} "
      f"(ps_drop), ps_ifdrop {live.get('interface_dropped')}, unread {live.get('unread')}: {'no drops' if ok else 'DROPS'}")
PY
done
