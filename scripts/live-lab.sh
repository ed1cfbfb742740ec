#!/bin/sh
# A namespaced gateway for trying `icqscope live` by hand and measuring its capture rate, the
# same topology as the tests (Tests/LiveTestSupport/NetworkLab.swift):
#
#   NAMEc (client 10.81.1.2) --veth-- NAMEg (gateway: NAMEi 10.81.1.1 | NAMEo 10.81.2.1) --veth-- NAMEs (server 10.81.2.2)
#
#   scripts/live-lab.sh up NAME      create it (needs root)
#   scripts/live-lab.sh down NAME    remove it
# Then e.g.:  ip netns exec NAMEg .build/release/icqscope live -i NAMEi -i NAMEo
set -eu
action=${1:?up or down}
name=${2:?a short name, at most 10 characters}
c=${name}c g=${name}g s=${name}s
case $action in
up)
    for ns in $c $g $s; do
        ip netns add $ns
        ip netns exec $ns sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n $ns link set lo up
    done
    ip link add ${name}i netns $g type veth peer name ${name}ci netns $c
    ip link add ${name}o netns $g type veth peer name ${name}so netns $s
    ip -n $c addr add 10.81.1.2/24 dev ${name}ci; ip -n $c link set ${name}ci up
    ip -n $c route add default via 10.81.1.1
    ip -n $s addr add 10.81.2.2/24 dev ${name}so; ip -n $s link set ${name}so up
    ip -n $s route add default via 10.81.2.1
    ip -n $g addr add 10.81.1.1/24 dev ${name}i; ip -n $g link set ${name}i up
    ip -n $g addr add 10.81.2.1/24 dev ${name}o; ip -n $g link set ${name}o up
    ip netns exec $g sysctl -q -w net.ipv4.ip_forward=1
    ;;
down)
    for ns in $c $g $s; do ip netns del $ns 2>/dev/null || true; done
    ;;
*) echo "usage: $0 up|down NAME" >&2; exit 64 ;;
esac
