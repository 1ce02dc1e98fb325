#!/bin/sh
# busy.sh COMMAND [ARG...]: run COMMAND while one busy loop per CPU, at
# normal priority (nice 0, SCHED_OTHER), keeps every core occupied; the
# loops are ended (by their pids) when COMMAND ends, or on a signal.
# COMMAND's exit status is this script's.
n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
loops=
stop_loops() {
	for p in $loops; do
		kill "$p" 2>/dev/null
	done
	for p in $loops; do
		wait "$p" 2>/dev/null
	done
	loops=
}
trap 'stop_loops; exit 1' INT TERM HUP
i=0
while [ "$i" -lt "$n" ]; do
	nice -n 0 sh -c 'while :; do :; done' &
	loops="$loops $!"
	i=$((i + 1))
done
echo "busy.sh: $n busy loops at normal priority beside: $*"
"$@"
rc=$?
stop_loops
exit "$rc"
