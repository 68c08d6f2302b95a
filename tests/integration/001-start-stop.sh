#!/bin/bash
# reclaimd starts on built-in defaults in a fresh state directory, lays out its arena, tells
# systemd READY=1, and on SIGTERM says STOPPING=1 and exits 0.
set -u
. "$top_srcdir/tests/lib/tap.sh"
plan 5

tmp=$(mktemp -d)
TAP_TRANSCRIPT=$tmp/transcript
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=

coproc RN { exec "$RUN_NOTIFY" --timeout 60 "$tmp/notify" "$RECLAIMD" --arena 16M --nodes 2 \
	--state-dir "$tmp/state" --socket "$tmp/state/sock" 2>"$tmp/stderr"; }
exec {out}<&"${RN[0]}"

expect_line "$out" '^pid=[0-9]+$' && pid=${LINE#pid=}
check "daemon lays out 16 MiB as 4096 frames on 2 nodes" \
	expect_line "$out" '^arena: 16777216 bytes, 4096 frames of 4096 bytes, 2 nodes'
check "daemon reports READY=1" expect_line "$out" '^READY=1$'
check "state directory was created" test -d "$tmp/state"
kill -TERM "$pid"
check "SIGTERM leads to STOPPING=1" expect_line "$out" '^STOPPING=1$'
check "daemon exits 0 after SIGTERM" expect_line "$out" '^exit=0$'

if ! tap_done; then
	echo "# transcript:"; sed 's/^/#   /' "$TAP_TRANSCRIPT"
	echo "# stderr:"; sed 's/^/#   /' "$tmp/stderr"
fi
tap_done
