#!/usr/bin/env bash
# The gateway lab (issue 7): a real Linux stateful firewall between real ICQ v5 peers.
#
#   inside namespace             gateway namespace                     outside namespace
#   client A 10.77.1.2  ── veth ── gi<id> 10.77.1.1 | go<id> 10.78.1.1 ── veth ── server  10.78.1.2:4000
#   (client C 10.77.1.3)           forwarding, nftables stateful          peer B  10.78.1.3
#                                  firewall, conntrack UDP timeouts       SOCKS   10.78.1.4:1080 (dante: 4 and 5)
#
# Each scenario configures the firewall and the peers, records what the gateway sees on both of
# its interfaces, and removes everything it created when it ends (also on failure or Ctrl-C).
# Traffic only ever flows between these namespaces.
#
# Usage: sudo scripts/lab.sh [--out DIR] [--bin DIR] [--nat] [--capture tcpdump|icqscope] [--no-heartbeat]
#                           [--udp-timeout SECONDS] [--sensor] [--quiet] SCENARIO
#        (--udp-timeout: the conntrack UDP timeout of the timeout-sweep scenarios, default 3)
#        (--sensor: icqscope live as a sensor: a real Prometheus in the gateway namespace scrapes
#         its /metrics every second with the shipped alert rules, a real rsyslog takes its findings,
#         --events and --metrics-file go to the output folder; after the scenario Prometheus's
#         HTTP API is asked for icqscope_findings_total and ALERTS, and sensor-latency.txt says how
#         long after each finding was established it reached the events file and Prometheus)
#        (oscar-* scenarios: real bitlbee signs on to the lab's OSCAR server, icqlab-oscar. Debian's
#         bitlbee 3.6 has no OSCAR left (removed upstream in 2019), so these need a bitlbee built with
#         it, outside the repository: --bitlbee PATH or LAB_BITLBEE=PATH)
#        scripts/lab.sh --list
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCENARIOS="healthy timed-out-session timed-out-session-reject keepalive-own-timer client-gives-up dropped-replies blocked-peer-port-drop blocked-peer-port-reset blocked-peer-port-icmp peer-port-allowed outgoing-tcp-blocked server-path-blocked socks-association-lost timeout-sweep timeout-sweep-nat nat-rebinding three-ports-two-open socks4-udp-blocked oscar-bitlbee oscar-bos-blocked external-application-blocked udp-mapping"

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    echo "Scenarios: $SCENARIOS"
    exit "${1:-2}"
}

BITLBEE="${LAB_BITLBEE:-}"
OUT="" BIN="" NAT=0 NAT_RANDOM=0 QUIET=0 SCENARIO="" HEARTBEAT=1 SWEEP_TIMEOUT=3 SENSOR=0
# What records the gateway's traffic: icqscope live (findings stream while the scenario runs,
# recording in gateway.pcapng), or tcpdump (gateway.pcap, no live findings). Only
# start_capture/stop_capture below know which tool runs.
CAPTURE="${LAB_CAPTURE:-icqscope}"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT="$2"; shift 2 ;;
        --bin) BIN="$2"; shift 2 ;;
        --nat) NAT=1; shift ;;
        --capture) CAPTURE="$2"; shift 2 ;;
        --quiet) QUIET=1; shift ;;
        --no-heartbeat) HEARTBEAT=0; shift ;;
        --udp-timeout) SWEEP_TIMEOUT="$2"; shift 2 ;;
        --sensor) SENSOR=1; shift ;;
        --bitlbee) BITLBEE="$2"; shift 2 ;;
        --list) echo "$SCENARIOS" | tr ' ' '\n'; exit 0 ;;
        -h|--help) usage 0 ;;
        -*) echo "lab: unknown option $1" >&2; usage ;;
        *) SCENARIO="$1"; shift ;;
    esac
done
[ -n "$SCENARIO" ] || usage
case " $SCENARIOS " in *" $SCENARIO "*) ;; *) echo "lab: unknown scenario '$SCENARIO'" >&2; usage ;; esac
if [ "$(id -u)" -ne 0 ]; then
    echo "lab: needs root (network namespaces, veth pairs, nftables): sudo $0 $SCENARIO" >&2
    exit 3
fi

say() { [ "$QUIET" = 1 ] || echo "lab: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# What the lab needs, installed when missing.

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v danted >/dev/null 2>&1 || command -v sockd >/dev/null 2>&1 || need+=(dante-server)
[ "$CAPTURE" != tcpdump ] || command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
[ "$HEARTBEAT" = 0 ] || command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
if [ "$SENSOR" = 1 ]; then
    [ "$CAPTURE" = icqscope ] || { echo "lab: --sensor needs --capture icqscope" >&2; exit 2; }
    # Installed without starting their services (scripts/ensure-deps.sh).
    "$ROOT/scripts/ensure-deps.sh" prometheus rsyslog curl
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "lab: installing ${need[*]}" >&2
    apt-get update -qq
    # policy-rc.d keeps Debian from starting the dante service on installation.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
DANTED=$(command -v danted || command -v sockd)

if [ -z "$BIN" ]; then
    say "building the lab peers"
    (cd "$ROOT" && swift build -q --product icqlab-server && swift build -q --product icqlab-client \
        && swift build -q --product icqscope && swift build -q --product icqlab-oscar) >&2
    BIN=$(cd "$ROOT" && swift build --show-bin-path)
fi
LAB_TOOLS="icqlab-server icqlab-client"
case "$SCENARIO" in
    oscar-*)
        LAB_TOOLS="$LAB_TOOLS icqlab-oscar"
        # Built with OSCAR: its default ICQ login server is in the binary.
        [ -n "$BITLBEE" ] && [ -x "$BITLBEE" ] && grep -qa login.icq.com "$BITLBEE" || {
            echo "lab: $SCENARIO needs a bitlbee built with OSCAR (--bitlbee PATH); Debian's has none since 3.6" >&2; exit 3; }
        command -v python3 >/dev/null 2>&1 || { echo "lab: $SCENARIO needs python3 (scripts/lab-irc.py)" >&2; exit 3; } ;;
esac
for tool in $LAB_TOOLS; do
    [ -x "$BIN/$tool" ] || { echo "lab: $BIN/$tool not found (swift build --product $tool)" >&2; exit 3; }
