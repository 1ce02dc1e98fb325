#!/bin/sh
# Run every test layer and print one total: "N passed, N failed".
#   tests/check.sh BUILD_DIR ASAN_BUILD_DIR TSAN_BUILD_DIR [FUZZ_BUILD_DIR]
# 1. unit tests (cmocka), 2. golden tests, then the shell completions
# (bash, zsh, fish; tests/completions), --prom against promtool and
# node_exporter (tests/prom), 3. the scale test (6,000
# flows against a generated ledger), the hostile proc roots and signals
# (tests/hostile), 4. live tests (network namespaces, root), then the
# privileges a running proctraf keeps (tests/privs, root), the
# kernel's owner source detached on every exit path (tests/owners, root),
# README.md's snapshot recipe (tests/snapshot, root), the pcapng files of -w
# (tests/pcapng; its live cases need root),
# 5. accuracy cases (bench/accuracy, root; beside a busy loop per core,
# with the kernel's owners and with /proc's), 6. unit, golden and
# scale tests again under ASan+UBSan, 7. a live capture under TSan,
# 8. each libFuzzer harness briefly (FUZZ_CHECK_SECONDS each, two at a
# time; skipped without clang).
build=${1:-build}
asan=${2:-build-asan}
tsan=${3:-build-tsan}
fuzz=${4:-build-fuzz}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Add the "N passed, N failed" line of a layer's output to the totals.
tally() {
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $1 printed no summary"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $1 exited $2"
		failed=$((failed + 1))
	fi
}

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)...".
unit() {
	dir=$1
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== unit $(basename "$t") ($dir)"
		"$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
			echo "FAIL: $t exited $rc"
			failed=$((failed + 1))
		fi
	done
}

layer() {
	name=$1
	shift
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$name" "$rc"
}

unit "$build"
layer golden sh tests/golden/run.sh "$build/proctraf"
layer completions sh tests/completions/run.sh
layer build sh tests/build/run.sh
layer cli sh tests/cli/run.sh "$build/proctraf"
# --prom files read by promtool and a node_exporter started for the purpose.
layer prom sh tests/prom/run.sh "$build/proctraf"
layer scale sh tests/scale/run.sh "$build/proctraf"
# Proc roots made by someone else (links, FIFOs, /dev/zero), and signals in a long pass.
layer hostile sh tests/hostile/run.sh "$build/proctraf"
layer live sh tests/live/run.sh "$build/proctraf"
layer privs sh tests/privs/run.sh "$build/proctraf"
# The kernel's owner source: nothing left loaded or attached after any exit path.
layer owners sh tests/owners/run.sh "$build/proctraf"
# The snapshot recipe of README.md, run as written (root).
layer snapshot sh tests/snapshot/run.sh "$build/proctraf"
# -w files read by tshark and capinfos, and by -r: from files, live, a pipe.
layer pcapng sh tests/pcapng/run.sh "$build/proctraf"
# Attribution against the truth of a capture beside it (bench/accuracy):
# every case, at quick volumes, while a busy loop at normal priority keeps
# each core occupied: with the kernel's owner source (forced, so that it
# cannot fall back unseen) and no real-time priority, then with /proc only
# (its default, real-time priority).
layer accuracy sh tests/lib/busy.sh sh bench/accuracy/run.sh "$build/proctraf" --check \
	--proctraf-args '--owners=kernel --no-realtime'
layer "accuracy (proc)" sh tests/lib/busy.sh sh bench/accuracy/run.sh "$build/proctraf" \
	--check --proctraf-args '--owners=proc'
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unit "$asan"
layer "golden (asan)" sh tests/golden/run.sh "$asan/proctraf"
layer "scale (asan)" sh tests/scale/run.sh "$asan/proctraf"
layer "pcapng (asan)" sh tests/pcapng/run.sh "$asan/proctraf" --files
# valgrind cannot run an ASan binary: that check is the plain build's.
layer "prom (asan)" env PROM_VALGRIND=0 sh tests/prom/run.sh "$asan/proctraf"
# 7. the threads of a live capture under ThreadSanitizer (root).
layer tsan sh tests/tsan/run.sh "$tsan/proctraf"
# --prom's reports come from the reporter thread: the same checks under TSan.
layer "prom (tsan)" env PROM_VALGRIND=0 sh tests/prom/run.sh "$tsan/proctraf"
# 8. the fuzzers' seeds (golden captures, fixture files, past crashes),
# then a short fuzzing run of each harness (tests/fuzz).
layer fuzz sh tests/fuzz/run.sh --build -j 2 "$fuzz" "${FUZZ_CHECK_SECONDS:-15}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
