# shellcheck shell=sh
# netns.sh - shell functions the test and benchmark drivers share (sourced
# by tests/live/run.sh, bench/run.sh and bench/accuracy/run.sh).

# stop_pid PID: SIGTERM, up to 5 s to go, then SIGKILL. Nothing if it is gone.
stop_pid() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null
		_i=0
		while [ "$_i" -lt 50 ] && kill -0 "$1" 2>/dev/null; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$1" 2>/dev/null
	fi
}

# remove_netns NS...: every process left in them killed (they are ours),
# then each namespace deleted, with the veth ends and bridges in it.
remove_netns() {
	for _ns in "$@"; do
		_pids=$(ip netns pids "$_ns" 2>/dev/null)
		# shellcheck disable=SC2086	# one argument per pid
		[ -n "$_pids" ] && kill -KILL $_pids 2>/dev/null
	done
	for _ns in "$@"; do
		ip netns del "$_ns" 2>/dev/null
	done
}
