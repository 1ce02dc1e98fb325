#!/bin/sh
# Least privilege: the capabilities, ids and no-new-privs of a running
# proctraf, read from /proc/PID/task/*/status (see core/privs.h).
#
#   tests/privs/run.sh BINARY
#
# Needs root (prints SKIP and counts nothing otherwise). privs.py runs in a
# network namespace of its own (unshare --net, lo up), so every capture and
# all its traffic stay there; the copies of the binary it gives file
# capabilities or setuid live in a temporary directory it removes. Prints
# "ok NAME" / "FAIL NAME: why" / "SKIP NAME: why", then "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the privilege tests need root"
	echo "0 passed, 0 failed"
	exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
binary=$1
case $binary in
/*) ;;
*) binary=$(pwd)/$binary ;;
esac
if [ ! -x "$binary" ]; then
	echo "FAIL setup: $binary: no such executable"
	echo "0 passed, 1 failed"
	exit 1
fi
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
for need in unshare setpriv ip; do
	if ! command -v "$need" >/dev/null 2>&1; then
		echo "SKIP: no $need (util-linux, iproute2)"
		echo "0 passed, 0 failed"
		exit 0
	fi
done
# shellcheck disable=SC2016	# expanded by the inner shell
exec unshare --net sh -c 'ip link set lo up && exec "$0" -B "$1" "$2"' \
	"$py" "$here/privs.py" "$binary"
