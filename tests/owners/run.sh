#!/bin/sh
# The kernel's owner source detached on every exit path (owners.py):
#   tests/owners/run.sh BINARY
# Needs root and bpftool (SKIP otherwise); ends with "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec python3 -B "$here/owners.py" "$1"
