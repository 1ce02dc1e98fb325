#!/bin/sh
# pcapng tests: -w FILE and -r of what it wrote, against the real readers.
#
#   tests/pcapng/run.sh BINARY [--files]
#
# From files (tests/golden):
#   - every normal golden case again with -w: the same report as without,
#     and "-r FILE.pcapng" with the same options (no proc root: the owners
#     come from the file) prints it again byte for byte; tshark and
#     capinfos read each of those files (each different one once);
#   - every capture: tshark and capinfos read the file (exit status 0),
#     its comments are valid UTF-8 of the grammar of core/pcapng.h, and
#     summed per pid and unknown row from tshark's IP lengths they give
#     the report's bytes and packets, on as many packets as it counted;
#   - -w - into a pipe: tshark reads it, the report is on stderr; and
#     "proctraf -w - | proctraf -r -" gives the report again;
#   - --proc-root given: the file's annotations are not read; a file
#     rewritten by editcap, which drops the owner records: a warning; an
#     owner record not well formed: a warning;
#   - errors: a directory that does not exist, -w the file -r reads,
#     -w - on a terminal, a full disk (/dev/full).
# Live (root; --files leaves them out): in a network namespace made here
# and removed on exit, loopback only:
#   - TCP and UDP generators (tests/live/gen.py) and processes with hostile
#     names (hold.py: spaces, ';', '\', an escape sequence, a newline,
#     invalid UTF-8, CJK): every packet the report counts carries its
#     owners, per pid the comments sum to the report, each name unescaped
#     from tshark's comment is the process's bytes, and "-r FILE" gives the
#     same report (the drop counts aside: a file has none);
#   - a flow found late: "tcpdump -w - | proctraf -r - -w FILE" while
#     processes connect after proctraf read /proc; the last pass finds
#     them (they hold their sockets open), and the file's first packet of
#     their flow, the SYN, carries the owner.
# tshark and capinfos (Debian tshark, wireshark-common) missing: their
# checks print "skip" and count neither way. PCAPNG_KEEP=DIR keeps the live
# file and a tshark listing of its annotated packets (DIR/listing.txt).
# Prints "ok NAME" / "FAIL NAME: why" / "skip NAME: why", then
# "N passed, N failed, N skipped"; exits 1 if any failed.
# shellcheck disable=SC2317	# functions the traps call

if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != --files ]; }; then
	echo "usage: run.sh BINARY [--files]" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
files_only=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden
# shellcheck source=SCRIPTDIR/../lib/netns.sh
. "$here/../lib/netns.sh"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
check="$py -B $here/check.py"
tmp=$(mktemp -d /tmp/proctraf-pcapng.XXXXXX) || exit 1
chmod 755 "$tmp"	# the processes of the late case run as nobody
ns=
bg_pids=
passed=0
failed=0
skipped=0

