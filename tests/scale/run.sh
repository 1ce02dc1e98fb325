#!/bin/sh
# Scale test:  run.sh BINARY
#
# A generated capture (bench/gen_pcap.py) of 30,000 packets over 6,000
# flows, with a /proc fixture whose 5,000 sockets are 200 processes'
# (pid 1000 + i % 200 holds flow i's local end), read by BINARY from the
# file and from a pipe. Every process row, and the unknown:no-socket row
# of the 1,000 flows that have no socket, must equal the generator's
# ledger. Enough flows for the report to split its work between two
# threads (REPORT_SPLIT_MIN in core/session.c). Prints "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: run.sh BINARY" >&2
	exit 2
fi
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP scale: no python3"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 "$here/../../bench/gen_pcap.py" "$tmp/s.pcap" 30000 6000 "$tmp/proc" 5000 \
	--truth "$tmp/truth.json" || {
	echo "FAIL scale: gen_pcap.py"
	echo "0 passed, 1 failed"
	exit 1
}
"$bin" -r "$tmp/s.pcap" --proc-root "$tmp/proc" --csv >"$tmp/file.csv" 2>"$tmp/file.err"
echo "exit $?" >>"$tmp/file.err"
"$bin" -r - --proc-root "$tmp/proc" --csv <"$tmp/s.pcap" >"$tmp/stdin.csv" 2>"$tmp/stdin.err"
echo "exit $?" >>"$tmp/stdin.err"
cat "$tmp/s.pcap" | "$bin" -r - --proc-root "$tmp/proc" --csv >"$tmp/pipe.csv" 2>"$tmp/pipe.err"
echo "exit $?" >>"$tmp/pipe.err"
exec python3 "$here/check.py" "$tmp/truth.json" "$tmp/file" "$tmp/stdin" "$tmp/pipe"
