#!/bin/sh
# Live tests: proctraf capturing real traffic between two network namespaces.
#
#   tests/live/run.sh BINARY
#
# Needs root (prints SKIP and counts nothing otherwise). Creates namespaces
# ptA-PID and ptB-PID joined by a veth pair (10.231.N.1/24, fd00:231:N::1/64
# in A; .2 and ::2 in B; N from the PID), checks that IPv4 and IPv6 work, then live.py runs the
# cases: traffic generators (gen.py) that know what they moved, proctraf and a
# tcpdump beside it, and the tcpdump truth (pcaptruth.py). Traffic goes only
# to those addresses and to loopback inside A. The namespaces, and every
# process left in them, are removed on exit, whatever happens (trap).
# Prints "ok NAME" / "FAIL NAME: why" ("skip NAME: why" is counted neither
# way), then one line "N passed, N failed"; exits 1 on any failure. Whole
# run: about 45 s, bounded at 90 s.
# LIVE_KEEP=DIR keeps the tcpdump captures (DIR/main.pcap, ...) and the
# reports of case_intervals, case_formats and case_sigint_intervals.
# shellcheck disable=SC2317	# the functions the traps call are reached

if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: live tests need root"
	echo "0 passed, 0 failed"
	exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/netns.sh
. "$here/../lib/netns.sh"
binary=$1
case $binary in
/*) ;;
*) binary=$(pwd)/$binary ;;
esac
# The Debian interpreter, so the clients' comm is "python3" whatever PATH holds.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

ns_a=ptA-$$
ns_b=ptB-$$
# A subnet of this run's own: proctraf reads the addresses of every
# namespace of the host, so another run at the same time (or one killed
# and not cleaned up) must not have the same ones.
net=$(($$ % 250 + 1))
a4=10.231.$net.1
b4=10.231.$net.2
a6=fd00:231:$net::1
b6=fd00:231:$net::2
veth_a=ptva$$		# at most 4 + 7 characters: under IFNAMSIZ
veth_b=ptvb$$
tmp=$(mktemp -d /tmp/proctraf-live.XXXXXX) || exit 1
driver=
passed=0
failed=0

# End live.py (it ends what it started, and counts the case it was in as failed).
stop_driver() {
	stop_pid "$driver"
}

cleanup() {
	trap - EXIT INT TERM HUP
	stop_driver
	# Whatever the cases left in the namespaces is ours: end it, by pid.
	remove_netns "$ns_a" "$ns_b"
	if [ -n "$LIVE_KEEP" ]; then		# keep the captures, to look at
		mkdir -p "$LIVE_KEEP" && cp "$tmp"/*.pcap "$LIVE_KEEP"/ 2>/dev/null
	fi
	rm -rf "$tmp"
}
# Interrupted: the cases counted so far, this one failed, the summary, then cleanup.
interrupted() {
	trap '' INT TERM HUP
	if [ -n "$driver" ]; then
		stop_driver
		tally
	else
		fail interrupted "SIG$1 during the setup"
	fi
	summary
}
trap cleanup EXIT
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM
trap 'interrupted HUP' HUP

ok() {
	echo "ok $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# Add live.py's counts ("PASSED FAILED" in $tmp/counts); rc: its exit status.
tally() {
	if [ -s "$tmp/counts" ]; then
		read -r p f <"$tmp/counts"
		passed=$((passed + p))
		failed=$((failed + f))
		[ "${rc:-1}" -ne 0 ] && [ "$f" -eq 0 ] && fail live.py "exited ${rc:-?}"
	else
		fail live.py "exited ${rc:-?} without counting its cases"
	fi
}

summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

# One command of the setup; on failure, the reason and the summary.
run() {
	if ! out=$("$@" 2>&1); then
		fail setup "$* -> $out"
		summary
	fi
}

if [ ! -x "$binary" ]; then
	fail setup "$binary: no such executable"
	summary
fi
# tcpdump is the truth; setcap (libcap2-bin) gives case_no_permission its binary.
for need in tcpdump:tcpdump setcap:libcap2-bin; do
	if ! command -v "${need%%:*}" >/dev/null 2>&1; then
		timeout 300 apt-get install -y "${need#*:}" >"$tmp/apt.log" 2>&1
		if ! command -v "${need%%:*}" >/dev/null 2>&1; then
			fail setup "${need%%:*} is missing and apt-get install failed: $(tail -n 1 "$tmp/apt.log")"
			summary
		fi
	fi
done

run ip netns add "$ns_a"
run ip netns add "$ns_b"
run ip link add "$veth_a" netns "$ns_a" type veth peer name "$veth_b" netns "$ns_b"
run ip -n "$ns_a" addr add "$a4/24" dev "$veth_a"
run ip -n "$ns_a" addr add "$a6/64" dev "$veth_a" nodad
run ip -n "$ns_b" addr add "$b4/24" dev "$veth_b"
run ip -n "$ns_b" addr add "$b6/64" dev "$veth_b" nodad
for ns in "$ns_a" "$ns_b"; do
	run ip -n "$ns" link set lo up
done
run ip -n "$ns_a" link set "$veth_a" up
run ip -n "$ns_b" link set "$veth_b" up

# The link can take a moment to come up: up to 5 pings (1 s each), per family.
reach() {
	i=0
	while [ "$i" -lt 5 ]; do
		ip netns exec "$ns_a" ping "$@" -c 1 -W 1 -q >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
if reach -4 "$b4"; then ok "setup IPv4 reaches B"; else fail setup "ping $b4 from $ns_a"; summary; fi
if reach -6 "$b6"; then ok "setup IPv6 reaches B"; else fail setup "ping -6 $b6 from $ns_a"; summary; fi

# The cases. In the background, so that a signal to this shell is acted on
# at once; live.py bounds its own run (90 s) and writes "PASSED FAILED".
LIVE_NS_A=$ns_a LIVE_NS_B=$ns_b LIVE_VETH_A=$veth_a LIVE_VETH_B=$veth_b \
LIVE_A4=$a4 LIVE_B4=$b4 LIVE_A6=$a6 LIVE_B6=$b6 \
LIVE_TMP=$tmp LIVE_PY=$py LIVE_COUNTS=$tmp/counts \
	"$py" -B "$here/live.py" "$binary" &
driver=$!
wait "$driver"
rc=$?
tally
driver=
summary
