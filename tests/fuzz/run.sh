#!/bin/sh
# Run the libFuzzer harnesses of tests/fuzz for a while each.
#
#   tests/fuzz/run.sh [--build] [-j JOBS] [-c CORPUS_DIR] [-n RUNS] FUZZ_BUILD SECONDS [NAME...]
#
# --build: first build the harnesses (make fuzz-build), when clang and its
# libFuzzer runtime are there; without them print SKIP and count nothing
# (make check's layer). Without --build the harnesses must be built.
# -j: harnesses run at the same time (2 by default: they are one process
# each). -c: where the corpus each run grows is kept (CORPUS_DIR/NAME),
# to go on from next time; by default a temporary one, removed after.
# -n: each harness also stops after RUNS executions (SECONDS still bounds it).
# NAME: decode, procnet, cgroup, session (all by default).
#
# Each harness first runs every input of its seed corpus
# (tests/fuzz/corpus/NAME: golden captures, fixture files, and every input
# that ever crashed it), then mutates them for SECONDS. A crash, a leak, a
# timeout or a broken invariant fails it; its input is written to
# FUZZ_BUILD/artifacts/. Prints "ok NAME: ..." with the run's figures
# (executions, rate, corpus, coverage) or "FAIL NAME: why", then
# "N passed, N failed". Each harness's whole libFuzzer log is left in
# FUZZ_BUILD/logs/NAME.log.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build_first=
jobs=2
keep=
runs=-1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build_first=1 ;;
	-j) jobs=$2; shift ;;
	-c) keep=$2; shift ;;
	-n) runs=$2; shift ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 2 ]; then
	echo "usage: $0 [--build] [-j JOBS] [-c CORPUS_DIR] [-n RUNS] FUZZ_BUILD SECONDS [NAME...]" >&2
	exit 2
fi
fbuild=$1
seconds=$2
shift 2
names=${*:-decode procnet cgroup session}
cd "$top" || exit 1
passed=0
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ -n "$build_first" ]; then
	cc=${FUZZ_CC:-clang}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "SKIP: fuzz: no $cc (Debian: clang, libclang-rt-dev); harnesses not run: $names"
		echo "0 passed, 0 failed"
		exit 0
	fi
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
		'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n; }' \
		>"$tmp/probe.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" \
		>"$tmp/probe.log" 2>&1; then
		echo "SKIP: fuzz: $cc cannot link -fsanitize=fuzzer,address,undefined" \
			"(Debian: libclang-rt-dev); harnesses not run: $names"
		sed 's/^/  /' "$tmp/probe.log" | head -n 5
		echo "0 passed, 0 failed"
		exit 0
	fi
	if ! ${MAKE:-make} --no-print-directory fuzz-build FUZZ_CC="$cc" FUZZ_BUILD="$fbuild" >"$tmp/build.log" 2>&1; then
		cat "$tmp/build.log"
		echo "FAIL fuzz: the harnesses do not build"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

mkdir -p "$fbuild/artifacts" "$fbuild/logs" || exit 1
if [ -n "$keep" ]; then
	work=$keep
else
	work=$tmp/corpus
fi

# The slow harness gets a longer timeout per input: it runs a session twice.
timeout_of() {
	case $1 in
	session) echo 20 ;;
	*) echo 5 ;;
	esac
}

# fuzz NAME: run one harness, its log in $tmp/NAME.log, its status in $tmp/NAME.rc.
fuzz() {
	name=$1
	bin=$fbuild/fuzz_$name
	dict=
	[ -f "$here/$name.dict" ] && dict=-dict=$here/$name.dict
	mkdir -p "$work/$name"
	start=$(date +%s)
	# shellcheck disable=SC2086	# $dict is one word or none
	"$bin" -max_total_time="$seconds" -runs="$runs" -timeout="$(timeout_of "$name")" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$fbuild/artifacts/$name-" $dict \
		"$work/$name" "$here/corpus/$name" >"$tmp/$name.log" 2>&1
	echo $? >"$tmp/$name.rc"
	echo $(($(date +%s) - start)) >"$tmp/$name.took"
	cp "$tmp/$name.log" "$fbuild/logs/$name.log"
}

# stat NAME KEY: a number from the final stats ("stat::KEY: N").
stat() {
	sed -n "s/^stat::$2: *//p" "$tmp/$1.log" | tail -n 1
}

report() {
	name=$1
	rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo 1)
	if [ ! -x "$fbuild/fuzz_$name" ]; then
		echo "FAIL $name: no $fbuild/fuzz_$name (make fuzz-build)"
		failed=$((failed + 1))
		return
	fi
	execs=$(stat "$name" number_of_executed_units)
	rate=$(stat "$name" average_exec_per_sec)
	# "#N DONE cov: C ft: F corp: U/SIZE ..." (or the last pulse line).
	last=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE)' "$tmp/$name.log" |
		tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
	seeds=$(find "$here/corpus/$name" -type f | wc -l)
	took=$(cat "$tmp/$name.took" 2>/dev/null)
	figures="${execs:-0} executions in ${took:-?} s (${rate:-0}/s), corpus ${corp:-?}"
	figures="$figures ($seeds seeds), cov ${cov:-?}, ft ${ft:-?}"
	if [ "$rc" -eq 0 ] && [ "${execs:-0}" -gt 0 ]; then
		echo "ok $name: $figures"
		passed=$((passed + 1))
	else
		echo "FAIL $name: exit $rc after $figures"
		grep -E '^(==[0-9]+==|SUMMARY|fuzz_|artifact_prefix|Test unit written|.*runtime error)' \
			"$tmp/$name.log" | head -n 30
		grep -A 12 'ERROR:' "$tmp/$name.log" | head -n 40
		failed=$((failed + 1))
	fi
}

set -- $names
while [ $# -gt 0 ]; do
	batch=
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
		batch="$batch $1"
		if [ -x "$fbuild/fuzz_$1" ]; then
			fuzz "$1" &
		fi
		shift
		i=$((i + 1))
	done
	wait
	for name in $batch; do
		report "$name"
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