cleanup() {
	trap - EXIT INT TERM HUP
	for p in $bg_pids; do
		stop_pid "$p"
	done
	[ -n "$ns" ] && remove_netns "$ns"
	if [ -n "$PCAPNG_KEEP" ] && [ -f "$tmp/live.pcapng" ]; then
		mkdir -p "$PCAPNG_KEEP" && cp "$tmp/live.pcapng" "$tmp/listing.txt" "$PCAPNG_KEEP"/
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL interrupted"; echo "$passed passed, $((failed + 1)) failed, $skipped skipped"; exit 1' INT TERM HUP

ok() {
	echo "ok $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

skip() {
	echo "skip $1: $2"
	skipped=$((skipped + 1))
}

summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}

if [ ! -x "$bin" ]; then
	fail setup "$bin: no such executable"
	summary
fi
have_tshark=
command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 && have_tshark=1
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 60"
fields=$($check fields)

# tshark's fields of FILE into OUT; 0 when it read the file.
tshark_fields() {
	# shellcheck disable=SC2086	# the -e arguments
	$limit tshark -r "$1" -T fields -E separator=/t -E occurrence=f $fields >"$2" 2>"$tmp/tshark.err" &&
		! grep -qiE 'appears to be damaged|corrupt|isn.t a capture|error' "$tmp/tshark.err"
}

# ---- from files ----

set -f
cd "$golden" || exit 1
n=0
read_by=0	# round-trip files tshark and capinfos read
: >"$tmp/sums.seen"
while read -r name cap fixture expect opts; do
	case $name in '' | '#'*) continue ;; esac
	# Error cases write nothing; a report then an error is compared on stdout.
	case $(head -n 1 "expected/$expect") in exit*) continue ;; esac
	out=$tmp/rt.pcapng
	rm -f "$out"
	# shellcheck disable=SC2086	# the options are words
	$limit "$bin" -r "captures/$cap" --proc-root "proc/$fixture" $opts -w "$out" \
		>"$tmp/w.out" 2>"$tmp/w.err"
	# shellcheck disable=SC2086
	$limit "$bin" -r "$out" $opts >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	n=$((n + 1))
	if ! cmp -s "$tmp/w.out" "expected/$expect"; then
		fail "round trip $name" "with -w the report differs from expected/$expect: $(diff "expected/$expect" "$tmp/w.out" | head -n 3 | tr '\n' ' ')"
	elif ! cmp -s "$tmp/r.out" "expected/$expect" || [ "$rc" -ne 0 ] || [ -s "$tmp/r.err" ]; then
		fail "round trip $name" "-r of the file (exit $rc, stderr: $(head -c 200 "$tmp/r.err")): $(diff "expected/$expect" "$tmp/r.out" | head -n 3 | tr '\n' ' ')"
	else
		ok "round trip $name"
	fi
	# The real readers accept it: every file a test writes, each different one once.
	[ -n "$have_tshark" ] && [ -s "$out" ] || continue
	sum=$(cksum <"$out")
	grep -qxF "$sum" "$tmp/sums.seen" && continue
	echo "$sum" >>"$tmp/sums.seen"
	if ! tshark_fields "$out" "$tmp/rt.tsv"; then
		fail "round trip $name: tshark" "$(head -c 300 "$tmp/tshark.err")"
	elif ! $limit capinfos "$out" >"$tmp/capinfos" 2>&1; then
		fail "round trip $name: capinfos" "$(head -c 300 "$tmp/capinfos")"
	else
		read_by=$((read_by + 1))
	fi
done <TESTLIST
[ "$n" -gt 100 ] || fail "round trip" "only $n golden cases found"
if [ -z "$have_tshark" ]; then
	skip "round-trip files read by tshark and capinfos" "tshark or capinfos not installed"
elif [ "$read_by" -gt 20 ]; then
	ok "round-trip files: tshark and capinfos read all $read_by different ones"
else
	fail "round-trip files" "only $read_by different files read by tshark and capinfos"
fi

