#!/usr/bin/env bash
# Splits a lab recording (DIR/gateway.pcapng, both gateway interfaces in one pcapng) into what
# other vantage points would have recorded (issue 13):
#   DIR/inside.pcapng           the inside interface alone
#   DIR/outside.pcapng          the outside interface alone (the WAN side, or the server's view)
#   DIR/outside-shifted.pcapng  the outside alone, its clock 0.35 s ahead (editcap -t 0.35), as a
#                               second tcpdump on another host would have recorded it
# `icqscope read --merge DIR/inside.pcapng DIR/outside-shifted.pcapng` must find what
# `icqscope read DIR/gateway.pcapng` finds. Needs tshark and editcap (Debian: tshark).
# Usage: scripts/lab-split.sh DIR [SHIFT_SECONDS]
set -euo pipefail
dir="$1" shift_seconds="${2:-0.35}"
command -v tshark >/dev/null && command -v editcap >/dev/null \
    || { echo "lab-split: needs tshark and editcap (apt-get install tshark)" >&2; exit 3; }
value() { grep "^$1=" "$dir/scenario.env" | cut -d= -f2-; }
inside=$(value INSIDE_INTERFACE) outside=$(value OUTSIDE_INTERFACE)
tshark -r "$dir/gateway.pcapng" -Y "frame.interface_name == \"$inside\"" -F pcapng -w "$dir/inside.pcapng" 2>/dev/null
tshark -r "$dir/gateway.pcapng" -Y "frame.interface_name == \"$outside\"" -F pcapng -w "$dir/outside.pcapng" 2>/dev/null
editcap -t "$shift_seconds" "$dir/outside.pcapng" "$dir/outside-shifted.pcapng"