done

# ---------------------------------------------------------------------------------------------
# Names and addresses. Unique per run: the prefix carries this shell's PID.

ID=$$
NS_IN="icqlab${ID}in" NS_GW="icqlab${ID}gw" NS_OUT="icqlab${ID}out"
IF_GI="gi${ID}" IF_GO="go${ID}" IF_CI="ci${ID}" IF_SO="so${ID}"
GW_IN=10.77.1.1 CLIENT_A=10.77.1.2 CLIENT_C=10.77.1.3
GW_OUT=10.78.1.1 SERVER=10.78.1.2 PEER_B=10.78.1.3 PROXY=10.78.1.4
SERVER_PORT=4000 PROXY_PORT=1080
OSCAR_LOGIN_PORT=5190 OSCAR_BOS_PORT=5191
UIN_A=1001 UIN_B=1002
PORT_A=5001 PORT_B=5002

if [ -z "$OUT" ]; then OUT="$ROOT/lab-out/$SCENARIO-$(date +%Y%m%d-%H%M%S)"; fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.log "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.ndjson "$OUT"/scenario.env "$OUT"/*.nft

PIDS=()        # processes this run started, killed on exit
GROUPS_=()     # process groups this run started (dante forks), killed on exit
NAMESPACES=()  # namespaces this run created, deleted on exit (with their veths, rules, conntrack)
START=$(date +%s.%N)

