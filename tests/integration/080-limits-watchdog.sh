#!/bin/bash
# Per-client limits (connections, regions, bytes) refuse with a clear status and change
# nothing; with WATCHDOG_USEC set, reclaimd pings the watchdog.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 11

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

export WATCHDOG_USEC=400000	# the daemon pings at half of it
start_daemon --max-client-connections 3 --max-client-regions 2 --max-client-bytes 1M \
	&& ok "daemon is READY" || not_ok "daemon is READY"
unset WATCHDOG_USEC
check "WATCHDOG=1 arrives while WATCHDOG_USEC is set" expect_line "$nfd" '^WATCHDOG=1$'

# Regions and bytes, per client uid.
a=$(ctl alloc 256K) && b=$(ctl alloc 256K)
check "two regions within the limits" test -n "$a" -a -n "$b"
out=$(ctl alloc 4K 2>&1); rc=$?
check "a third region is refused: the regions per client" test "$rc" -ne 0
check "... with a status naming the limit and its value" \
	grep -q 'uid 0 has 2 regions and raw allocations, the limit (max-client-regions 2)' <<<"$out"
ctl free "$b" >/dev/null
out=$(ctl alloc 900K 2>&1); rc=$?
check "a region past the bytes per client is refused, naming that limit" \
	bash -c '[ "$0" -ne 0 ] && grep -q "over the limit (max-client-bytes 1048576)" <<<"$1"' "$rc" "$out"
c=$(ctl alloc 256K)
check "within the limits again, a region is created" test -n "$c"

# Connections per client uid: two held open, the third is refused with a status.
coproc P1 { exec "$RCLC_PROBE" "$sock" idle pressure 16; }
p1=$P1_PID; exec {p1_in}>&"${P1[1]}" {p1_out}<&"${P1[0]}"
coproc P2 { exec "$RCLC_PROBE" "$sock" idle pressure 16; }
p2=$P2_PID; exec {p2_in}>&"${P2[1]}" {p2_out}<&"${P2[0]}"
expect_line "$p1_out" '^subscribed' && expect_line "$p2_out" '^subscribed'
coproc P3 { exec "$RCLC_PROBE" "$sock" idle pressure 16; }
p3=$P3_PID; exec {p3_in}>&"${P3[1]}" {p3_out}<&"${P3[0]}"
expect_line "$p3_out" '^subscribed'
out=$("$RCLC_PROBE" "$sock" hello 2>&1)
check "a fourth connection from the same uid is refused, saying why" \
	grep -q 'refused message=too many connections from uid 0: 3 open, max-client-connections is 3' <<<"$out"
out=$(ctl status 2>&1); rc=$?
shown=no
[ "$rc" -ne 0 ] && grep -q 'too many connections from uid 0' <<<"$out" && shown=yes
check "reclaimctl shows the refusal too, exiting non-zero" test "$shown" = yes
# Let the three go: each unsubscribes and exits; wait for them before counting again.
echo >&"$p1_in"; echo >&"$p2_in"; echo >&"$p3_in"
exec {p1_in}>&- {p2_in}>&- {p3_in}>&-
wait "$p1" "$p2" "$p3" 2>/dev/null
check "the daemon keeps serving after the limits were hit" ctl status

stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
