#!/bin/sh
# Live tests (root): see live.py. Usage: tests/live/run.sh BINARY
exec python3 "$(dirname "$0")/live.py" "$@"
