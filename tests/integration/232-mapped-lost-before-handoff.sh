#!/bin/bash
# A region freed while the daemon hands its mapping over (MapRegion on one connection, the
# end of the region's own connection on another, attack14 #1): the client is told, by the
# end of that mapping's notice channel once its handoff is in (loss_notice). Its
# stores get SIGSEGV with the library's message, never block for ever, and the fault thread
# does not spin on a fault nobody serves. The window between the mapping prepared and its
# answer sent is microseconds wide; the daemon's test hook RECLAIMD_TEST_MAP_WAIT_LOST holds
# the answer until the region is lost, so the free lands in it every time. A RegionFree in
# that window is refused (the region is mapped, attack15 #3): it changes nothing.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_without_userfaultfd
plan 12

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# The fault thread's epoll_waits so far: each of its sleeps and busy polls is one.
fault_waits() {
	ctl --json status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["fault_waits"] + d["fault_polls"])'
}
gone() { ! kill -0 "$1" 2>/dev/null; }

RECLAIMD_TEST_MAP_WAIT_LOST=1 start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
# The region is its holder's (not persistent): it goes when the holder's connection does.
hold_region
waits0=$(fault_waits)
timeout 120 "$MAP_CLIENT" "$sock" store "$rid" >"$tmp/out" 2>"$tmp/err" {hold}>&- &
client=$!	# timeout's: it dies as its command did
check "the answer to MapRegion waits with region $rid prepared" \
	wait_line "$tmp/stderr" "test: region $rid prepared for connection [0-9]+: its answer waits" 60
out=$(ctl free "$rid" 2>&1)
check "a RegionFree meanwhile is refused: BUSY, the region is mapped" \
	grep -q "region free: region $rid is mapped by connection [0-9]*: unmap it there first" \
	<<<"$out"
hold_region_end
region_gone() { ctl info "$rid" 2>&1 | grep -q "no region $rid"; }
check "the region's own connection ends meanwhile, and the region with it" \
	until_true 30 region_gone
check "the client's map goes through" wait_line "$tmp/out" '^mapped 65536$' 60
# Before the fix the client blocked in its first store for ever: bounded here, then killed.
check "its stores end, not block" until_true 30 gone "$client"
hung=no
gone "$client" || { hung=yes; waits1=$(fault_waits); kill -TERM "$client"; }
wait "$client"
rc=$?
check "... with SIGSEGV (exit $rc)" test "$rc" = 139
check "... having stored nothing" bash -c '! grep -q "^stored" "$0"' "$tmp/out"
check "... and the library says why" \
	grep -q "reclaimd: mapped region $rid lost: reclaimd dropped it (its region OOM-killed or freed, or reclaimd gone)" \
	"$tmp/err"
check "... the daemon ending that mapping alone once its handoff came in" \
	grep -q "region $rid went away while its mapping was handed over: ending that mapping alone" \
	"$tmp/stderr"
# A spinning fault thread makes millions of epoll_waits in the seconds above; one that
# sleeps makes a few (the map, the reaping of the mapping).
[ "$hung" = yes ] || waits1=$(fault_waits)
check "the fault thread does not spin meanwhile ($((waits1 - waits0)) epoll_waits)" \
	test "$((waits1 - waits0))" -lt 1000
stop_daemon
check "the daemon stops cleanly (exit ${EXIT:-none})" test "${EXIT:-}" = 0

finish
