#!/bin/bash
# Bad input: each gets a clear status or a closed connection, the daemon keeps serving a
# client that stays connected throughout, and nothing changes.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 16

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

# The socket is opened to everyone so that a second client can drop to uid 65534.
start_daemon --socket-mode 0666 --max-frame 64K && ok "daemon is READY" ||
	not_ok "daemon is READY"

# A client connected before and after all the bad input, on one connection.
coproc WATCH { exec "$RCLC_PROBE" "$sock" repl; }
echo >&"${WATCH[1]}"
expect_line "${WATCH[0]}" '^code=OK$' && ok "a client stays connected" ||
	not_ok "a client stays connected"
pfn=$(ctl alloc-pages 1)
before=$(ctl stat buddyinfo; ctl stat meminfo)

out=$("$RCLC_PROBE" "$sock" oversize)
check "a frame over the limit: PROTOCOL_ERROR naming the sizes, then closed" \
	grep -qzE 'code=PROTOCOL_ERROR message=frame of 65537 bytes is over the limit of 65536 bytes.closed' <<<"$out"
out=$("$RCLC_PROBE" "$sock" garbage)
check "an undecodable frame: PROTOCOL_ERROR, then closed" \
	grep -qzE 'id=0 code=PROTOCOL_ERROR message=undecodable frame of 7 bytes.*closed' <<<"$out"
out=$("$RCLC_PROBE" "$sock" http)
check "bytes that are not frames: PROTOCOL_ERROR, then closed" \
	grep -qzE 'code=PROTOCOL_ERROR message=frame of [0-9]+ bytes is over the limit.*closed' <<<"$out"
check "a truncated frame: the client gets to close" \
	grep -q '^sent$' <<<"$("$RCLC_PROBE" "$sock" truncated)"
out=$("$RCLC_PROBE" "$sock" unknown)
check "an unknown message: UNSUPPORTED with its id, naming the field" \
	grep -q '^id=7 code=UNSUPPORTED message=unknown request (field 103)' <<<"$out"
check "... and the same connection keeps being served" \
	grep -q '^code=OK' <<<"$(tail -n +2 <<<"$out")"

out=$("$RCLC_PROBE" --uid 65534 "$sock" hello)
check "uid 65534 connects and is not an admin" grep -q 'uid=65534 admin=0$' <<<"$out"
out=$("$RCLC_PROBE" --uid 65534 "$sock" free "$pfn" 1)
check "uid 65534 cannot free root's pages: PERMISSION_DENIED naming the owner" \
	grep -q "^code=PERMISSION_DENIED message=free pages: pfn $pfn belongs to uid 0$" <<<"$out"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" \
	tunable set min_free_kbytes 1000 2>&1)
check "uid 65534 cannot set a tunable (reclaimctl exits 3)" \
	bash -c '[ $0 -eq 3 ] && grep -q "only root or the admin group" <<<"$1"' $? "$out"
setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" shutdown \
	2>/dev/null
check "uid 65534 cannot shut the daemon down" test $? -eq 3

after=$(ctl stat buddyinfo; ctl stat meminfo)
check "nothing changed: buddyinfo and meminfo are as before" test "$before" = "$after"
echo >&"${WATCH[1]}"
check "the client connected throughout is still answered" expect_line "${WATCH[0]}" '^code=OK$'
exec {WATCH[1]}>&-
ctl free-pages "$pfn" 1
check "root still frees its pages" test $? -eq 0

stop_daemon
check "the daemon exits 0, it never crashed" test "$EXIT" = 0
finish
