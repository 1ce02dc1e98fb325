#!/bin/sh
# Hostile proc roots and signals, end to end:  run.sh BINARY
# (see hostile.py). Prints "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: run.sh BINARY" >&2
	exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP hostile: no python3"
	echo "0 passed, 0 failed"
	exit 0
fi
exec python3 "$(dirname "$0")/hostile.py" "$1"
