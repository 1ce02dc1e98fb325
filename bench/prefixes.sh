#!/bin/sh
# The local-address lookup with many prefixes (issue 11, item 10):
# proctraf -r on 200,000 flows whose remote ends are no address of ours,
# with a /proc fixture whose net/fib_trie also holds 20,000 /32 addresses
# and 20,000 shorter "host LOCAL" prefixes (lengths 12 to 31, none covering
# a flow's address), beside the same run with the fixture as
# bench/gen_pcap.py writes it (256 addresses), in the same run. Both
# reports must be the same; prints the median wall time of each and the
# ratio (with prefixes / without).
#
#   bench/prefixes.sh [PROCTRAF [RUNS [PREFIXES]]]     (default ./proctraf 5 20000)
#
# Needs python3; no root. Works in a mktemp -d directory, removed on exit.
proctraf=${1:-./proctraf}
runs=${2:-5}
nprefix=${3:-20000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/proctraf-prefixes.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 "$here/gen_pcap.py" "$tmp/flows.pcap" 200000 200000 "$tmp/plain" 200 || exit 1
cp -r "$tmp/plain" "$tmp/prefixes"
python3 - "$tmp/prefixes/net/fib_trie" "$nprefix" <<'PY' || exit 1
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "a") as f:
    for i in range(n):
        # 10.128.0.0/9: addresses; 100.64.0.0/10: prefixes of 12..31 bits.
        f.write("           |-- 10.%d.%d.%d\n              /32 host LOCAL\n"
                % (128 + (i >> 16 & 127), i >> 8 & 255, i & 255))
        f.write("           |-- 100.%d.%d.0\n              /%d host LOCAL\n"
                % (64 + (i >> 14 & 63), i >> 6 & 255, 12 + i % 20))
PY

# The median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Wall seconds of one run, its report in $tmp/out.$1.
once() {
	t0=$(date +%s.%N)
	"$proctraf" -r "$tmp/flows.pcap" --proc-root "$tmp/$1" --csv >"$tmp/out.$1" 2>"$tmp/err.$1" ||
		{ cat "$tmp/err.$1" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' 
}

: >"$tmp/t.plain"
: >"$tmp/t.prefixes"
i=0
while [ "$i" -lt "$runs" ]; do
	a=$(once plain) || exit 1
	b=$(once prefixes) || exit 1
	echo "run $((i + 1)): fixture as generated ${a}s, with $nprefix /32 + $nprefix prefixes ${b}s"
	echo "$a" >>"$tmp/t.plain"
	echo "$b" >>"$tmp/t.prefixes"
	i=$((i + 1))
done
cmp -s "$tmp/out.plain" "$tmp/out.prefixes" || { echo "prefixes: the two reports differ" >&2; exit 1; }
a=$(median <"$tmp/t.plain")
b=$(median <"$tmp/t.prefixes")
printf 'median of %d: %.3f s without, %.3f s with the prefixes; ratio %.2f (same report)\n' \
	"$runs" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')"
