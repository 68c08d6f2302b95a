#!/bin/bash
# A client that keeps large requests in flight never loses its connection or a byte (issue
# 10): two clients each write a 48 MiB region of a 32 MiB arena in 128 KiB requests, 4 and 8
# in flight, then read it back and compare, pass after pass, for a few seconds.
#
# The daemon runs with a NOTIFY_SOCKET nobody listens on (a daemon that outlived the manager
# that started it), so every status change leaves ENOENT in the event loop thread's errno.
# Before the fix, a write-readiness event that found the answers already sent by a call's
# completion called evbuffer_write on an empty buffer, which returns -1 without setting errno,
# and the stale errno closed the connection in the middle of the client's stream.
set -u
. "$top_srcdir/tests/lib/tap.sh"
plan 4

PIPELINE=$top_builddir/tests/lib/pipeline
tmp=$(mktemp -d)
sock=$tmp/sock
pid=
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT

NOTIFY_SOCKET=$tmp/nobody-listens "$RECLAIMD" --arena 32M --swap 256M --workers 4 \
	--state-dir "$tmp/state" --data-dir "$tmp/data" --socket "$sock" 2>"$tmp/stderr" &
pid=$!
# Ready when it answers: poll, bounded (no READY=1 can reach us here).
for _ in $(seq 300); do
	"$RECLAIMCTL" --socket "$sock" status >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
check "reclaimd serves with a NOTIFY_SOCKET nobody listens on" \
	"$RECLAIMCTL" --socket "$sock" status

"$PIPELINE" "$sock" 48 4 4 >"$tmp/out.4" 2>&1 &
p4=$!
"$PIPELINE" "$sock" 48 8 4 >"$tmp/out.8" 2>&1
r8=$?
wait "$p4"
r4=$?
for d in 4 8; do
	echo "# depth $d: $(tail -n 1 "$tmp/out.$d")"
done
check "4 requests in flight: every answer arrives and every byte reads back" test "$r4" -eq 0
check "8 requests in flight: every answer arrives and every byte reads back" test "$r8" -eq 0

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "reclaimd stops cleanly (exit $rc)" test "$rc" -eq 0
tap_done || sed 's/^/# stderr: /' "$tmp/stderr"
tap_done
