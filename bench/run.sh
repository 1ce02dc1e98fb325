#!/bin/sh
# The benchmarks of the performance issue; see bench/README.md.
#
#   bench/run.sh [--quick] [--no-callgrind] [--live-secs=N] [1 2 3 4 5]
#
#   1 packet path   2 resolver   3 live capture   4 memory   5 start-up/exit
#   (default: all). --quick: 3 runs instead of 5, shorter live runs, a smaller
#   callgrind input. Prints each figure beside its reference, the ratio and
#   PASS/MISS against the goal, then a summary table. --live-secs=N: N
#   seconds of traffic in each live run (default 3, 2 with --quick): the
#   whole-run figures spread the fixed start-up over more packets.
#
# Needs root (network namespaces, capture). Environment:
#   PROCTRAF=./proctraf  LIBPROCTRAF=build/libproctraf.a   what is measured;
#       both are copied at the start, so a rebuild during the run changes nothing
#   RESOLVE_BENCH=FILE   a resolve_bench already built (make bench); else built here
#   BENCH_CACHE=/var/tmp/proctraf-bench   generated captures and /proc fixtures
#       (about 700 MB; reused while gen_pcap.py and its arguments are the same)
#   BENCH_RESULTS=FILE   also write the summary table there
#
# Benchmarks 2, 3 and 5 make network namespaces pbench-PID-a and pbench-PID-b
# joined by the veth pair pbenchPIDa/pbenchPIDb (10.233.0.1-2/24,
# fd00:233::1-2/64); they, and every process in them, are removed on exit,
# whatever the exit (error, SIGINT, SIGTERM, SIGHUP).
# shellcheck disable=SC2317	# functions reached from traps

usage() {
	sed -n '4,12s/^# \{0,1\}//p' "$0"
}

quick=
nocg=
livesecs=
which=
for a in "$@"; do
	case $a in
	--quick) quick=--quick ;;
	--no-callgrind) nocg=--no-callgrind ;;
	--live-secs=*) livesecs=$a ;;
	1 | 2 | 3 | 4 | 5) which="$which $a" ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$which" ] || which="1 2 3 4 5"

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
# shellcheck source=SCRIPTDIR/../tests/lib/netns.sh
. "$top/tests/lib/netns.sh"
proctraf=${PROCTRAF:-$top/proctraf}
lib=${LIBPROCTRAF:-$top/build/libproctraf.a}
cache=${BENCH_CACHE:-/var/tmp/proctraf-bench}
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespaces, packet capture)" >&2
	exit 1
fi
for f in "$proctraf" "$lib"; do
	if [ ! -f "$f" ]; then
		echo "bench: $f is missing: run make first" >&2
		exit 1
	fi
done

# The tools the benchmarks run beside proctraf.
sh "$top/tests/install-debs.sh" tcpdump valgrind nethogs iproute2 util-linux gcc \
	pkg-config libpcap-dev libcsv-dev python3 || exit 1

tmp=$(mktemp -d /tmp/proctraf-bench.XXXXXX) || exit 1
ns_a=pbench-$$-a
ns_b=pbench-$$-b
veth_a=pbench$$a	# at most 6 + 7 + 1 characters: under IFNAMSIZ
veth_b=pbench$$b
netns=
driver=

cleanup() {
	trap - EXIT INT TERM HUP
	stop_pid "$driver"
	[ -n "$netns" ] && remove_netns "$ns_a" "$ns_b"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
	echo "bench: $*" >&2
	exit 1
}

# What is measured, frozen: `make` elsewhere rewrites ./proctraf in place.
cp "$proctraf" "$tmp/proctraf" && cp "$lib" "$tmp/libproctraf.a" || fail "cannot copy the build"
warn="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
libs="$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) -lcsv -lpthread -lm"
# shellcheck disable=SC2086
cc $warn -O2 -o "$tmp/sockhold" "$here/sockhold.c" || fail "cannot build sockhold"
# shellcheck disable=SC2086
cc $warn -O2 -o "$tmp/blast" "$here/blast.c" || fail "cannot build blast"
if [ -n "$RESOLVE_BENCH" ]; then
	cp "$RESOLVE_BENCH" "$tmp/resolve_bench" || fail "cannot copy $RESOLVE_BENCH"
else
	# shellcheck disable=SC2086
	cc $warn -O2 -g -I"$top/core" -o "$tmp/resolve_bench" "$here/resolve_bench.c" \
		"$tmp/libproctraf.a" $libs || fail "cannot build resolve_bench"
fi

echo "proctraf benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $proctraf ($($tmp/proctraf -V), md5 $(md5sum <"$tmp/proctraf" | cut -c1-12));" \
	"tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')"

case $which in
*2* | *3* | *5*)
	netns=1
	ip netns add "$ns_a" || fail "ip netns add $ns_a"
	ip netns add "$ns_b" || fail "ip netns add $ns_b"
	ip link add "$veth_a" netns "$ns_a" type veth peer name "$veth_b" netns "$ns_b" ||
		fail "ip link add $veth_a"
	ip -n "$ns_a" addr add 10.233.0.1/24 dev "$veth_a" &&
		ip -n "$ns_a" addr add fd00:233::1/64 dev "$veth_a" nodad &&
		ip -n "$ns_b" addr add 10.233.0.2/24 dev "$veth_b" &&
		ip -n "$ns_b" addr add fd00:233::2/64 dev "$veth_b" nodad &&
		ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
		ip -n "$ns_a" link set "$veth_a" up && ip -n "$ns_b" link set "$veth_b" up ||
		fail "cannot configure the namespaces"
	for dst in 10.233.0.2 fd00:233::2; do
		i=0
		until ip netns exec "$ns_a" ping -c 1 -W 1 -q "$dst" >/dev/null 2>&1; do
			i=$((i + 1))
			[ "$i" -lt 10 ] || fail "$ns_a cannot reach $dst"
			sleep 0.2
		done
	done
	;;
esac

# In the background, so that a signal reaches the traps at once.
# shellcheck disable=SC2086
"$py" -B "$here/bench.py" $quick $nocg $livesecs --proctraf "$tmp/proctraf" \
	--resolve-bench "$tmp/resolve_bench" --sockhold "$tmp/sockhold" --blast "$tmp/blast" \
	--tmp "$tmp" --cache "$cache" --ns-a "$ns_a" --ns-b "$ns_b" --veth-a "$veth_a" \
	--veth-b "$veth_b" --results "${BENCH_RESULTS:-}" $which &
driver=$!
wait "$driver"
rc=$?
driver=
exit "$rc"
