#!/bin/sh
# --prom FILE against its real readers: promtool and node_exporter.
#   tests/prom/run.sh BINARY
# promtest.py says what is checked. A check whose reader (Debian
# prometheus, prometheus-node-exporter) or whose privilege (root, for the
# live part) is missing is skipped and counted as skipped, not passed.
# Prints "ok NAME" / "FAIL NAME: why" / "SKIP NAME: why", then
# "N passed, N failed, N skipped"; exits 1 on any failure.
# What the checks start ends with them, whatever happens: node_exporter
# and the traffic generators die with promtest.py (PR_SET_PDEATHSIG), a
# proctraf run is bounded by -d, and this script removes the temporary
# directory and the tmpfs mounted below it even if promtest.py was killed.
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
# Its real path: what /proc/PID/exe of its runs says.
bin=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
PROM_TMP=$(mktemp -d /tmp/proctraf-prom.XXXXXX) || exit 1
export PROM_TMP
cleanup() {
	# The proctraf runs promtest.py started, if it was killed (by their ids).
	if [ -f "$PROM_TMP/pids" ]; then
		while read -r pid; do
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$bin" ] && kill "$pid"
		done <"$PROM_TMP/pids"
	fi
	# Mount points below it, deepest first.
	awk -v d="$PROM_TMP/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$PROM_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
python3 "$here/promtest.py" "$bin"
