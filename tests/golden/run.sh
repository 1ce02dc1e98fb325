#!/bin/sh
# Golden tests: run.sh BINARY [--update]
# Runs every case of TESTLIST (see its header), then checks each capture's
# numbers against the generator's ledger (verify.py). With --update, writes
# the expected files from BINARY instead: review them before committing.
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
update=$2
cd "$(dirname "$0")" || exit 1
mkdir -p expected
passed=0
failed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

while read -r name cap expect opts; do
	case $name in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086
	"$bin" -r "captures/$cap" --proc-root proc $opts >"$out" 2>"$err"
	rc=$?
	exp=expected/$expect
	case $expect in
	*.err)
		if [ "$update" = --update ]; then
			{ echo "exit $rc"; cat "$err"; } >"$exp"
		fi
		{ echo "exit $rc"; cat "$err"; } | diff -u "$exp" - >"$out.diff" &&
			[ ! -s "$out" ]
		ok=$?
		;;
	*)
		[ "$update" = --update ] && cp "$out" "$exp"
		diff -u "$exp" "$out" >"$out.diff" && [ "$rc" -eq 0 ] && [ ! -s "$err" ]
		ok=$?
		;;
	esac
	if [ "$ok" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name (exit $rc)"
		cat "$out.diff" "$err"
	fi
	rm -f "$out.diff"
done <TESTLIST

python3 verify.py "$bin" >"$out" 2>&1
cat "$out"
line=$(tail -n 1 "$out")
passed=$((passed + ${line%% passed*}))
f=${line#*passed, }
failed=$((failed + ${f%% failed*}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