elapsed() { awk -v s="$START" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n - s }'; }
gwlog() { echo "$(elapsed) gateway: $*" >>"$OUT/gateway.log"; say "$*"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pgid in "${GROUPS_[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    for pgid in "${GROUPS_[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    [ "$status" -eq 0 ] || echo "lab: failed (status $status); everything it created is removed. Logs: $OUT" >&2
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Started in the background, `ip netns exec` itself (it execs the command, so $! is the
# command's PID); in the foreground, in_ns.
in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------------------------------------
# Topology

build_topology() {
    for ns in "$NS_IN" "$NS_GW" "$NS_OUT"; do
        ip netns add "$ns"
        NAMESPACES+=("$ns")
        # No IPv6 chatter (router solicitations, MLD) in the recordings.
        in_ns "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip link add "$IF_GI" netns "$NS_GW" type veth peer name "$IF_CI" netns "$NS_IN"
    ip link add "$IF_GO" netns "$NS_GW" type veth peer name "$IF_SO" netns "$NS_OUT"
    ip -n "$NS_IN" addr add "$CLIENT_A/24" dev "$IF_CI"
    ip -n "$NS_IN" addr add "$CLIENT_C/24" dev "$IF_CI"
    ip -n "$NS_IN" link set "$IF_CI" up
    ip -n "$NS_IN" route add default via "$GW_IN"
    for address in "$SERVER" "$PEER_B" "$PROXY"; do ip -n "$NS_OUT" addr add "$address/24" dev "$IF_SO"; done
    ip -n "$NS_OUT" link set "$IF_SO" up
    ip -n "$NS_OUT" route add default via "$GW_OUT"
    ip -n "$NS_GW" addr add "$GW_IN/24" dev "$IF_GI"
    ip -n "$NS_GW" addr add "$GW_OUT/24" dev "$IF_GO"
    ip -n "$NS_GW" link set "$IF_GI" up
    ip -n "$NS_GW" link set "$IF_GO" up
    in_ns "$NS_GW" sysctl -q -w net.ipv4.ip_forward=1
}

# The gateway's firewall: stateful, policy drop on forward, everything from inside allowed out,
# only replies (conntrack established/related) allowed in. Scenario rules go in the chain
# `scenario`, which the forward chain consults first, so a scenario can add and flush its rules
# while the lab runs. With --nat the inside is masqueraded and client A's peer port forwarded.
setup_firewall() {
    local udp_timeout="$1"
    {
        echo "table inet lab {"
        echo "  chain scenario {"
        echo "  }"
        echo "  chain forward {"
        echo "    type filter hook forward priority filter; policy drop;"
        echo "    jump scenario"
        echo "    ct state established,related accept"
        echo "    iifname \"$IF_GI\" oifname \"$IF_GO\" accept"
        echo "  }"
        echo "}"
        if [ "$NAT" = 1 ]; then
            echo "table ip labnat {"
            echo "  chain prerouting {"
            echo "    type nat hook prerouting priority dstnat; policy accept;"
            echo "    iifname \"$IF_GO\" tcp dport $PORT_A dnat to $CLIENT_A"
            echo "  }"
            echo "  chain postrouting {"
            echo "    type nat hook postrouting priority srcnat; policy accept;"
            # fully-random: every new mapping gets a random port (timeout-sweep-nat).
            echo "    oifname \"$IF_GO\" masquerade$([ "$NAT_RANDOM" = 1 ] && echo ' fully-random')"
            echo "  }"
            echo "}"
        fi
    } >"$OUT/ruleset.nft"
    in_ns "$NS_GW" nft -f "$OUT/ruleset.nft"
    # Both UDP timeouts: a flow that has seen a reply moves from the first to the second.
    in_ns "$NS_GW" sysctl -q -w net.netfilter.nf_conntrack_udp_timeout="$udp_timeout" \
        net.netfilter.nf_conntrack_udp_timeout_stream="$udp_timeout"
    gwlog "firewall up: policy drop on forward, established/related accepted, inside->outside allowed, UDP conntrack timeout ${udp_timeout}s$([ "$NAT" = 1 ] && echo ', NAT masquerade')"
}

scenario_rule() {
    in_ns "$NS_GW" nft add rule inet lab scenario "$@"
    gwlog "rule added: $*"
}

scenario_flush() {
    in_ns "$NS_GW" nft flush chain inet lab scenario
    gwlog "scenario rules removed"
}

# ---------------------------------------------------------------------------------------------
# Capture on both gateway interfaces. The one place that knows the capture tool.

start_capture() {
    case "$CAPTURE" in
        tcpdump)
            # One file for both interfaces: -i any with Linux cooked v2 headers, which carry the
            # interface index (INSIDE_IFINDEX/OUTSIDE_IFINDEX in scenario.env); icqscope pairs
            # each packet with its forwarded copy on the other side from it.
            ip netns exec "$NS_GW" tcpdump -n -U -s 0 -i any -y LINUX_SLL2 -w "$OUT/gateway.pcap" \
                2>"$OUT/tcpdump.log" &
            PIDS+=($!)
            wait_for_line "$OUT/tcpdump.log" "listening on" 5
            ;;
        icqscope)
            # Findings stream to live.ndjson as they are established; the recording keeps both
            # interfaces, named, in one pcapng. Thresholds scaled like the scenario's intervals.
            [ -x "$BIN/icqscope" ] || { echo "lab: $BIN/icqscope not found (swift build --product icqscope)" >&2; exit 3; }
            local sensor_args=()
            if [ "$SENSOR" = 1 ]; then
                start_sensor_receivers
                sensor_args=(--metrics-listen 127.0.0.1:9464 --metrics-file "$OUT/metrics.prom"
                             --events "$OUT/events.ndjson" --syslog --syslog-socket "$OUT/syslog.sock")
            fi
            # shellcheck disable=SC2086
            # At the end it writes the HTML page and the findings' frames, commented, as evidence.
            ip netns exec "$NS_GW" "$BIN/icqscope" live -i "$IF_GI" -i "$IF_GO" --immediate \
                --write "$OUT/gateway.pcapng" --format ndjson $ICQSCOPE_THRESHOLDS "${sensor_args[@]}" \
                --html "$OUT/report.html" --write-evidence "$OUT/evidence.pcapng" \
                >"$OUT/live.ndjson" 2>"$OUT/icqscope.log" &
            PIDS+=($!)
            wait_for_line "$OUT/icqscope.log" "capturing on" 10
            [ "$SENSOR" = 0 ] || wait_for_first_scrape
            # Each finding with the wall-clock time it arrived (live-findings.log), to measure
            # how soon after the firewall's drop icqscope live reported it; shown as it comes
            # unless --quiet.
            local show=/dev/null
            [ "$QUIET" = 1 ] || show=/dev/stderr
            setsid bash -c "tail -n +1 -F '$OUT/live.ndjson' 2>/dev/null | grep --line-buffered '\"type\":\"finding\"' \
                | while IFS= read -r line; do printf '%s %s\n' \"\$(date +%s.%N)\" \"\$line\"; done \
                | tee -a '$OUT/live-findings.log' | sed -u 's/^[0-9.]* /icqscope live: /' >$show" &
            GROUPS_+=($!)
            if [ "$SENSOR" = 1 ]; then
                # The same for the events file: when each finding reached it.
                setsid bash -c "tail -n +1 -F '$OUT/events.ndjson' 2>/dev/null | grep --line-buffered '\"type\":\"finding\"' \
                    | while IFS= read -r line; do printf '%s %s\n' \"\$(date +%s.%N)\" \"\$line\"; done \
                    >>'$OUT/events-findings.log'" &
                GROUPS_+=($!)
            fi
            ;;
        *) echo "lab: unknown capture tool $CAPTURE" >&2; exit 2 ;;
    esac
    CAPTURE_PIDS=("${PIDS[@]: -1}")
    start_heartbeat
}

# --sensor: a real rsyslog on a socket of the output folder, and a real Prometheus on the gateway
# namespace's loopback scraping icqscope's /metrics every second, with the shipped alert rules.
start_sensor_receivers() {
    mkdir -p "$OUT/rsyslog-work" "$OUT/prometheus-data"
    cat >"$OUT/rsyslog.conf" <<EOF
global(workDirectory="$OUT/rsyslog-work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$OUT/syslog.sock" UseSpecialParser="off" ParseHostname="on")
*.* action(type="omfile" file="$OUT/syslog.log" template="RSYSLOG_SyslogProtocol23Format")
EOF
    /usr/sbin/rsyslogd -n -f "$OUT/rsyslog.conf" -i "$OUT/rsyslog.pid" >"$OUT/rsyslog.stderr" 2>&1 &
    PIDS+=($!)
    local i=0
    until [ -S "$OUT/syslog.sock" ]; do
        i=$((i + 1)); [ "$i" -le 100 ] || { echo "lab: rsyslog did not start; see $OUT/rsyslog.stderr" >&2; exit 4; }
        sleep 0.05
    done
    cat >"$OUT/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/packaging/prometheus/icqscope.rules.yml
scrape_configs:
  - job_name: icqscope
    static_configs:
      - targets: ['127.0.0.1:9464']
EOF
    ip netns exec "$NS_GW" prometheus --config.file="$OUT/prometheus.yml" --storage.tsdb.path="$OUT/prometheus-data" \
        --web.listen-address=127.0.0.1:9090 --log.level=warn >"$OUT/prometheus.log" 2>&1 &
    PROMETHEUS_PID=$!
    PIDS+=($!)
    i=0
    until in_ns "$NS_GW" curl -sf http://127.0.0.1:9090/-/ready >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -le 300 ] || { echo "lab: prometheus did not start; see $OUT/prometheus.log" >&2; exit 4; }
        sleep 0.1
    done
    gwlog "sensor: rsyslog on $OUT/syslog.sock, Prometheus on the gateway's 127.0.0.1:9090 scraping 127.0.0.1:9464 every 1 s"
}

# --sensor: Prometheus begins scraping a few seconds after it starts (it settles its targets
# first); the scenario waits for its first scrape of icqscope, so that how soon a finding reaches
# Prometheus measures icqscope and the scrape interval, not Prometheus's start.
wait_for_first_scrape() {
    local i=0
    until in_ns "$NS_GW" curl -sf http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=up{job="icqscope"}' 2>/dev/null \
            | grep -q '"value":\[[0-9.]*,"1"\]'; do
        i=$((i + 1)); [ "$i" -le 300 ] || { echo "lab: Prometheus never scraped icqscope; see $OUT/prometheus.log" >&2; exit 4; }
        sleep 0.1
    done
}

# --sensor, after the scenario: two scrape intervals more, then Prometheus's HTTP API is asked
# what it has (the findings counter, its raw samples with their scrape times, the alerts).
query_prometheus() {
    sleep 2.5
    local api=http://127.0.0.1:9090/api/v1/query
    in_ns "$NS_GW" curl -sf "$api" --data-urlencode 'query=icqscope_findings_total' >"$OUT/prometheus-findings.json"
    in_ns "$NS_GW" curl -sf "$api" --data-urlencode 'query=icqscope_findings_total[10m]' >"$OUT/prometheus-findings-samples.json"
    in_ns "$NS_GW" curl -sf "$api" --data-urlencode 'query=ALERTS' >"$OUT/prometheus-alerts.json"
    in_ns "$NS_GW" curl -sf "$api" --data-urlencode 'query=up{job="icqscope"}' >"$OUT/prometheus-up.json"
    kill -TERM "$PROMETHEUS_PID" 2>/dev/null || true
    wait "$PROMETHEUS_PID" 2>/dev/null || true
}

# --sensor, at the end: for each kind of finding, when it was established (its line in icqscope
# live's stdout), when it reached the events file, and the first Prometheus scrape that counted it.
report_sensor_latency() {
    python3 - "$OUT" >"$OUT/sensor-latency.txt" <<'EOF' || true
import json, sys, os
out = sys.argv[1]
def arrivals(name):
    first = {}
    path = os.path.join(out, name)
    if not os.path.exists(path): return first
    for line in open(path):
        t, _, record = line.partition(" ")
        try: kind = json.loads(record)["kind"]
        except Exception: continue
        first.setdefault(kind, float(t))
    return first
live, events = arrivals("live-findings.log"), arrivals("events-findings.log")
scraped = {}
try:
    for series in json.load(open(os.path.join(out, "prometheus-findings-samples.json")))["data"]["result"]:
        kind = series["metric"]["kind"]
        for t, v in series["values"]:
            if float(v) > 0:
                scraped[kind] = min(scraped.get(kind, float(t)), float(t))
                break
except Exception:
    pass
for kind, t in sorted(live.items(), key=lambda kv: kv[1]):
    e = events.get(kind); p = scraped.get(kind)
    print(f"{kind}: established {t:.3f}; events file +{(e - t) if e else float('nan'):.3f} s; "
          f"Prometheus (first scrape counting it) +{(p - t) if p else float('nan'):.3f} s")
EOF
}

stop_capture() {
    [ "$SENSOR" = 0 ] || query_prometheus
    sleep 0.3  # the last packets reach the capture
    # TERM, not INT: background jobs of a script start with SIGINT ignored.
    for pid in "${CAPTURE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CAPTURE_PIDS[@]}"; do
        # A capture that cannot be stopped (SIGTERM blocked by whoever started the lab) is
        # killed: tcpdump -U has written every packet already.
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# A host inside (client C's address, otherwise idle) pings the gateway every 0.5 s for the whole
# run, as other traffic would on a real gateway: icqscope's timers run on packet timestamps, so
# the recording's clock must keep running after the last ICQ packet for deadlines (an ack that
# never came, a SYN never answered) to pass in an offline read too. --no-heartbeat turns it off.
start_heartbeat() {
    [ "$HEARTBEAT" = 1 ] || return 0
    ip netns exec "$NS_IN" ping -q -n -I "$CLIENT_C" -i 0.5 "$GW_IN" >/dev/null 2>&1 &
    PIDS+=($!)
}

wait_for_line() {
    local file="$1" text="$2" seconds="$3" i=0
    while ! grep -q "$text" "$file" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le $((seconds * 20)) ] || { echo "lab: '$text' not seen in $file" >&2; exit 4; }
        sleep 0.05
    done
}

# ---------------------------------------------------------------------------------------------
# Peers

start_server() {
    local run_for="$1"; shift
    ip netns exec "$NS_OUT" "$BIN/icqlab-server" --bind "$SERVER" --port "$SERVER_PORT" --run-for "$run_for" "$@" \
        2>"$OUT/server.log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_for_line "$OUT/server.log" "listening on" 5
}

# start_client NAMESPACE NAME ADDRESS ARGS...
start_client() {
    local ns="$1" name="$2" address="$3"; shift 3
    ip netns exec "$ns" "$BIN/icqlab-client" --server "${CLIENT_SERVER:-$SERVER:$SERVER_PORT}" --bind "$address" "$@" 2>"$OUT/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    CLIENT_PIDS+=("$pid")
}

# The lab's OSCAR server in the outside namespace: login on SERVER:5190, BOS on SERVER:5191.
# A and B have each other on their server-stored buddy lists.
start_oscar_server() {
    local run_for="$1"
    ip netns exec "$NS_OUT" "$BIN/icqlab-oscar" --login "$SERVER:$OSCAR_LOGIN_PORT" --bos "$SERVER:$OSCAR_BOS_PORT" \
        --account "$UIN_A:secret-a" --account "$UIN_B:secret-b" --buddy "$UIN_A:$UIN_B" --buddy "$UIN_B:$UIN_A" \
        --run-for "$run_for" 2>"$OUT/server.log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_for_line "$OUT/server.log" "listening on" 5
}

# start_bitlbee NAME UIN PASSWORD IRC_PORT RUN_FOR [UIN:MESSAGE]: a real bitlbee in the inside
# namespace (IRC on its loopback only), driven by scripts/lab-irc.py: it adds the OSCAR account
# with the lab's login server and turns it on; the transcript, bitlbee's own messages about
# signing on included, goes to client-NAME.log.
start_bitlbee() {
    local name="$1" uin="$2" password="$3" port="$4" run_for="$5" message="${6:-}"
    mkdir -p "$OUT/$name"
    printf '[settings]\nRunMode = Daemon\nAuthMode = Open\n' >"$OUT/$name/bitlbee.conf"
    ip netns exec "$NS_IN" setsid "$BITLBEE" -D -n -c "$OUT/$name/bitlbee.conf" -d "$OUT/$name" -i 127.0.0.1 -p "$port" \
        -P "$OUT/$name/bitlbee.pid" 2>"$OUT/$name.log" &
    PIDS+=($!)
    GROUPS_+=($!)
    ip netns exec "$NS_IN" python3 "$ROOT/scripts/lab-irc.py" --connect "127.0.0.1:$port" --uin "$uin" \
        --password "$password" --server "$SERVER" ${message:+--message-to "$message"} --run-for "$run_for" \
        2>"$OUT/client-$name.log" &
    PIDS+=($!)
    CLIENT_PIDS+=($!)
}

start_proxy() {
    cat >"$OUT/danted.conf" <<EOF
logoutput: $OUT/danted.log
internal: $PROXY port = $PROXY_PORT
external: $PROXY
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 10.77.0.0/16 to: 0.0.0.0/0 }
socks pass { from: 10.77.0.0/16 to: 0.0.0.0/0 command: udpassociate }
socks pass { from: 10.77.0.0/16 to: 0.0.0.0/0 command: connect }
socks pass { from: 0.0.0.0/0 to: 10.77.0.0/16 command: udpreply }
EOF
    # Its own process group: dante forks helpers, all of which go when the lab ends.
    ip netns exec "$NS_OUT" setsid "$DANTED" -f "$OUT/danted.conf" -p "$OUT/danted.pid" -N 1 2>"$OUT/danted.stderr" &
    local pid=$!
    PIDS+=("$pid")
    GROUPS_+=("$pid")
    local i=0
    until in_ns "$NS_OUT" bash -c "exec 3<>/dev/tcp/$PROXY/$PROXY_PORT" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 100 ] || { echo "lab: dante did not start; see $OUT/danted.stderr" >&2; exit 4; }
        sleep 0.05
    done
    gwlog "SOCKS5 proxy (dante) on $PROXY:$PROXY_PORT"
}