for c in captures/*; do
	cap=${c#captures/}
	out=$tmp/$cap.pcapng
	"$bin" -r "$c" --proc-root proc/host -w "$out" >/dev/null 2>&1
	# Files libpcap refuses (a cut header, garbage) write nothing.
	if [ ! -s "$out" ]; then
		continue
	fi
	if [ -z "$have_tshark" ]; then
		skip "tshark $cap" "tshark or capinfos not installed"
		continue
	fi
	"$bin" -r "$out" --json >"$tmp/report.json" 2>/dev/null
	if ! tshark_fields "$out" "$tmp/fields.tsv"; then
		fail "tshark $cap" "tshark: $(head -c 300 "$tmp/tshark.err")"
	elif ! $limit capinfos "$out" >"$tmp/capinfos" 2>&1; then
		fail "tshark $cap" "capinfos: $(head -c 300 "$tmp/capinfos")"
	elif ! $check sums "$tmp/report.json" "$tmp/fields.tsv" >"$tmp/sums" 2>&1; then
		fail "tshark $cap" "$(head -n 5 "$tmp/sums" | tr '\n' ' ')"
	else
		ok "tshark $cap: read, comments sum to the report per pid"
	fi
	rm -f "$out"
done

# -w - into a pipe: the packets on stdout, the report on stderr.
if [ -n "$have_tshark" ]; then
	"$bin" -r captures/pingraw.pcap --proc-root proc/host -w - 2>"$tmp/pipe.err" |
		tee "$tmp/pipe.pcapng" |
		$limit tshark -r - -T fields -e frame.comment >"$tmp/pipe.tsv" 2>/dev/null
	if [ "$(wc -l <"$tmp/pipe.tsv")" -eq 25 ] && grep -q 'pid=800 comm=fping dir=out' "$tmp/pipe.tsv" &&
		cmp -s "$tmp/pipe.err" expected/pingraw.txt && $limit capinfos "$tmp/pipe.pcapng" >/dev/null 2>&1; then
		ok "-w - | tshark -r -: 25 packets read, the report on stderr"
	else
		fail "-w - | tshark -r -" "$(wc -l <"$tmp/pipe.tsv") packets; stderr: $(head -c 200 "$tmp/pipe.err")"
	fi
else
	skip "-w - | tshark -r -" "tshark not installed"
fi
"$bin" -r captures/raw.pcap --proc-root proc/host --csv -C -w - 2>/dev/null | "$bin" -r - --csv -C >"$tmp/pipe.out" 2>&1
if cmp -s "$tmp/pipe.out" expected/raw-conn.csv; then
	ok "-w - | proctraf -r -: the owners come through the pipe"
else
	fail "-w - | proctraf -r -" "$(diff expected/raw-conn.csv "$tmp/pipe.out" | head -n 4 | tr '\n' ' ')"
fi

# A proc root given: the annotations are left alone.
"$bin" -r captures/en10mb.pcap --proc-root proc/host -w "$tmp/e.pcapng" >/dev/null 2>&1
"$bin" -r "$tmp/e.pcapng" --proc-root proc/empty >"$tmp/e1.out" 2>&1
"$bin" -r captures/en10mb.pcap --proc-root proc/empty >"$tmp/e2.out" 2>&1
if cmp -s "$tmp/e1.out" "$tmp/e2.out" && grep -q 'unknown:not-local' "$tmp/e1.out"; then
	ok "--proc-root given: the file's owners are not read"
else
	fail "--proc-root given" "$(diff "$tmp/e2.out" "$tmp/e1.out" | head -n 4 | tr '\n' ' ')"
fi

# Rewritten by Wireshark's editcap: the comments stay, the owner records (19373,
# not to be copied) go, and -r says that its report has no owners.
if command -v editcap >/dev/null 2>&1; then
	editcap "$tmp/e.pcapng" "$tmp/edited.pcapng" >/dev/null 2>&1
	"$bin" -r "$tmp/edited.pcapng" >"$tmp/ed.out" 2>"$tmp/ed.err"
	if [ "$(cat "$tmp/ed.err")" = "proctraf: warning: $tmp/edited.pcapng was written by proctraf -w, but no owner record is left in it (a tool that rewrote it drops them): no flow has an owner; --proc-root attributes it from a snapshot instead" ]; then
		ok "rewritten by editcap: the owners gone, and said so"
	else
		fail "rewritten by editcap" "stderr: $(head -c 300 "$tmp/ed.err")"
	fi
else
	skip "rewritten by editcap" "editcap (wireshark-common) not installed"
fi

# An owner record not well formed (its flags byte made 2): counted, and said in a warning.
$py - "$tmp/e.pcapng" "$tmp/bad.pcapng" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
# PEN 32473 (little-endian, as written here), then "PT", record type 2 (owners), then flags.
at = data.find(b"\xd9\x7e\x00\x00PT\x02")
assert at > 0
data[at + 7] = 2
open(sys.argv[2], "wb").write(data)
EOF
"$bin" -r "$tmp/bad.pcapng" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/bad.err")" = "proctraf: warning: $tmp/bad.pcapng: 1 owner record not well formed, contradicting another, naming a process the file does not describe or beyond the bounds: its ends have no socket in the report" ]; then
	ok "an owner record not well formed: a warning"
else
	fail "an owner record not well formed" "exit $rc, stderr: $(head -c 300 "$tmp/bad.err")"
fi

# Errors: exit status, one line on stderr.
expect_error() {	# NAME STATUS STDERR-LINE COMMAND...
	name=$1 status=$2 line=$3
	shift 3
	"$@" >"$tmp/err.out" 2>"$tmp/err.err"
	rc=$?
	if [ "$rc" -eq "$status" ] && [ "$(cat "$tmp/err.err")" = "$line" ]; then
		ok "$name"
	else
		fail "$name" "exit $rc, stderr: $(head -c 300 "$tmp/err.err")"
	fi
}
expect_error "-w into a directory that does not exist" 1 \
	"proctraf: cannot write $tmp/no/such.pcapng: No such file or directory" \
	"$bin" -r captures/en10mb.pcap --proc-root proc/host -w "$tmp/no/such.pcapng"
cp captures/en10mb.pcap "$tmp/same.pcap"
expect_error "-w the file -r reads" 2 "proctraf: -w $tmp/same.pcap is the file -r reads" \
	"$bin" -r "$tmp/same.pcap" --proc-root proc/host -w "$tmp/same.pcap"
if cmp -s "$tmp/same.pcap" captures/en10mb.pcap; then
	ok "-w the file -r reads: left as it was"
else
	fail "-w the file -r reads" "the file was changed"
fi
expect_error "-w twice" 2 "proctraf: -w given twice (see proctraf --help)" \
	"$bin" -r captures/en10mb.pcap -w "$tmp/a" -w "$tmp/b"
# A full disk: the report, then the error, status 1.
"$bin" -r captures/en10mb.pcap --proc-root proc/host -w /dev/full >"$tmp/full.out" 2>"$tmp/full.err"
rc=$?
if [ "$rc" -eq 1 ] && cmp -s "$tmp/full.out" expected/en10mb.txt &&
	[ "$(cat "$tmp/full.err")" = "proctraf: /dev/full: write error: No space left on device" ]; then
	ok "-w /dev/full: the report, then the write error"
else
	fail "-w /dev/full" "exit $rc, stderr: $(head -c 300 "$tmp/full.err")"
fi
# -w - on a terminal: refused before anything is captured.
$py - "$bin" "$golden" >"$tmp/tty" 2>&1 <<'EOF'
import os, pty, subprocess, sys
m, s = pty.openpty()
r = subprocess.run([sys.argv[1], "-r", sys.argv[2] + "/captures/en10mb.pcap", "-w", "-"],
                   stdout=s, stderr=subprocess.PIPE, timeout=20)
os.close(s)
print(r.returncode, r.stderr.decode().strip())
EOF
if [ "$(cat "$tmp/tty")" = "2 proctraf: -w -: standard output is a terminal (a pipe or a file, please) (see proctraf --help)" ]; then
	ok "-w - on a terminal: refused"
else
	fail "-w - on a terminal" "$(cat "$tmp/tty")"
fi
set +f
cd "$tmp" || exit 1

# ---- live ----

if [ -n "$files_only" ]; then
	summary
fi
if [ "$(id -u)" -ne 0 ]; then
	skip live "needs root (a network namespace, a capture)"
	summary
fi
ns=ptw-$$
if ! ip netns add "$ns" 2>"$tmp/ns.err" || ! ip -n "$ns" link set lo up 2>>"$tmp/ns.err"; then
	fail "live setup" "$(cat "$tmp/ns.err")"
	summary
fi
# ip execs the command: $! of "$inns CMD &" is CMD's pid, not a subshell's.
inns="ip netns exec $ns"
gen="$py -B $here/../live/gen.py"
hold="$py -B $here/hold.py"

# Wait until FILE has a line LINE (10 s at most).
wait_line() {
	i=0
	while [ "$i" -lt 100 ] && ! grep -qx "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -qx "$2" "$1" 2>/dev/null
}

# Hostile names (15 bytes at most), as hex: "a b;c\d", ESC[31m, a newline,
# invalid UTF-8, CJK (6 bytes of UTF-8).
names="6120623b635c64 1b5b33316d726564 6e65770a6c696e65 6261641f80feff e6b8ace8a9a6"

$inns "$bin" -i lo -d 4 -q -w "$tmp/live.pcapng" --json >"$tmp/live.json" 2>"$tmp/live.err" &
pt=$!
bg_pids="$pt"
sleep 1
$inns $gen tcp-server 127.0.0.1 7101 --reply 30000 --pace 1 >"$tmp/g1" 2>&1 &
bg_pids="$bg_pids $!"
$inns $gen udp-server 127.0.0.1 7102 --count 20 --size 300 >"$tmp/g2" 2>&1 &
bg_pids="$bg_pids $!"
wait_line "$tmp/g1" ready && wait_line "$tmp/g2" ready
$inns $gen tcp-client 127.0.0.1 7101 --send 20000 --pace 1 --comm "tcp client" >"$tmp/g3" 2>&1 &
bg_pids="$bg_pids $!"
$inns $gen udp-client 127.0.0.1 7102 --count 20 --size 300 --pace 1 >"$tmp/g4" 2>&1 &
bg_pids="$bg_pids $!"
port=7110
for h in $names; do
	$inns $hold server "$port" "$h" "$tmp/stop-live" >"$tmp/hs$port" 2>&1 &
	bg_pids="$bg_pids $!"
	wait_line "$tmp/hs$port" ready
	$inns $hold client "$port" "$h" "$tmp/stop-live" >"$tmp/hc$port" 2>&1 &
	bg_pids="$bg_pids $!"
	port=$((port + 1))
done
sleep 1
touch "$tmp/stop-live"
wait "$pt"
rc=$?
if [ "$rc" -ne 0 ]; then
	fail "live -w" "proctraf exited $rc: $(head -c 300 "$tmp/live.err")"
	summary
fi
sleep 0.5
if [ -n "$have_tshark" ]; then
	if ! tshark_fields live.pcapng fields.tsv; then
		fail "live tshark" "$(head -c 300 tshark.err)"
	elif ! capinfos live.pcapng >capinfos 2>&1; then
		fail "live capinfos" "$(head -c 300 capinfos)"
	elif ! $check sums live.json fields.tsv >sums 2>&1; then
		fail "live: comments per pid" "$(head -n 5 sums | tr '\n' ' ')"
	else
		ok "live: tshark and capinfos read it; every packet counted carries its owners, per pid as the report"
	fi
	$check listing fields.tsv 12 >listing.txt
	port=7110
	for h in $names; do
		for side in s c; do
			pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "hs$port" | head -n 1)
			[ "$side" = c ] && pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "hc$port" | head -n 1)
			if [ -z "$pid" ]; then
				fail "live name $h" "the generator did not report ($(head -c 200 "h$side$port"))"
			elif $check comm fields.tsv "$pid" "$h" >comm 2>&1; then
				ok "live name $h ($side): the comment unescapes to its bytes"
			else
				fail "live name $h ($side)" "$(cat comm)"
			fi
		done
		port=$((port + 1))
	done
else
	skip "live tshark" "tshark or capinfos not installed"
fi
# The same report from the file alone: the drops, the injected counts and the
# live owner source aside (a file has none of them; nothing here writes
# through a packet socket).
"$bin" -r live.pcapng --json >reread.json 2>reread.err
if $py - live.json reread.json <<'EOF'
import json, sys
def load(p):
    rows = [json.loads(l) for l in open(p, encoding="utf-8")]
    for r in rows:
        if r.get("type") == "summary":
            r.pop("kernel_drops"); r.pop("if_drops"); r.pop("owners")
            r.pop("owners_lost", None)      # live only: the kernel's reports lost
            if r.pop("injected_bytes", 0) or r.pop("injected_packets", 0):
                sys.exit(1)
    return rows
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b and len(a) > 3 else 1)
EOF
then
	ok "live: -r of the file gives the same report (times included)"
else
	fail "live: -r of the file" "$(diff live.json reread.json | head -n 6 | tr '\n' ' ')"
fi

# A flow found late: packets through a pipe, sockets made after proctraf read /proc.
mkfifo pipe
# Immediate: a packet waits for no buffer timeout, to be in the pipe before the SIGINT.
$inns tcpdump -i lo --immediate-mode -U -s 0 -w - tcp port 7200 >pipe 2>tcpdump.err &
td=$!
bg_pids="$bg_pids $td"
$inns "$bin" -r - -w late.pcapng --json <pipe >late.json 2>late.err &
pt=$!
bg_pids="$bg_pids $pt"
wait_line tcpdump.err "listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes" ||
	sleep 1
sleep 0.5	# proctraf has read /proc by now: the sockets below are not in it
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
$inns $nobody $hold server 7200 "" stop-late >late-s 2>&1 &
bg_pids="$bg_pids $!"
wait_line late-s ready
$inns $nobody $hold client 7200 6c617465636f6d6572 stop-late >late-c 2>&1 &
bg_pids="$bg_pids $!"
wait_line late-c done
sleep 0.3
kill -INT "$td"
wait "$pt"
rc=$?
touch stop-late
sleep 0.3
cpid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' late-c | head -n 1)
if [ "$rc" -ne 0 ]; then
	fail "late flow" "proctraf exited $rc: $(head -c 300 late.err)"
elif ! grep -q "\"pid\":$cpid,.*\"command\":\"latecomer\"" late.json; then
	fail "late flow" "the report has no row for the client ($cpid): $(head -c 300 late.json)"
elif [ -z "$have_tshark" ]; then
	skip "late flow: the SYN's comment" "tshark not installed"
elif ! $limit tshark -r late.pcapng -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
	-T fields -e frame.comment >syn 2>/dev/null || ! grep -q "^pid=$cpid comm=latecomer dir=out; pid=[0-9]* comm=python3 dir=in$" syn; then
	fail "late flow" "the SYN says: $(cat syn)"
elif ! capinfos late.pcapng >capinfos 2>&1; then
	fail "late flow: capinfos" "$(head -c 300 capinfos)"
elif ! tshark_fields late.pcapng late.tsv || ! $check sums late.json late.tsv >sums 2>&1; then
	fail "late flow: comments per pid" "$(head -n 5 sums | tr '\n' ' ')"
else
	ok "late flow: resolved by the last pass, its first packet carries its owner"
fi
summary
