#!/usr/bin/env bash
# Installs, only when missing, the Debian packages icqscope needs to build and test.
# Used by scripts/demo.sh, scripts/test.sh and CI; safe to run again.
set -euo pipefail

need=()
pkg-config --exists libpcap 2>/dev/null || need+=(libpcap-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# Tests build real network namespaces and veth pairs, and the lab a real nftables firewall.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
for extra in "$@"; do
    case "$extra" in
        nft) command -v nft >/dev/null 2>&1 || need+=(nftables) ;;
        sockd) command -v sockd >/dev/null 2>&1 || command -v danted >/dev/null 2>&1 || need+=(dante-server) ;;
        valgrind) command -v valgrind >/dev/null 2>&1 || need+=(valgrind) ;;
        tcpdump) command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump) ;;
        tcpreplay) command -v tcpreplay >/dev/null 2>&1 && command -v tcprewrite >/dev/null 2>&1 || need+=(tcpreplay) ;;
        tshark) command -v tshark >/dev/null 2>&1 || need+=(tshark) ;;
        time) [ -x /usr/bin/time ] || need+=(time) ;;
        cc) command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev) ;;
        # The HTML page's tests render it in a real headless browser.
        chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
        # The sensor's tests: a real Prometheus (and promtool) scraping icqscope live, a real
        # rsyslog receiving its findings, curl to ask Prometheus's HTTP API.
        prometheus) command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus) ;;
        rsyslog) [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog) ;;
        curl) command -v curl >/dev/null 2>&1 || need+=(curl) ;;
    esac
done

if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "icqscope: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    # Daemons installed for the tests (prometheus, rsyslog) must not start as services: the
    # tests start their own, on loopback or on sockets they make. policy-rc.d says so to
    # Debian's maintainer scripts (101: action forbidden) for the length of the install.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
    fi
    status=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null || status=$?
    [ -z "$policy" ] || $sudo rm -f "$policy"
    [ "$status" -eq 0 ] || exit "$status"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "icqscope: Swift 6.1 or later is needed (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
