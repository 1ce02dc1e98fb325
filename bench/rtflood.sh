#!/bin/sh
# A flood against the real-time budget (issue 11, item 10): does a
# SCHED_FIFO capture thread that looks at its budget only between
# dispatches (DISPATCH_MAX packets each) take a core from the host?
#
# In a network namespace made for the purpose, bench/rtflood.c floods lo
# with UDP frames through a packet socket, a new flow every frame (no
# pacing, a lookup queued for each), from CPU 1, while proctraf -i lo -I 1 captures it pinned to CPU 0 beside a
# normal process that only wants CPU 0 (the witness). For each case the
# witness's share of CPU 0, its longest wait and the sum of its waits longer
# than 2 ms; proctraf's CPU time (all threads, and the capture thread's);
# the frames sent and the packets proctraf counted:
#   alone      no proctraf (the witness's share of an idle core)
#   budget     proctraf as shipped (SCHED_FIFO within its budget, rtprio.h)
#   normal     proctraf --no-realtime (fair share: the reference)
#   fifo       chrt -f 1 proctraf --no-realtime: real time with no budget at
#              all, what the budget is there to prevent
#
#   bench/rtflood.sh [PROCTRAF [SECONDS]]      (default ./proctraf 10)
#
# One core sends about as fast as one proctraf counts new flows: for a
# capture thread the flood keeps busy all the time, pass a slower build
# (the ASan one, build-asan/proctraf, costs about three times as much a
# packet).
#
# Root (network namespaces, SCHED_FIFO); 2 cores or more.
proctraf=${1:-./proctraf}
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "rtflood: needs root" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "rtflood: needs 2 cores" >&2; exit 1; }
tmp=$(mktemp -d /tmp/proctraf-rtflood.XXXXXX) || exit 1
ns=ptrtf-$$
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -std=c11 -O2 -Wall -Wextra -Werror -o "$tmp/rtflood" "$here/rtflood.c" || exit 1
ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up || exit 1

# cpu_s STAT: user + system seconds in a /proc stat file (a process: all its threads).
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"$1" 2>/dev/null || echo "?"
}

# run NAME: alone, budget, normal or fifo (above).
run() {
	name=$1
	pid=
	case $name in
	budget) set -- ;;
	normal) set -- --no-realtime ;;
	fifo) set -- --no-realtime ;;
	esac
	if [ "$name" != alone ]; then
		rt=
		[ "$name" = fifo ] && rt="chrt -f 1"
		# -d: a second to start, the flood, a second after it.
		ip netns exec "$ns" taskset -c 0 $rt "$proctraf" "$@" -i lo -d $((secs + 2)) -I 1 \
			--max-flows 100000000 --csv -q >"$tmp/report" 2>"$tmp/err" &
		pid=$!
		sleep 1
	fi
	ip netns exec "$ns" taskset -c 1 "$tmp/rtflood" flood "$secs" >"$tmp/flood" &
	flood=$!
	taskset -c 0 "$tmp/rtflood" spin "$secs" >"$tmp/spin"
	cpu=- capture=-
	if [ -n "$pid" ]; then
		cpu=$(cpu_s "/proc/$pid/stat")
		# The main thread captures (the resolver and reporter have threads of their own).
		capture=$(cpu_s "/proc/$pid/task/$pid/stat")
	fi
	wait "$flood"
	packets=-
	if [ -n "$pid" ]; then
		wait "$pid" || { echo "rtflood: proctraf failed: $(cat "$tmp/err")" >&2; exit 1; }
		packets=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$1 != "start" { s += $c["sent_packets"] + $c["recv_packets"] }
			END { print s + 0 }' "$tmp/report")
	fi
	# What a dispatch of DISPATCH_MAX (4096) packets costs the capture thread.
	dispatch=-
	[ -n "$pid" ] && dispatch=$(awk -v c="$capture" -v n="$packets" \
		'BEGIN { if (n > 0) printf "%.1f us a packet, %.1f ms a dispatch", c / n * 1e6, c / n * 4096e3 }')
	printf '  %-7s witness: %s; proctraf cpu %s s (capture thread %s s: %s); %s; counted %s\n' \
		"$name" "$(cat "$tmp/spin")" "$cpu" "$capture" "$dispatch" "$(cat "$tmp/flood")" \
		"$packets"
}

echo "rtflood: $proctraf, $secs s of a new flow a frame on lo; proctraf and the witness on CPU 0," \
	"the flood on CPU 1; load $(cut -d' ' -f1-3 /proc/loadavg)"
for c in alone budget normal fifo; do
	run $c
done
