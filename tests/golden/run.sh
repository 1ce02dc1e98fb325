#!/bin/sh
# Golden tests:  run.sh BINARY [--update]
#
# Runs every case of TESTLIST (see its header) from this directory:
#   BINARY -r captures/CAPTURE --proc-root proc/FIXTURE OPTIONS...
# A normal case passes when stdout equals expected/EXPECTED, stderr is empty
# and the exit status 0; an error case (expected file starting "exit N")
# when the status is N, stdout is empty and stderr equals the rest of the
# file.  A normal case runs again with the capture piped to -r -, and must
# print the same.  Every expected file must also agree with the ledger (oracle.py
# verify): a case whose expected file disagrees fails even if the binary
# matches it.  Prints one line per failing case with its diff, then
# "N passed, N failed"; exits 1 if any failed.
#
# --update rewrites the expected files from BINARY, but only those where
# the binary agrees with the ledger; the others are reported and left alone.
if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != --update ]; }; then
	echo "usage: run.sh BINARY [--update]" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
update=${2:-}
cd "$(dirname "$0")" || exit 1
if [ ! -x "$bin" ]; then
	echo "run.sh: $bin: not an executable" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
set -f
mkdir -p expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# A case that hangs must not hang the suite.
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 10"

have_python=
command -v python3 >/dev/null 2>&1 && have_python=1
have_jq=
command -v jq >/dev/null 2>&1 && have_jq=1
[ -n "$have_jq" ] || echo "note: no jq; JSON outputs not read back"

# Does a case's option list ask for JSON?
json_case() {
	case " $1 " in *" --json "*) return 0 ;; esac
	return 1
}
: >"$tmp/bad"
if [ -z "$update" ]; then
	if [ -n "$have_python" ]; then
		python3 oracle.py verify >"$tmp/bad" 2>&1
	else
		echo "note: no python3; expected files not checked against the ledger"
	fi
fi

passed=0
failed=0
while read -r name cap fixture expect opts; do
	case $name in '' | '#'*) continue ;; esac
	exp=expected/$expect
	# shellcheck disable=SC2086  # the options are words
	$limit "$bin" -r "captures/$cap" --proc-root "proc/$fixture" $opts \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -n "$update" ]; then
		if [ -z "$have_python" ]; then
			echo "run.sh: --update needs python3 (the ledger check)" >&2
			exit 1
		fi
		python3 oracle.py accept "$name" "$tmp/out" "$tmp/err" "$rc" >"$tmp/acc" 2>&1
		acc=$?
		cat "$tmp/acc"
		if [ "$acc" -ne 0 ]; then
			failed=$((failed + 1))
			echo "FAIL $name"
		else
			passed=$((passed + 1))
		fi
		continue
	fi
	ok=1
	: >"$tmp/diff"
	if [ ! -f "$exp" ]; then
		echo "missing $exp" >"$tmp/diff"
		ok=0
	elif [ "$(head -c 5 "$exp")" = "exit " ]; then
		{ echo "exit $rc"; cat "$tmp/err"; } >"$tmp/got"
		diff -u "$exp" "$tmp/got" >"$tmp/diff" || ok=0
		if [ -s "$tmp/out" ]; then
			{ echo "stdout should be empty:"; head -c 2000 "$tmp/out"; } >>"$tmp/diff"
			ok=0
		fi
	else
		diff -u "$exp" "$tmp/out" >"$tmp/diff" || ok=0
		if [ -f "$exp.stderr" ]; then
			# A report, then an error (a file cut in a record).
			{ echo "exit $rc"; cat "$tmp/err"; } >"$tmp/got"
			diff -u "$exp.stderr" "$tmp/got" >>"$tmp/diff" || ok=0
		elif [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
			{ echo "exit $rc, stderr:"; head -c 2000 "$tmp/err"; } >>"$tmp/diff"
			ok=0
		fi
		# Every JSON line must be JSON to a real reader.
		if [ -n "$have_jq" ] && [ -s "$tmp/out" ] && json_case "$opts" &&
			! jq -c . "$tmp/out" >/dev/null 2>"$tmp/jq"; then
			{ echo "jq cannot read the output:"; cat "$tmp/jq"; } >>"$tmp/diff"
			ok=0
		fi
	fi
	if grep -q "^BAD $name: " "$tmp/bad"; then
		grep "^BAD $name: " "$tmp/bad" >>"$tmp/diff"
		ok=0
	fi
	if [ "$ok" -eq 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		sed 's/^/    /' "$tmp/diff"
	fi
	# The same capture from a pipe (-r -), which is not read like a
	# regular file (see final_pass in core/session.c): the same report.
	if [ -f "$exp" ] && [ "$(head -c 5 "$exp")" != "exit " ]; then
		# shellcheck disable=SC2086  # the options are words
		cat "captures/$cap" | $limit "$bin" -r - --proc-root "proc/$fixture" $opts \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		want_rc=0
		# From a pipe the error names "-", not the file: its status is what counts.
		if [ -f "$exp.stderr" ]; then
			want_rc=$(sed -n '1s/^exit //p' "$exp.stderr")
			[ "$(wc -l <"$tmp/err")" -eq 1 ] && : >"$tmp/err"
		fi
		if diff -u "$exp" "$tmp/out" >"$tmp/diff" && [ "$rc" -eq "$want_rc" ] &&
			[ ! -s "$tmp/err" ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL $name (from a pipe)"
			{ echo "exit $rc, stderr:"; head -c 2000 "$tmp/err"; } >>"$tmp/diff"
			sed 's/^/    /' "$tmp/diff"
		fi
	fi
done <TESTLIST

# Problems of the ledger check that belong to no case (e.g. a filter
# predicate that tcpdump contradicts) are failures too.
if grep -v "^BAD " "$tmp/bad" | grep -q .; then
	grep -v "^BAD " "$tmp/bad" | while read -r line; do
		echo "FAIL ledger: $line"
	done
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