wait_clients() {
    for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" || true; done
}

# Shared timings a scenario may override (seconds). Every judged interval keeps a 2x margin to
# what it is judged against: keep-alive vs conntrack timeout, push gap vs timeout, SYN vs abandon.
UDP_TIMEOUT=30   # conntrack UDP timeouts on the gateway
KEEPALIVE=5      # client keep-alive interval
CLIENT_RTX=1     # client retransmission interval (real clients: 10)
SERVER_RTX=1     # server push retransmission interval (iserverd: 10)
SERVER_RETRIES=3 # server push retransmissions (iserverd: 5)
CLIENT_PIDS=()

# icqscope's thresholds scaled like the scenario: the gateway's UDP timeout, the retransmission
# interval, an ack wait of twice the longer retransmission interval, SYN windows for a peer that
# retransmits its SYN every second and gives up after 6 s. Used by icqscope live here, and by
# the tests for icqscope read on the recording.
thresholds() {
    local longer="$CLIENT_RTX"
    [ "$SERVER_RTX" -le "$longer" ] || longer="$SERVER_RTX"
    echo "--firewall-timeout $UDP_TIMEOUT --retransmit-interval $CLIENT_RTX --ack-wait $((2 * longer))" \
        "--syn-provisional 1.5 --syn-final 5"
}

