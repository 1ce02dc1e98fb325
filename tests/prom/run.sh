#!/bin/sh
# --prom FILE against its real readers: promtool and node_exporter.
#   tests/prom/run.sh BINARY
# promtest.py says what is checked. A check whose reader (Debian
# prometheus, prometheus-node-exporter) or whose privilege (root, for the
# live part) is missing is skipped and counted as skipped, not passed.
# Prints "ok NAME" / "FAIL NAME: why" / "SKIP NAME: why", then
# "N passed, N failed, N skipped"; exits 1 on any failure. node_exporter
# and every process the checks start end with the script, whatever
# happens (they die with it: PR_SET_PDEATHSIG).
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
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
exec python3 "$here/promtest.py" "$bin"
