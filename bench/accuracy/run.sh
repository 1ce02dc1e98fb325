#!/bin/sh
# Attribution-accuracy benchmark: how much of each process's real traffic
# proctraf (and nethogs, beside it) gives to the right pid in the right direction.
#
#   bench/accuracy/run.sh BINARY [--quick] [--check] [--cases 1,2,...] [--no-nethogs]
#                         [--proctraf-args 'ARGS']
#
# Needs root (prints SKIP and exits 0 otherwise). Creates three network
# namespaces, paccH-PID ("host": proctraf, nethogs and tcpdump run here),
# paccP-PID ("peer": the remote ends) and paccC-PID ("container", routed
# through the host), joined by veth pairs (10.O.0.0/16, fd00:O::/32, O from the PID);
# a bridge in the host namespace holds a second link to the peer. accuracy.py
# runs the cases (see README.md); one table row per case. Everything created
# here is removed on exit, also on error and on SIGINT/SIGTERM/SIGHUP (trap).
#
#   --quick        smaller volumes; the whole run takes well under 2 minutes
#   --check        for the test suite: implies --quick and --no-nethogs; exits
#                  non-zero when proctraf misses a case's target, and ends with
#                  the line "N passed, N failed"
#   --cases LIST   run only these cases (comma-separated numbers)
#   --no-nethogs   do not run nethogs beside proctraf
#   --proctraf-args 'ARGS'  options given to proctraf before the filter, split
#                  on blanks (e.g. '--owners=proc --no-realtime')
# ACCURACY_KEEP=DIR keeps the tcpdump captures and the tools' raw outputs.
# shellcheck disable=SC2317	# the functions the traps call are reached

usage() {
	echo "usage: $0 BINARY [--quick] [--check] [--cases 1,2,...] [--no-nethogs]" \
		"[--proctraf-args 'ARGS']" >&2
	exit 2
}

[ $# -ge 1 ] || usage
binary=$1
shift
quick=0
check=0
nethogs=1
cases=1,2,3,4,5,6,7,8,9
pt_args=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--check) check=1 quick=1 nethogs=0 ;;
	--no-nethogs) nethogs=0 ;;
	--cases)
		[ $# -ge 2 ] || usage
		cases=$2
		shift
		;;
	--cases=*) cases=${1#--cases=} ;;
	--proctraf-args)
		[ $# -ge 2 ] || usage
		pt_args=$2
		shift
		;;
	--proctraf-args=*) pt_args=${1#--proctraf-args=} ;;
	*) usage ;;
	esac
	shift
done
case $cases in
'' | *[!0-9,]*) usage ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the accuracy benchmark needs root"
	[ "$check" -eq 1 ] && echo "0 passed, 0 failed"
	exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../../tests/lib/netns.sh
