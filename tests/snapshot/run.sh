#!/bin/sh
# The snapshot recipe of README.md ("Attributing a saved capture"), run as
# it is written there, as root:
#   tests/snapshot/run.sh BINARY
# A process holds a UDP socket and receives three datagrams while tcpdump
# records them; the recipe, taken from README.md, snapshots /proc; then
# `BINARY -r` on the capture with that snapshot must give the process
# exactly the bytes it received. proctraf run as root reads a proc root
# other than /proc as nobody, so this also checks that the recipe leaves
# its directory readable (and that without that it is not). The recipe
# must make a new directory each time, never a fixed path: its TMPDIR holds
# a "procsnap" link planted to a directory that must stay empty.
# Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed".
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the recipe and this test need root"
	echo "0 passed, 0 failed"
	exit 0
fi
for tool in tcpdump python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: no $tool"
		echo "0 passed, 0 failed"
		exit 0
	fi
done
tmp=$(mktemp -d) || exit 1
server=
capture=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	[ -n "$capture" ] && kill "$capture" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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

# The recipe: the sh block after "One way to take it" in README.md.
awk '/One way to take it/ { found = 1 }
     found && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside' "$top/README.md" >"$tmp/snapshot.sh"
[ -s "$tmp/snapshot.sh" ] && grep -q 'mktemp -d' "$tmp/snapshot.sh"
check "the recipe is in README.md" $? "$(wc -l <"$tmp/snapshot.sh") lines, no mktemp -d"

# A process holding a UDP socket on loopback, waiting for datagrams.
port=$((40000 + $$ % 20000))
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    s.recv(2048)
' "$port" >"$tmp/server.out" 2>&1 &
server=$!
i=0
until grep -q ready "$tmp/server.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || break
	sleep 0.05
done

# Three datagrams of 100 bytes to it, recorded.
tcpdump -i lo -U -w "$tmp/cap.pcap" "udp and dst port $port" 2>"$tmp/tcpdump.err" &
capture=$!
i=0
until grep -q 'listening on' "$tmp/tcpdump.err" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || break
	sleep 0.05
done
python3 -c '
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    c.sendto(b"x" * 100, ("127.0.0.1", int(sys.argv[1])))
' "$port"

# The recipe while the process lives; TMPDIR holds the planted link.
mkdir "$tmp/t" "$tmp/victim"
ln -s "$tmp/victim" "$tmp/t/procsnap"
snap=$(TMPDIR=$tmp/t sh "$tmp/snapshot.sh" 2>"$tmp/recipe.err" | tail -n 1)
[ -n "$snap" ] && [ -d "$snap" ] && [ ! -L "$snap" ] && [ -s "$snap/net/udp" ] &&
	[ -d "$snap/$server/fd" ]
check "the recipe prints the snapshot it made" $? \
	"printed '$snap'; stderr: $(head -c 300 "$tmp/recipe.err")"
snap2=$(TMPDIR=$tmp/t sh "$tmp/snapshot.sh" 2>/dev/null | tail -n 1)
[ -n "$snap2" ] && [ "$snap2" != "$snap" ] && [ -z "$(ls -A "$tmp/victim")" ]
check "a new directory each time, nothing written through a planted link" $? \
	"'$snap' then '$snap2'; the link's target holds: $(ls -A "$tmp/victim" | head -5)"
rm -rf "$snap2"
[ "$(stat -c %a "$snap")" = 755 ] && [ "$(stat -c %a "$snap/net/udp")" = 644 ]
check "the snapshot is readable by all" $? "modes $(stat -c %a "$snap") $(stat -c %a "$snap/net/udp")"

sleep 0.2
kill -INT "$capture"
wait "$capture"
capture=

# Attributed with the snapshot: the server's three datagrams, 128 IP bytes each.
"$bin" -r "$tmp/cap.pcap" --proc-root "$snap" --csv >"$tmp/report.csv" 2>"$tmp/report.err"
rc=$?
row=$(grep "^$server," "$tmp/report.csv")
echo "$row" | awk -F, '{ exit !($5 == 384 && $7 == 3 && $4 == 0) }'
check "proctraf -r with the snapshot finds the process" $? \
	"exit $rc, row '$row'; stderr: $(head -c 300 "$tmp/report.err"); report: $(head -c 500 "$tmp/report.csv")"

# Without the recipe's chmod (mktemp -d's 0700), nobody cannot read it.
chmod 700 "$snap"
"$bin" -r "$tmp/cap.pcap" --proc-root "$snap" --csv >"$tmp/report.csv" 2>"$tmp/report.err"
! grep -q "^$server," "$tmp/report.csv" && grep -q 'warning' "$tmp/report.err"
check "a snapshot only root may enter is not read, and said so" $? \
	"report: $(head -c 300 "$tmp/report.csv"); stderr: $(head -c 300 "$tmp/report.err")"
rm -rf "$snap"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
