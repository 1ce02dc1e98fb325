#!/bin/sh
# The Makefile's promises: `make` only builds (it installs no package),
# `make install` puts every file where README.md says, `make install-strip`
# installs a binary without its symbols, `make uninstall` removes them.
#   tests/build/run.sh        (from anywhere; uses the tree it is in)
# Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

check() {	# NAME CONDITION-STATUS WHY
	if [ "$2" -eq 0 ]; then
		echo "ok $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1: $3"
		failed=$((failed + 1))
	fi
}

# What plain make would run, without running it: no installer.
make -n -B all >"$tmp/dry" 2>&1
! grep -Eq 'install-debs|apt-get|dpkg' "$tmp/dry"
check "make only builds" $? "$(grep -E 'install-debs|apt-get|dpkg' "$tmp/dry" | head -n 2)"
make -n -B run >"$tmp/dry" 2>&1
grep -q 'install-debs' "$tmp/dry"
check "make run installs what is missing" $? "no install-debs in make -n run"
make -n -B check >"$tmp/dry" 2>&1
grep -q 'install-debs' "$tmp/dry"
check "make check installs what is missing" $? "no install-debs in make -n check"

files="bin/proctraf share/man/man1/proctraf.1 share/bash-completion/completions/proctraf
share/zsh/site-functions/_proctraf share/fish/vendor_completions.d/proctraf.fish"
make -s install PREFIX=/opt/pt DESTDIR="$tmp/a" >"$tmp/log" 2>&1
rc=$?
missing=
for f in $files; do [ -f "$tmp/a/opt/pt/$f" ] || missing="$missing $f"; done
[ "$rc" -eq 0 ] && [ -z "$missing" ]
check "make install" $? "exit $rc, missing:$missing $(tail -n 2 "$tmp/log")"

# A stripped binary has no symbol table; the plain install keeps one.
make -s install-strip PREFIX=/opt/pt DESTDIR="$tmp/b" >"$tmp/log" 2>&1
rc=$?
if command -v readelf >/dev/null 2>&1; then
	readelf -S "$tmp/a/opt/pt/bin/proctraf" | grep -q '\.symtab' &&
		! readelf -S "$tmp/b/opt/pt/bin/proctraf" | grep -q '\.symtab' && [ "$rc" -eq 0 ]
	check "make install-strip: no symbol table" $? "exit $rc $(tail -n 2 "$tmp/log")"
	"$tmp/b/opt/pt/bin/proctraf" -V >/dev/null
	check "the stripped binary runs" $? "-V failed"
else
	echo "SKIP: make install-strip: no readelf (binutils) to look at the binary"
fi

make -s uninstall PREFIX=/opt/pt DESTDIR="$tmp/a" >"$tmp/log" 2>&1
left=
for f in $files; do [ -e "$tmp/a/opt/pt/$f" ] && left="$left $f"; done
[ -z "$left" ]
check "make uninstall" $? "left:$left"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
