#!/bin/sh
# The command line's manners that the golden cases cannot express (they
# need a full disk, arguments with spaces, or a capture):
#   tests/cli/run.sh BINARY
# Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

check() {	# NAME STATUS WHY
	if [ "$2" -eq 0 ]; then
		echo "ok $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1: $3"
		failed=$((failed + 1))
	fi
}

# NAME WANT_STATUS STDERR_PATTERN ARGS...: status, one stderr line matching, no stdout.
expect_error() {
	name=$1 want=$2 pattern=$3
	shift 3
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -Eq "^proctraf: $pattern" "$tmp/err"
	check "$name" $? "exit $rc, stdout $(wc -c <"$tmp/out") bytes, stderr: $(head -c 300 "$tmp/err")"
}

# --help and -V into a full disk: a message, not a silent exit 1.
if [ -w /dev/full ]; then
	"$bin" --help >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '^proctraf: write error: No space left on device$' "$tmp/err"
	check "--help into a full disk" $? "exit $rc, stderr: $(cat "$tmp/err")"
	"$bin" -V >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '^proctraf: write error: No space left on device$' "$tmp/err"
	check "-V into a full disk" $? "exit $rc, stderr: $(cat "$tmp/err")"
else
	echo "SKIP: no writable /dev/full"
fi

# --help says what happens without -d or -c.
"$bin" --help >"$tmp/out" 2>&1
grep -q 'runs until interrupted' "$tmp/out"
check "--help: without -d or -c, until interrupted" $? "not said"

# Numbers are decimal digits only: no spaces, signs, hex or exponents.
cap=$golden/captures/en10mb.pcap
root=$golden/proc/host
expect_error "-d ' 5' refused" 2 "-d wants a duration" -r "$cap" --proc-root "$root" -d ' 5'
expect_error "-d '5 ' refused" 2 "-d wants a duration" -r "$cap" --proc-root "$root" -d '5 '
expect_error "-c ' 5' refused" 2 "-c wants a whole number" -r "$cap" --proc-root "$root" -c ' 5'
expect_error "--top 0x3 refused" 2 "--top wants a whole number" -r "$cap" --proc-root "$root" --top 0x3
expect_error "-I '' refused" 2 "--interval wants a duration" -r "$cap" --proc-root "$root" -I ''

# Durations with units give the same window as the seconds they stand for.
"$bin" -r "$cap" --proc-root "$root" --csv -d 0.6 >"$tmp/a" 2>&1
"$bin" -r "$cap" --proc-root "$root" --csv -d 0.01m >"$tmp/b" 2>&1
cmp -s "$tmp/a" "$tmp/b"
check "-d 0.01m is -d 0.6" $? "$(diff "$tmp/a" "$tmp/b" | head -n 4)"

# A repeated -i is taken once: one handle, so no "copies" of a packet.
if [ "$(id -u)" -eq 0 ]; then
	"$bin" -i lo -i lo -c 6 -q >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 0.5
	ping -c 3 -i 0.2 127.0.0.1 >/dev/null 2>&1
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] && grep -q '^captured 6 packets' "$tmp/out" && ! grep -q copies "$tmp/out"
	check "-i lo -i lo: one interface" $? "exit $rc: $(tail -n 1 "$tmp/out") $(cat "$tmp/err")"
else
	echo "SKIP: -i lo -i lo needs root to capture"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
