#!/bin/sh
# Regenerates the tshark oracle fixtures of this directory (needs tshark 4.0 and python3).
# Run from this directory; the captures are read from ../captures (Tests/Fixtures/captures).
set -e
C=../captures
run() { out=$1; shift; tshark "$@" -Y aim -T json --no-duplicate-keys 2>/dev/null | python3 tshark_pdus.py > "$out"; }
run ndpi_Oscar.tshark-pdus.tsv -r $C/public/oscar/ndpi_Oscar.pcap -d tcp.port==443,aim
run iserverd-climm.tshark-pdus.tsv -r $C/real-software/oscar__iserverd-climm.pcap -d tcp.port==5190,aim
run pyserver-micq.tshark-pdus.tsv -r $C/real-software/oscar__pyserver-micq-sample.pcap -d tcp.port==5290,aim -d tcp.port==5291,aim
run iserverd-micq-peer-socks.tshark-pdus.tsv -r $C/real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap -d tcp.port==5190,aim
# The gateway lab's OSCAR recordings (scripts/lab.sh oscar-*): login on 5190, BOS on 5191.
L=../../../samples/lab
run lab-oscar-bitlbee.tshark-pdus.tsv -r $L/oscar-bitlbee/gateway.pcapng -d tcp.port==5190,aim -d tcp.port==5191,aim
run lab-oscar-bos-blocked.tshark-pdus.tsv -r $L/oscar-bos-blocked/gateway.pcapng -d tcp.port==5190,aim -d tcp.port==5191,aim
