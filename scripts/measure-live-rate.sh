#!/bin/sh
# Measures the highest packet rate `icqscope live` captures without drops on the test gateway:
# a client sends 64-byte UDP datagrams at a paced rate through the gateway, icqscope captures
# both gateway interfaces (each datagram is seen twice) and reports received/analysed/dropped.
#
#   scripts/measure-live-rate.sh [BINARY] [SECONDS] RATE...
#   e.g. scripts/measure-live-rate.sh .build/release/icqscope 3 10000 20000 50000 100000
# Needs root (network namespaces). Prints one line per rate. The capture is stopped with SIGINT a
# second after the sender finished. The sender is Python, one process: its own ceiling (about
# 75000 datagrams/s on a 2-core machine shared with the capture) may be reached first.
set -eu
binary=$(realpath "${1:-.build/release/icqscope}"); shift || true
seconds=${1:-3}; shift || true
here=$(dirname "$0")
lab=mr$$
"$here/live-lab.sh" up $lab
trap '"$here/live-lab.sh" down $lab' EXIT
for rate in "$@"; do
    out=$(mktemp)
    ip netns exec ${lab}g "$binary" live -i ${lab}i -i ${lab}o --filter 'udp dst port 9999' \
        --format ndjson >"$out" 2>/dev/null &
    capture=$!
    sleep 1
    sent=$(ip netns exec ${lab}c python3 -c '
import socket, sys, time
rate, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload, destination = b"z" * 64, ("10.81.2.2", 9999)
total, sent, start = int(rate * seconds), 0, time.perf_counter()
while sent < total:
    due = min(total, int((time.perf_counter() - start) * rate) + 1)
    while sent < due:
        s.sendto(payload, destination)
        sent += 1
print(sent, "%.0f" % (sent / (time.perf_counter() - start)))
' "$rate" "$seconds")
    sleep 1  # let the last packets arrive, then stop the capture as a user would
    kill -INT $capture
    wait $capture || true
    python3 - "$out" "$rate" "$sent" <<'PY'
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1]) if '"type":"summary"' in l][0]["live"]
count, achieved = sys.argv[3].split()
print(f"asked {sys.argv[2]}/s achieved {achieved} datagrams/s ({int(achieved) * 2} packets/s on the two interfaces): "
      f"sent {count}, received {summary['received']} = analysed {summary['analysed']} + dropped {summary['dropped']}")
PY
    rm -f "$out"
done
