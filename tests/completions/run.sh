#!/bin/sh
# Shell completion tests:  run.sh [DIR]
#
# Drives the real shells over the checks in "cases" (its header says how
# to read them) with the completion files in DIR (default: the repository's
# completions/; DIR holds proctraf.bash, _proctraf and proctraf.fish):
#   bash  bash-completion and proctraf.bash, COMP_WORDS & co. set, the
#         completion function called, COMPREPLY read (bash-driver.bash);
#   zsh   an interactive "zsh -f" on a pseudo-terminal with compinit and
#         _proctraf in $fpath, the listed matches read (zsh-driver.zsh);
#   fish  "complete -C" with proctraf.fish sourced (fish-driver.fish).
# No rc file is read; HOME and the XDG directories are a temporary
# directory, removed at the end with everything else.  Prints one line
# per check ("ok SHELL: NAME" or "FAIL SHELL: NAME: why"), "SKIP: ..." for
# a shell that is not installed (its checks count neither way), then
# "N passed, N failed"; exits 1 if any failed.
#
# To see which checks older completion files fail:
#   d=$(mktemp -d); for f in proctraf.bash _proctraf proctraf.fish; do
#   git show REV:completions/$f >"$d/$f"; done; sh tests/completions/run.sh "$d"
if [ $# -gt 1 ]; then
	echo "usage: run.sh [DIR]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd) || exit 1
dir=${1:-$here/../../completions}
dir=$(cd "$dir" && pwd) || exit 1

tmp=$(mktemp -d) || exit 1
sleeper=
cleanup() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# What the completions see: known files and directories to complete, a
# process named "sleep" for the pid and process-name checks.
mkdir -p "$tmp/work/dA/sub" "$tmp/work/dB" "$tmp/home" "$tmp/zfunc" \
	"$tmp/run" || exit 1
chmod 700 "$tmp/run"
: >"$tmp/work/f1.pcap"
: >"$tmp/work/f2.pcapng"
: >"$tmp/work/m1.prom"
sleep 60 &
sleeper=$!
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" \
	XDG_DATA_HOME="$tmp/home/.local/share" XDG_CACHE_HOME="$tmp/home/.cache" \
	XDG_RUNTIME_DIR="$tmp/run" LC_ALL=C COLUMNS=80 LINES=24
unset BASH_ENV ENV ZDOTDIR BASH_COMPLETION_USER_DIR
have_ps=1
command -v ps >/dev/null 2>&1 || have_ps=

limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 20"

# The cases as NAME<TAB>SHELLS<TAB>LINE<TAB>EXPECTATIONS.
awk '
/^[ \t]*(#|$)/ { next }
{
	q1 = index($0, "\"")
	rest = substr($0, q1 + 1)
	q2 = index(rest, "\"")
	if (!q1 || !q2) { print "cases: bad line: " $0 > "/dev/stderr"; exit 1 }
	split(substr($0, 1, q1 - 1), head, " ")
	printf "%s\t%s\t%s\t%s\n", head[1], head[2], substr(rest, 1, q2 - 1), substr(rest, q2 + 1)
}' "$here/cases" >"$tmp/cases" || exit 1

passed=0
failed=0

# check SHELL LETTER: run the driver over the shell's cases and judge.
check() {
	shell=$1
	letter=$2
	awk -F '\t' -v l="$letter" 'index($2, l)' "$tmp/cases" >"$tmp/$shell.cases"
	cut -f 3 "$tmp/$shell.cases" >"$tmp/$shell.lines"
	case $shell in
	bash)
		$limit bash --norc --noprofile "$here/bash-driver.bash" \
			"$dir/proctraf.bash" "$tmp/work" ;;
	zsh)
		cp "$dir/_proctraf" "$tmp/zfunc/_proctraf" &&
			$limit zsh -f "$here/zsh-driver.zsh" "$tmp/zfunc" "$tmp/work" ;;
	fish)
		$limit fish --no-config "$here/fish-driver.fish" \
			"$dir/proctraf.fish" "$tmp/work" ;;
	esac <"$tmp/$shell.lines" >"$tmp/$shell.out" 2>"$tmp/$shell.err"
	rc=$?
	awk -F '\t' -v shell="$shell" -v rc="$rc" -v pid="$sleeper" \
		-v have_ps="$have_ps" -v err="$tmp/$shell.err" '
	# The cases, then the driver output: "@@ LINE" opens case n+1.
	FNR == NR { n++; name[n] = $1; line[n] = $3; expect[n] = $4; next }
	/^@PID@ / { pid = substr($0, 7); next }
	/^@@ / { i++; ran[i] = 1; next }
	i > 0 && /^#/ { head[i] = head[i] "\n" $0; next }
	i > 0 { c = $0; sub(/\/$/, "", c); cand[i, c] = 1; list[i] = list[i] " " c; next }

	# Whether word w is offered in case i (zsh may leave out the prefix).
	function offered(i, w) {
		if ((i, w) in cand) return 1
		return pre != "" && index(w, pre) == 1 && ((i, substr(w, length(pre) + 1)) in cand)
	}
	END {
		for (i = 1; i <= n; i++) {
			why = ""
			if (expect[i] ~ /(^| )needs:ps( |$)/ && !have_ps) {
				print "SKIP: " shell ": " name[i] ": no ps"
				continue
			}
			if (!(i in ran)) {
				print "FAIL " shell ": " name[i] ": driver failed (exit " rc ")"
				while ((getline e < err) > 0) print "  " e
				close(err)
				continue
			}
			pre = ""
			if (shell == "zsh") {
				cw = line[i]
				sub(/.*[ \t]/, "", cw)
				if (match(cw, /.*[=,\/]/)) pre = substr(cw, 1, RLENGTH)
			}
			m = split(expect[i], tok, " ")
			exact = 0
			delete want
			for (k = 1; k <= m; k++) {
				x = tok[k]
				gsub(/@PID@/, pid, x)
				if (x == "exact") exact = 1
				else if (x == "empty") { if (list[i] != "") why = why "; offered" list[i] }
				else if (x ~ /^\+#/) {
					if (index(head[i], "\n" substr(x, 2)) == 0) why = why "; no heading " substr(x, 2)
				} else if (x ~ /^\+/) {
					want[substr(x, 2)] = 1
					if (!offered(i, substr(x, 2))) why = why "; missing " substr(x, 2)
				} else if (x ~ /^!/) {
					if (offered(i, substr(x, 2))) why = why "; offered " substr(x, 2)
				}
			}
			if (exact) {
				extra = ""
				split(substr(list[i], 2), got, " ")
				for (k in got)
					if (!(got[k] in want) && !((pre got[k]) in want))
						extra = extra " " got[k]
				if (extra != "") why = why "; unexpected" extra
			}
			if (why == "") print "ok " shell ": " name[i]
			else print "FAIL " shell ": " name[i] ": " substr(why, 3)
		}
	}' "$tmp/$shell.cases" "$tmp/$shell.out" >"$tmp/$shell.result"
	cat "$tmp/$shell.result"
	p=$(grep -c '^ok ' "$tmp/$shell.result")
	f=$(grep -c '^FAIL ' "$tmp/$shell.result")
	passed=$((passed + p))
	failed=$((failed + f))
}

# skip LETTER WHY: the shell's checks are not run, and count neither way.
skip() {
	n=$(awk -F '\t' -v l="$1" 'index($2, l)' "$tmp/cases" | wc -l)
	echo "SKIP: $2 ($((n)) checks not run)"
}

if ! command -v bash >/dev/null 2>&1; then
	skip b "bash not installed"
elif [ ! -r /usr/share/bash-completion/bash_completion ]; then
	skip b "bash-completion not installed"
else
	check bash b
fi
if ! command -v zsh >/dev/null 2>&1; then
	skip z "zsh not installed"
elif ! zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
	skip z "zsh module zsh/zpty not installed"
elif ! zsh -fc 'zmodload zsh/zpty && zpty t true && zpty -d t' 2>/dev/null; then
	skip z "zsh: no pseudo-terminal for zpty"
else
	check zsh z
fi
if ! command -v fish >/dev/null 2>&1; then
	skip f "fish not installed"
else
	check fish f
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