write_env() {
    ICQSCOPE_THRESHOLDS=$(thresholds)
    cat >"$OUT/scenario.env" <<EOF
SCENARIO=$SCENARIO
NAT=$NAT
CAPTURE=$CAPTURE
INSIDE_INTERFACE=$IF_GI
OUTSIDE_INTERFACE=$IF_GO
INSIDE_IFINDEX=$(in_ns "$NS_GW" cat "/sys/class/net/$IF_GI/ifindex")
OUTSIDE_IFINDEX=$(in_ns "$NS_GW" cat "/sys/class/net/$IF_GO/ifindex")
GATEWAY_INSIDE=$GW_IN
GATEWAY_OUTSIDE=$GW_OUT
CLIENT_A=$CLIENT_A
PEER_B=$PEER_B
SERVER=$SERVER
SERVER_PORT=$SERVER_PORT
PROXY=$PROXY
PROXY_PORT=$PROXY_PORT
OSCAR_LOGIN_PORT=$OSCAR_LOGIN_PORT
OSCAR_BOS_PORT=$OSCAR_BOS_PORT
UIN_A=$UIN_A
UIN_B=$UIN_B
PORT_A=$PORT_A
PORT_B=$PORT_B
UDP_TIMEOUT=$UDP_TIMEOUT
KEEPALIVE=$KEEPALIVE
CLIENT_RTX=$CLIENT_RTX
SERVER_RTX=$SERVER_RTX
SERVER_RETRIES=$SERVER_RETRIES
ICQSCOPE_THRESHOLDS=$ICQSCOPE_THRESHOLDS
EOF
    # The oscar-* scenarios' third-party client, as its binary names itself.
    if [ -n "$BITLBEE" ] && [ "${SCENARIO#oscar-}" != "$SCENARIO" ]; then
        echo "OSCAR_CLIENT=$(grep -aoE -m1 'BitlBee [0-9]+\.[0-9.]+' "$BITLBEE" | head -1) (built with OSCAR)" >>"$OUT/scenario.env"
    fi
}

common_client_args() {
    echo --keepalive "$KEEPALIVE" --retransmit-interval "$CLIENT_RTX"
}

# ---------------------------------------------------------------------------------------------
# Scenarios. Times are seconds after client A starts.

run_healthy() {
    # Login, messages both ways, keep-alives, a direct connection from A out to B, log-off.
    KEEPALIVE=2
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server 9 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --connect-peers \
        --dc-version 6 --message "2:$UIN_B:hello from inside" --logoff-after 6 --run-for 8 $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "2.5:$UIN_A:hello from outside" --logoff-after 5.5 --run-for 7.5 $(common_client_args)
    wait_clients
}

run_timed_out_session() {
    # The gateway forgets A's UDP flow 2 s after A's last packet (0.5 s); A keeps it alive only
    # every 10 s. B's message reaches the server at 4.5 s: the push and its two retransmissions
    # (6.5, 8.5 s) arrive outside and are dropped; the push expires before A's keep-alive at 10 s
    # opens a new flow.
    UDP_TIMEOUT=2 KEEPALIVE=10 SERVER_RTX=2 SERVER_RETRIES=2
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server 13 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --run-for 12 \
        $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "4:$UIN_A:are you there?" --run-for 11.5 $(common_client_args)
    wait_clients
}

run_timed_out_session_reject() {
    # As timed-out-session, but the gateway answers what it no longer knows with an ICMP port
    # unreachable instead of dropping it silently (`reject`): each copy of the push to A gets one,
    # sent to the server from the gateway's outside address and quoting the push, its ICQ header
    # whole (Linux quotes up to 576 bytes). The quote's UIN, session and sequence number name
    # the exact push it answers.
    UDP_TIMEOUT=2 KEEPALIVE=10 SERVER_RTX=2 SERVER_RETRIES=2
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule iifname "$IF_GO" udp sport $SERVER_PORT ct state new reject with icmp type port-unreachable
    start_capture
    start_server 13 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --run-for 12 \
        $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "4:$UIN_A:are you there?" --run-for 11.5 $(common_client_args)
    wait_clients
}

