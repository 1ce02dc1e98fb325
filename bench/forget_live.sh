#!/bin/sh
# A live run's memory with connections to ever-new remote addresses and
# ports (issue 11, item 10): two proctraf binaries run side by side, for
# SECONDS, while bench/churn_tcp.py makes about RATE short TCP connections
# a second on loopback, each to a new 127.x.y.z address from a new port
# (a minute in TIME_WAIT each). Their filter (udp port 9) takes none of
# that traffic: what grows is the resolver, whose passes list every
# socket of the host, not the flow table. Every 10 s, the resident memory
# (VmRSS) of each; at the end the ratio.
#
#   bench/forget_live.sh NEW OLD [SECONDS [RATE]]     (default 120 1000; root)
#
# With --resolve-interval 0.5. Works in a mktemp -d directory, removed on exit.
if [ $# -lt 2 ] || [ "$(id -u)" -ne 0 ]; then
	echo "usage: $0 NEW OLD [SECONDS [RATE]]  (as root)" >&2
	exit 2
fi
new=$1
old=$2
secs=${3:-120}
rate=${4:-1000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/proctraf-forget-live.XXXXXX) || exit 1
pids=
trap 'kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

"$new" -i lo -d "$((secs + 2))" --resolve-interval 0.5 --csv udp port 9 >"$tmp/new.csv" 2>"$tmp/new.err" &
a=$!
"$old" -i lo -d "$((secs + 2))" --resolve-interval 0.5 --csv udp port 9 >"$tmp/old.csv" 2>"$tmp/old.err" &
b=$!
pids="$a $b"
sleep 1
python3 "$here/churn_tcp.py" "$secs" "$rate" >"$tmp/churn.out" &
c=$!
pids="$pids $c"
echo "  time   new RSS (MB)   old RSS (MB)"
t=0
while [ "$t" -lt "$secs" ]; do
	sleep 10
	t=$((t + 10))
	printf '%6ds   %12.1f   %12.1f\n' "$t" "$(($(rss "$a") + 0))e-3" "$(($(rss "$b") + 0))e-3"
	ra=$(rss "$a")
	rb=$(rss "$b")
done
wait "$c"
wait "$a"
wait "$b"
pids=
echo "connections made: $(cat "$tmp/churn.out")"
awk -v a="$ra" -v b="$rb" 'BEGIN { printf "at the end: new %.1f MB, old %.1f MB; ratio %.2f\n", a / 1024, b / 1024, a / b }'
