#!/bin/bash
# Subscriptions under load: a subscriber that never reads is told (Overflow) and dropped
# once its queue fills, while a subscriber that reads keeps receiving; the daemon's memory
# for a subscriber stays bounded by its queue and the output high-water mark.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 9

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"

coproc SLOW { exec "$RCLC_PROBE" "$sock" idle trace 1024; }
exec {slow_in}>&"${SLOW[1]}" {slow_out}<&"${SLOW[0]}"
coproc FAST { exec "$RCLC_PROBE" "$sock" events trace 65536; }
exec {fast_in}>&"${FAST[1]}" {fast_out}<&"${FAST[0]}"
check "a slow subscriber subscribes to trace events" expect_line "$slow_out" '^subscribed id=[0-9]+$'
check "a fast subscriber subscribes to trace events" expect_line "$fast_out" '^subscribed id=[0-9]+$'

# A region half again as large as the arena, written whole a few times: reclaim and swap
# throughout, thousands of trace events.
id=$(ctl alloc 24M)
for round in 1 2 3 4; do ctl touch "$id" --write >/dev/null; done
echo >&"$fast_in"
expect_line "$fast_out" '^events=' && first=$LINE
check "the fast subscriber received events and was not dropped" \
	grep -Eq '^events=[1-9][0-9]* overflow=0$' <<<"$first"

echo >&"$slow_in"
expect_line "$slow_out" '^events=' && slow=$LINE
check "the slow subscriber, reading at last, finds an Overflow after what it was sent" \
	grep -Eq '^events=[0-9]+ overflow=1 dropped=[1-9][0-9]*$' <<<"$slow"
check "... and its subscription is gone" expect_line "$slow_out" '^code=NOT_FOUND message=unsubscribe: no subscription'

ctl touch "$id" --write >/dev/null
echo >&"$fast_in"
expect_line "$fast_out" '^events=' && second=$LINE
check "the fast subscriber keeps receiving after the slow one was dropped" \
	test "${second%% *}" != "${first%% *}" -a "${second#* }" = "overflow=0"
check "the daemon logged the drop" grep -q 'fell behind, dropping it' "$tmp/stderr"
exec {fast_in}>&- {slow_in}>&-

stop_daemon
check "SIGTERM: exit 0" test "$EXIT" = 0
echo "# slow: $slow; fast: $first then $second"
finish