run_keepalive_own_timer() {
    # Real clients keep their own keep-alive timer whatever the login reply says (issue 13: a
    # reply dictating 140 s to a client that sends every 120 s). Here the reply dictates 7 s and
    # A sends a keep-alive every 2 s: what icqscope claims must be the 2 s it observed, and say so.
    KEEPALIVE=2
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server 10 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint 7
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --run-for 9 $(common_client_args)
    wait_clients
}

run_timeout_sweep() {
    # What is this firewall's UDP timeout T (--udp-timeout)? A logs in and goes quiet; B's
    # arrival is pushed to A, then B's first message 0.75 T later (A's flow is still known: the
    # push gets through and A acks it), then B's second message 1.4 T after that (conntrack has
    # forgotten the flow: the push and its retransmissions stop at the gateway). icqscope must
    # bracket T from the recording alone: more than ~0.75 T, at most ~1.4 T.
    UDP_TIMEOUT="$SWEEP_TIMEOUT" KEEPALIVE=60 SERVER_RTX=1 SERVER_RETRIES=2
    local first second run_for
    first=$(awk -v t="$UDP_TIMEOUT" 'BEGIN { printf "%.2f", 0.75 * t }')
    second=$(awk -v t="$UDP_TIMEOUT" -v f="$first" 'BEGIN { printf "%.2f", f + 1.4 * t }')
    run_for=$(awk -v s="$second" 'BEGIN { printf "%.1f", s + 4 }')
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server "$(awk -v r="$run_for" 'BEGIN { printf "%.1f", r + 2 }')" \
        --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B \
        --run-for "$run_for" $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "$first:$UIN_A:first" --message "$second:$UIN_A:second" --run-for "$run_for" $(common_client_args)
    wait_clients
}

run_timeout_sweep_nat() {
    # The same question asked of a NAT's mappings alone, no server push involved: the gateway
    # masquerades with a random port for every new mapping. A logs in and goes quiet; 0.75 T
    # later it sends B a message (it leaves from the same public port: the mapping is still
    # known), 1.4 T after that another (conntrack has forgotten the mapping: it leaves from a new
    # port). icqscope must bracket T from the recording alone: more than ~0.75 T, at most ~1.4 T.
    NAT=1 NAT_RANDOM=1 UDP_TIMEOUT="$SWEEP_TIMEOUT" KEEPALIVE=60
    local first second run_for
    first=$(awk -v t="$UDP_TIMEOUT" 'BEGIN { printf "%.2f", 0.75 * t }')
    second=$(awk -v t="$UDP_TIMEOUT" -v f="$first" 'BEGIN { printf "%.2f", f + 1.4 * t }')
    run_for=$(awk -v s="$second" 'BEGIN { printf "%.1f", s + 2 }')
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server "$(awk -v r="$run_for" 'BEGIN { printf "%.1f", r + 1 }')" \
        --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B \
        --message "$first:$UIN_B:first" --message "$second:$UIN_B:second" --run-for "$run_for" $(common_client_args)
    wait_clients
}

run_nat_rebinding() {
    # A NAT that maps every new flow to a random public port (masquerade fully-random) forgets
    # A's mapping 2 s after A's last packet (0.5 s). B's message reaches the server at 4.5 s: the
    # push and its two retransmissions (6.5, 8.5 s) go to A's old public port and are dropped.
    # A's keep-alive at 10 s comes back from a new public port (same UIN and session id); the
    # server keeps pushing to the address A logged in from, so B's second message at 11 s is
    # dropped as well. Seen from outside only, the new port proves the NAT forgot the mapping.
    # Like most gateways, it drops what reaches its own outside address unasked, silently (no
    # port unreachable to name the lost push).
    NAT=1 NAT_RANDOM=1 UDP_TIMEOUT=2 KEEPALIVE=10 SERVER_RTX=2 SERVER_RETRIES=2
    setup_firewall "$UDP_TIMEOUT"; write_env
    in_ns "$NS_GW" nft add chain inet lab input '{ type filter hook input priority filter; policy accept; }'
    in_ns "$NS_GW" nft add rule inet lab input iifname "$IF_GO" udp sport $SERVER_PORT drop
    gwlog "rule added: input: iifname $IF_GO udp sport $SERVER_PORT drop"
    start_capture
    start_server 16 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --run-for 15 \
        $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "4:$UIN_A:are you there?" --message "10.5:$UIN_A:still there?" --run-for 14.5 $(common_client_args)
    wait_clients
}

run_dropped_replies() {
    # From 2 s to 2 + DROP_FOR s the gateway drops server-to-client UDP. A's keep-alive at 5 s
    # and its retransmission at 7 s lose their ACKs; the one at 9 s is answered (recovered).
    # LAB_DROP_FOR=20 keeps the drop past the client's 6 transmissions (abandoned: the client
    # gives up on the server at 17 s; give it --run-for room with LAB_RUN_FOR=20).
    KEEPALIVE=5 CLIENT_RTX=2
    local drop_for="${LAB_DROP_FOR:-6}" run_for="${LAB_RUN_FOR:-11}"
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server "$((run_for + 1))" --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" \
        --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --run-for "$run_for" $(common_client_args)
    sleep 2
    scenario_rule iifname "$IF_GO" udp sport $SERVER_PORT drop
    sleep "$drop_for"
    scenario_flush
    wait_clients
}

# A listens on PORT_A behind the gateway; B, outside, learns it from SRV_USER_ONLINE and calls.
run_peer_port() {
    local verdict="$1"
    KEEPALIVE=5
    setup_firewall "$UDP_TIMEOUT"; write_env
    case "$verdict" in
        drop) scenario_rule iifname "$IF_GO" tcp dport $PORT_A drop ;;
        reset) scenario_rule iifname "$IF_GO" tcp dport $PORT_A reject with tcp reset ;;
        icmp) scenario_rule iifname "$IF_GO" tcp dport $PORT_A reject with icmpx type admin-prohibited ;;
        accept) scenario_rule iifname "$IF_GO" tcp dport $PORT_A ct state new accept ;;
    esac
    start_capture
    start_server 10 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --run-for 9 \
        $(common_client_args)
    sleep 0.5
    # SYNs at 1, 2 and 4 s (Linux doubles from 1 s); B abandons the attempt at 7 s.
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A --connect-peers \
        --dc-version 8 --connect-timeout 6 --run-for 8.5 $(common_client_args)
    wait_clients
}

