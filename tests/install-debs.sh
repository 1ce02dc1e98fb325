#!/bin/sh
# Install the Debian packages named as arguments that are not installed yet.
# Needs root (or sudo); says what it does; exits non-zero if it cannot.
# Those also named in $OPTIONAL_DEBS may fail to install: the others are
# installed without them, a note says so, and their tests skip.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "proctraf: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture (a setuid
# dumpcap): no, without a question.
case " $missing " in
*" wireshark-common "* | *" tshark "*)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		$sudo debconf-set-selections
	;;
esac
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $missing >/dev/null 2>&1 ||
	{ $sudo apt-get update -qq && $sudo apt-get install -y -qq $missing; } && exit 0
required=
optional=
for p in $missing; do
	case " $OPTIONAL_DEBS " in
	*" $p "*) optional="$optional $p" ;;
	*) required="$required $p" ;;
	esac
done
[ -n "$optional" ] || exit 1
echo "proctraf: could not install$optional: the tests that need them are skipped" >&2
[ -z "$required" ] && exit 0
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $required
