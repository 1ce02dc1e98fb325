#!/bin/sh
# ThreadSanitizer on the threaded paths of a live capture:
#   tests/tsan/run.sh TSAN_BINARY
# The capture thread (with its inline lookups), the resolver thread and
# the reporter thread (intervals, SIGUSR1) run together on loopback while
# short TCP connections keep making new flows and processes learned, and
# then short-lived UDP sockets by the thousand (rounds of forgetting). Any
# ThreadSanitizer report fails the run. Needs root (prints SKIP and counts
# nothing otherwise). Traffic goes only to 127.0.0.1.
# Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: $0 TSAN_BINARY" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the TSan capture needs root"
	echo "0 passed, 0 failed"
	exit 0
fi
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
passed=0
failed=0
gen=
burst=
cleanup() {
	[ -n "$gen" ] && kill "$gen" 2>/dev/null && wait "$gen" 2>/dev/null
	[ -n "$burst" ] && kill "$burst" 2>/dev/null && wait "$burst" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A loopback server and a client making a new connection every 10 ms,
# from a new process every tenth time, for as long as the case runs.
python3 "$here/churn.py" 4 >"$tmp/churn.log" 2>&1 &
gen=$!
sleep 0.5

run_case() {	# NAME OPTIONS...
	name=$1
	shift
	TSAN_OPTIONS="halt_on_error=0 exitcode=66" "$bin" -i lo -d 2.5 "$@" \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 1.2
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	races=$(grep -c 'WARNING: ThreadSanitizer' "$tmp/err")
	if [ "$rc" -eq 0 ] && [ "$races" -eq 0 ] && [ -s "$tmp/out" ]; then
		echo "ok tsan $name"
		passed=$((passed + 1))
	else
		echo "FAIL tsan $name: exit $rc, $races reports, $(wc -c <"$tmp/out") bytes out"
		grep -A12 'WARNING: ThreadSanitizer' "$tmp/err" | head -n 40
		failed=$((failed + 1))
	fi
}

run_case "one report" --csv
run_case "intervals, connections, JSON" -I 0.3 --json -C
run_case "intervals, groups" -I 0.2 --tsv -g user,command --total
run_case "-w, intervals" -I 0.3 -w "$tmp/w.pcapng"
# Sockets that come and go by the thousand, passes every 0.2 s: the
# resolver thread's rounds of forgetting (core/pins.h) pin flows while
# the capture thread adds them and the reporter attributes them.
python3 "$here/burst.py" 3 >"$tmp/burst.log" 2>&1 &
burst=$!
run_case "rounds of forgetting" -I 0.3 --csv --total --resolve-interval 0.2
wait "$burst"
burst=
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