run_three_ports_two_open() {
    # The guide: ICQ needs at least 3 TCP ports above 1023 open (messages, chat, file transfer).
    # Three clients on A's host listen on PORT_A, PORT_A+10 and PORT_A+11; the firewall lets peers
    # in to the first two only (the third falls to the forward policy's drop). B, outside, calls
    # each as SRV_USER_ONLINE announces it: two handshakes complete, the third SYN and its
    # retransmissions never leave the gateway; B abandons it after 5 s. (A SYN sent again after
    # icqscope's 5 s final window is the same attempt's: it no longer opens a second one.)
    KEEPALIVE=5
    local port2=$((PORT_A + 10)) port3=$((PORT_A + 11))
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule iifname "$IF_GO" tcp dport "{ $PORT_A, $port2 }" ct state new accept
    start_capture
    start_server 11 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --run-for 10 \
        $(common_client_args)
    start_client "$NS_IN" client-a2 "$CLIENT_A" --uin 1003 --tcp-port $port2 --contact $UIN_B --run-for 10 \
        $(common_client_args)
    start_client "$NS_IN" client-a3 "$CLIENT_A" --uin 1004 --tcp-port $port3 --contact $UIN_B --run-for 10 \
        $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A --contact 1003 --contact 1004 \
        --connect-peers --dc-version 8 --connect-timeout 5 --run-for 9.5 $(common_client_args)
    wait_clients
}

run_external_application_blocked() {
    # The guide's external applications ("Voice/Video/games") through ICQ's External plugin
    # (docs/protocol.md#peer-plugins). B, outside, calls A's direct-connection port (let in) and
    # proposes an external application: a plugin message naming the External plugin. A accepts,
    # naming the port it listens on for the application (PORT_A+20); B calls it. The firewall
    # lets in nothing but the direct-connection port: the SYN and its retransmissions never leave
    # the gateway; B abandons the call after 5 s.
    KEEPALIVE=5
    local app=$((PORT_A + 20))
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule iifname "$IF_GO" tcp dport $PORT_A ct state new accept
    start_capture
    start_server 11 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B \
        --external-application-port $app --run-for 10 $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A --connect-peers \
        --dc-version 8 --propose-external-application --connect-timeout 5 --run-for 9.5 $(common_client_args)
    wait_clients
}

run_outgoing_tcp_blocked() {
    # The firewall lets no TCP out of the inside to peers: A (inside, logged in) learns B's port
    # from SRV_USER_ONLINE and calls it; the SYN and its retransmissions (1, 2, 4 s) arrive on the
    # inside and never leave; A abandons the attempt at 6 s.
    KEEPALIVE=5
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule iifname "$IF_GI" tcp dport $PORT_B drop
    start_capture
    start_server 10 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --contact $UIN_B --connect-peers \
        --dc-version 8 --connect-timeout 6 --run-for 9 $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A --run-for 8.5 \
        $(common_client_args)
    wait_clients
}

run_udp_mapping() {
    # The guide's UDP mapping proxy, made by the firewall itself: the gateway maps its inside
    # address's port 4000 to the server (DNAT), and A is set to talk to the gateway. Inside, A
    # and the mapping; outside, A and the real server (no masquerade: the source stays), the same
    # datagrams. B (outside) logs in directly and sends A a message, pushed back through the mapping.
    KEEPALIVE=2
    setup_firewall "$UDP_TIMEOUT"; write_env
    in_ns "$NS_GW" nft -f - <<NFT
table ip labmap {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$IF_GI" ip daddr $GW_IN udp dport $SERVER_PORT dnat to $SERVER:$SERVER_PORT
  }
}
NFT
    gwlog "UDP mapping: $GW_IN:$SERVER_PORT (inside) -> $SERVER:$SERVER_PORT (DNAT)"
    start_capture
    start_server 9 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    CLIENT_SERVER="$GW_IN:$SERVER_PORT" start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A \
        --contact $UIN_B --logoff-after 6 --run-for 8 $(common_client_args)
    sleep 0.5
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --contact $UIN_A \
        --message "2.5:$UIN_A:hello through the mapping" --logoff-after 5.5 --run-for 7.5 $(common_client_args)
    wait_clients
}

run_server_path_blocked() {
    # Outbound UDP to port 4000 is dropped: A's login goes out 6 times, 1 s apart, unanswered.
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule oifname "$IF_GO" udp dport $SERVER_PORT drop
    start_capture
    start_server 9 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --run-for 8 $(common_client_args)
    wait_clients
}

run_client_gives_up() {
    # As server-path-blocked, but A behaves as a real client does when the server never answers:
    # it sends its login 8 times, then a logout (CMD_SEND_TEXT_CODE), and exits. Nothing of it
    # leaves the gateway. The session ends with the logout; its unanswered login must still be
    # judged (server_path_blocked).
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule oifname "$IF_GO" udp dport $SERVER_PORT drop
    start_capture
    start_server 11 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --max-transmissions 8 --logout-on-give-up \
        --run-for 10 $(common_client_args)
    wait_clients
}

run_socks_association_lost() {
    # A reaches the server through dante's UDP relay. At 2 s the TCP control connection closes;
    # the association ends with it (RFC 1928 §6). A's next keep-alive (7 s) goes to the relay,
    # is answered only by ICMP port unreachable, is sent 6 times, and A gives up at 13 s. (As with
    # real clients, 6 transmissions fit within one keep-alive interval.)
    KEEPALIVE=7
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_server 15 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_proxy
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --socks5 "$PROXY:$PROXY_PORT" \
        --close-socks-control-after 2 --run-for 14 $(common_client_args)
    wait_clients
}