. "$here/../../tests/lib/netns.sh"
case $binary in
/*) ;;
*) binary=$(pwd)/$binary ;;
esac
# The Debian interpreter, so that the generators' comm is "python3" whatever PATH holds.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

pid=$$
ns_h=paccH-$pid
ns_p=paccP-$pid
ns_c=paccC-$pid
if_hp=pacchp$pid	# host <-> peer veth, host end (6 + at most 7 characters)
if_ph=paccph$pid
if_hc=pacchc$pid	# host <-> container veth, host end
if_ch=paccch$pid
if_br=paccbr$pid	# bridge in the host namespace
if_hb=pacchb$pid	# its port (veth), the other end in the peer
if_bh=paccbh$pid
tmp=$(mktemp -d /tmp/pacc-accuracy.XXXXXX) || exit 1
driver=

stop_driver() {
	stop_pid "$driver"
}

cleanup() {
	trap - EXIT INT TERM HUP
	stop_driver
	# Whatever is left in our namespaces is ours: end it, by pid.
	remove_netns "$ns_h" "$ns_p" "$ns_c"
	if [ -n "$ACCURACY_KEEP" ]; then
		mkdir -p "$ACCURACY_KEEP" && cp "$tmp"/*.pcap "$tmp"/*.out "$tmp"/*.txt "$ACCURACY_KEEP"/ 2>/dev/null
	fi
	rm -rf "$tmp"
}
# Interrupted: the driver (told by stop_driver) prints the rows so far and, with
# --check, its summary; during the setup, this shell prints them.
interrupted() {
	trap '' INT TERM HUP
	if [ -n "$driver" ]; then
		stop_driver
	else
		echo "interrupted (SIG$1) during the setup"
		[ "$check" -eq 1 ] && echo "0 passed, 1 failed"
	fi
	exit 1
}
trap cleanup EXIT
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM
trap 'interrupted HUP' HUP

setup_failed() {
	echo "FAIL setup: $1"
	[ "$check" -eq 1 ] && echo "0 passed, 1 failed"
	exit 1
}

# One command of the setup; on failure, the reason.
run() {
	out=$("$@" 2>&1) || setup_failed "$* -> $out"
}

[ -x "$binary" ] || setup_failed "$binary: no such executable"
for tool in tcpdump ip; do
	command -v "$tool" >/dev/null 2>&1 && continue
	timeout 300 apt-get install -y tcpdump iproute2 >"$tmp/apt.log" 2>&1
	command -v "$tool" >/dev/null 2>&1 ||
		setup_failed "$tool is missing and apt-get install failed: $(tail -n 1 "$tmp/apt.log")"
done
if [ "$nethogs" -eq 1 ] && ! command -v nethogs >/dev/null 2>&1; then
	timeout 300 apt-get install -y nethogs >"$tmp/apt.log" 2>&1
	if ! command -v nethogs >/dev/null 2>&1; then
		echo "note: nethogs is missing and apt-get install failed; running without it"
		nethogs=0
	fi
fi

# 2,000 connections at both ends, and the servers' accepted sockets.
# shellcheck disable=SC3045	# dash and bash have ulimit -n and -H
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

# The C helper (sendmmsg flood, UDP echo, one-shot TCP client), if there is a compiler.
helper=
if command -v cc >/dev/null 2>&1 &&
	cc -O2 -o "$tmp/pacc-helper" "$here/helper.c" >"$tmp/cc.log" 2>&1; then
	helper=$tmp/pacc-helper
else
	echo "note: no C compiler (or helper.c did not build): no sendmmsg flood, python clients instead"
fi

# Networks of this run's own, 10.O.0.0/16 and fd00:O::/32 with O from the
# PID: proctraf reads the addresses of every namespace of the host, so a run
# at the same time must not have the same ones.
o=$((200 + $$ % 50))
run ip netns add "$ns_h"
run ip netns add "$ns_p"
run ip netns add "$ns_c"
for ns in "$ns_h" "$ns_p" "$ns_c"; do
	run ip -n "$ns" link set lo up
done
# host <-> peer: 10.$o.1.0/24, fd00:$o:1::/64 (the peer also has .3 and ::3)
run ip link add "$if_hp" address 02:32:01:00:00:01 netns "$ns_h" type veth \
	peer name "$if_ph" address 02:32:01:00:00:02 netns "$ns_p"
run ip -n "$ns_h" addr add 10.$o.1.1/24 dev "$if_hp"
run ip -n "$ns_h" addr add fd00:$o:1::1/64 dev "$if_hp" nodad
for a in 10.$o.1.2/24 10.$o.1.3/24; do
	run ip -n "$ns_p" addr add "$a" dev "$if_ph"
done
for a in fd00:$o:1::2/64 fd00:$o:1::3/64; do
	run ip -n "$ns_p" addr add "$a" dev "$if_ph" nodad
done
# host <-> container: 10.$o.2.0/24, fd00:$o:2::/64, routed by the host to the peer
run ip link add "$if_hc" address 02:32:02:00:00:01 netns "$ns_h" type veth \
	peer name "$if_ch" address 02:32:02:00:00:02 netns "$ns_c"
run ip -n "$ns_h" addr add 10.$o.2.1/24 dev "$if_hc"
run ip -n "$ns_h" addr add fd00:$o:2::1/64 dev "$if_hc" nodad
run ip -n "$ns_c" addr add 10.$o.2.2/24 dev "$if_ch"
run ip -n "$ns_c" addr add fd00:$o:2::2/64 dev "$if_ch" nodad
# bridge in the host (10.$o.3.0/24, fd00:$o:3::/64), its port a veth to the peer
# No multicast snooping: a snooping bridge joins the all-snoopers group
# 224.0.0.106 as it comes up, and the kernel repeats that IGMPv3 report
# from a timer up to a second later, in case 1's window: 40 bytes from
# 10.$o.3.1 that no socket sent (it was proctraf's only unknown:no-socket
# row there). Unicast forwarding, all these cases use, is the same.
run ip -n "$ns_h" link add "$if_br" address 02:32:03:00:00:01 type bridge mcast_snooping 0
run ip link add "$if_hb" address 02:32:03:00:00:03 netns "$ns_h" type veth \
	peer name "$if_bh" address 02:32:03:00:00:02 netns "$ns_p"
run ip -n "$ns_h" link set "$if_hb" master "$if_br"
run ip -n "$ns_h" addr add 10.$o.3.1/24 dev "$if_br"
run ip -n "$ns_h" addr add fd00:$o:3::1/64 dev "$if_br" nodad
run ip -n "$ns_p" addr add 10.$o.3.2/24 dev "$if_bh"
run ip -n "$ns_p" addr add fd00:$o:3::2/64 dev "$if_bh" nodad
for dev in "$if_hp" "$if_hc" "$if_hb" "$if_br"; do
	run ip -n "$ns_h" link set "$dev" up
done
run ip -n "$ns_p" link set "$if_ph" up
run ip -n "$ns_p" link set "$if_bh" up
run ip -n "$ns_c" link set "$if_ch" up
run ip -n "$ns_c" route add default via 10.$o.2.1
run ip -n "$ns_c" -6 route add default via fd00:$o:2::1
run ip -n "$ns_p" route add 10.$o.2.0/24 via 10.$o.1.1
run ip -n "$ns_p" -6 route add fd00:$o:2::/64 via fd00:$o:1::1
run ip netns exec "$ns_h" sysctl -qw net.ipv4.ip_forward=1
run ip netns exec "$ns_h" sysctl -qw net.ipv6.conf.all.forwarding=1
run ip netns exec "$ns_h" sysctl -qw "net.ipv4.ping_group_range=0 2147483647"
# Permanent neighbours: no ARP/NDP exchange in the middle of a case (NDP is IP
# traffic from our addresses, which would land in the tools' unknown rows).
neigh() {	# NS DEV ADDR MAC
	run ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent
}
neigh "$ns_h" "$if_hp" 10.$o.1.2 02:32:01:00:00:02
neigh "$ns_h" "$if_hp" 10.$o.1.3 02:32:01:00:00:02
neigh "$ns_h" "$if_hp" fd00:$o:1::2 02:32:01:00:00:02
neigh "$ns_h" "$if_hp" fd00:$o:1::3 02:32:01:00:00:02
neigh "$ns_p" "$if_ph" 10.$o.1.1 02:32:01:00:00:01
neigh "$ns_p" "$if_ph" fd00:$o:1::1 02:32:01:00:00:01
neigh "$ns_h" "$if_hc" 10.$o.2.2 02:32:02:00:00:02
neigh "$ns_h" "$if_hc" fd00:$o:2::2 02:32:02:00:00:02
neigh "$ns_c" "$if_ch" 10.$o.2.1 02:32:02:00:00:01
neigh "$ns_c" "$if_ch" fd00:$o:2::1 02:32:02:00:00:01
neigh "$ns_h" "$if_br" 10.$o.3.2 02:32:03:00:00:02
neigh "$ns_h" "$if_br" fd00:$o:3::2 02:32:03:00:00:02
neigh "$ns_p" "$if_bh" 10.$o.3.1 02:32:03:00:00:01
neigh "$ns_p" "$if_bh" fd00:$o:3::1 02:32:03:00:00:01

# Up to 5 tries per path (the links take a moment to come up).
reach() {	# NS ping-args...
	ns=$1
	shift
	i=0
	while [ "$i" -lt 5 ]; do
		ip netns exec "$ns" ping "$@" -c 1 -W 1 -q >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	setup_failed "no answer to ping $* from $ns"
}
reach "$ns_h" -4 10.$o.1.2
reach "$ns_h" -6 fd00:$o:1::2
reach "$ns_h" -4 10.$o.3.2
reach "$ns_h" -6 fd00:$o:3::2
reach "$ns_c" -4 10.$o.1.2
reach "$ns_c" -6 fd00:$o:1::2

# The cases, in the background so that a signal to this shell is acted on at once.
PACC_NS_H=$ns_h PACC_NS_P=$ns_p PACC_NS_C=$ns_c \
PACC_IF_HP=$if_hp PACC_IF_HC=$if_hc PACC_IF_BR=$if_br PACC_IF_HB=$if_hb \
PACC_TMP=$tmp PACC_PY=$py PACC_HELPER=$helper PACC_NETHOGS=$nethogs \
PACC_QUICK=$quick PACC_CHECK=$check PACC_CASES=$cases PACC_NET=$o PACC_PT_ARGS=$pt_args \
	"$py" -B "$here/accuracy.py" "$binary" &
driver=$!
wait "$driver"
rc=$?
driver=
exit "$rc"