run_socks4_udp_blocked() {
    # A's TCP goes through a SOCKS4 proxy (dante), and SOCKS4 carries no UDP: A still sends its
    # login straight to the server, and the firewall drops outgoing UDP to port 4000 (the guide:
    # with a Socks4 server you still need to let packets out to the ICQ server). A calls B
    # through the proxy at start (the CONNECT is granted and the peer handshake completes: TCP
    # works through the proxy) while its login goes out 6 times, 1 s apart, unanswered.
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule oifname "$IF_GO" udp dport $SERVER_PORT drop
    start_capture
    start_server 10 --retransmit-interval "$SERVER_RTX" --retries "$SERVER_RETRIES" --keepalive-hint "$KEEPALIVE"
    start_proxy
    start_client "$NS_OUT" client-b "$PEER_B" --uin $UIN_B --tcp-port $PORT_B --run-for 9 $(common_client_args)
    sleep 0.5
    start_client "$NS_IN" client-a "$CLIENT_A" --uin $UIN_A --tcp-port $PORT_A --socks4 "$PROXY:$PROXY_PORT" \
        --call "$UIN_B:$PEER_B:$PORT_B" --dc-version 6 --run-for 8 $(common_client_args)
    wait_clients
}

run_oscar_bitlbee() {
    # Real bitlbee (its own OSCAR code) signs on twice from inside, as A and as B, through the
    # gateway: MD5 key login on the login server (5190), the redirect to BOS (5191) with a
    # cookie, the parameter exchanges, the buddy list. A signs on 1.5 s after B, so the server
    # announces each to the other (03,0B, with DC info); A then sends B a message (04,06, relayed
    # as 04,07).
    setup_firewall "$UDP_TIMEOUT"; write_env; start_capture
    start_oscar_server 12
    start_bitlbee bitlbee-b "$UIN_B" secret-b 16668 10
    sleep 1.5
    start_bitlbee bitlbee-a "$UIN_A" secret-a 16667 8.5 "$UIN_B:hello through the gateway"
    wait_clients
}

run_oscar_bos_blocked() {
    # The gateway lets the login server (5190) through but drops new connections to the BOS
    # port (5191): bitlbee logs in, is redirected to BOS with its cookie, and its SYNs to the BOS
    # address never leave the gateway (Linux resends at 1, 3 and 7 s).
    setup_firewall "$UDP_TIMEOUT"; write_env
    scenario_rule oifname "$IF_GO" tcp dport "$OSCAR_BOS_PORT" drop
    start_capture
    start_oscar_server 12
    start_bitlbee bitlbee-a "$UIN_A" secret-a 16667 10.5
    wait_clients
}

# ---------------------------------------------------------------------------------------------

build_topology
say "scenario $SCENARIO: namespaces $NS_IN, $NS_GW, $NS_OUT; output in $OUT"
case "$SCENARIO" in
    healthy) run_healthy ;;
    timed-out-session) run_timed_out_session ;;
    timed-out-session-reject) run_timed_out_session_reject ;;
    keepalive-own-timer) run_keepalive_own_timer ;;
    client-gives-up) run_client_gives_up ;;
    dropped-replies) run_dropped_replies ;;
    blocked-peer-port-drop) run_peer_port drop ;;
    blocked-peer-port-reset) run_peer_port reset ;;
    blocked-peer-port-icmp) run_peer_port icmp ;;
    peer-port-allowed) run_peer_port accept ;;
    outgoing-tcp-blocked) run_outgoing_tcp_blocked ;;
    three-ports-two-open) run_three_ports_two_open ;;
    external-application-blocked) run_external_application_blocked ;;
    socks4-udp-blocked) run_socks4_udp_blocked ;;
    server-path-blocked) run_server_path_blocked ;;
    socks-association-lost) run_socks_association_lost ;;
    timeout-sweep) run_timeout_sweep ;;
    timeout-sweep-nat) run_timeout_sweep_nat ;;
    nat-rebinding) run_nat_rebinding ;;
    oscar-bitlbee) run_oscar_bitlbee ;;
    oscar-bos-blocked) run_oscar_bos_blocked ;;
    udp-mapping) run_udp_mapping ;;
esac
wait "$SERVER_PID" || true
stop_capture
# The same recording as other vantage points would have made it: each side alone, and the
# outside with its clock shifted (for read --merge).
if [ "$CAPTURE" = icqscope ] && command -v tshark >/dev/null && command -v editcap >/dev/null; then
    "$ROOT/scripts/lab-split.sh" "$OUT" || true
fi
in_ns "$NS_GW" nft list ruleset >"$OUT/ruleset-final.nft" 2>/dev/null || true
[ "$SENSOR" = 0 ] || report_sensor_latency

if [ "$QUIET" = 0 ]; then
    for log in "$OUT"/gateway.log "$OUT"/server.log "$OUT"/client-*.log; do
        [ -f "$log" ] || continue
        echo "== $(basename "$log")"
        cat "$log"
    done
    if [ "$CAPTURE" = icqscope ]; then
        echo "== icqscope live's findings ($OUT/live.ndjson; recording $OUT/gateway.pcapng)"
        grep '"type":"finding"' "$OUT/live.ndjson" || echo "(none)"
        if [ "$SENSOR" = 1 ]; then
            echo "== the sensor: Prometheus's icqscope_findings_total (non-zero), alerts, syslog, latency"
            python3 -c 'import json,sys; [print(" ", r["metric"]["kind"], r["metric"]["severity"], r["value"][1]) for r in json.load(open(sys.argv[1]))["data"]["result"] if float(r["value"][1]) > 0]' "$OUT/prometheus-findings.json" || true
            python3 -c 'import json,sys; [print("  ALERT", r["metric"]["alertname"], r["metric"].get("alertstate")) for r in json.load(open(sys.argv[1]))["data"]["result"]]' "$OUT/prometheus-alerts.json" || true
            echo "  syslog messages: $(grep -c 'finding@32473' "$OUT/syslog.log" 2>/dev/null || echo 0)"
            cat "$OUT/sensor-latency.txt" 2>/dev/null || true
        fi
    else
        echo "== the gateway's two interfaces ($OUT/gateway.pcap)"
        in_ns "$NS_GW" tcpdump -n -tt -r "$OUT/gateway.pcap" 2>/dev/null | grep -v -e ' lo ' -e 'ICMP echo' || true
    fi
fi
say "done: $OUT"
