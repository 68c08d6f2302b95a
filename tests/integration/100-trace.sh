#!/bin/bash
# reclaimctl trace: the reclaim trace points of a loaded daemon, as text and as JSON, only the
# ones asked for, and an unknown name refused.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 6

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
id=$(ctl alloc 24M)

# Start the tracers, then load the daemon until both have their events (bounded rounds:
# each rewrites a region half again as large as the arena, so reclaim runs every time).
ctl trace --count 5 mm_vmscan_lru_shrink_inactive >"$tmp/trace.txt" 2>"$tmp/trace.err" &
text_pid=$!
ctl --json trace --count 3 mm_vmscan_lru_isolate >"$tmp/trace.json" 2>&1 &
json_pid=$!
for round in $(seq 1 30); do
	kill -0 "$text_pid" 2>/dev/null || kill -0 "$json_pid" 2>/dev/null || break
	ctl touch "$id" --write >/dev/null
done
wait "$text_pid"; text_rc=$?
wait "$json_pid"; json_rc=$?

check "trace --count 5 ends by itself, exit 0" test "$text_rc" = 0
check "... five lines of the one trace point asked for, with its fields" \
	test "$(grep -Ec '^[0-9]+\.[0-9]{9} mm_vmscan_lru_shrink_inactive: .*nr_scanned=[0-9]+' "$tmp/trace.txt")" = 5
check "trace --json: three valid JSON events" \
	python3 -c 'import json, sys; ev = [json.loads(l) for l in open(sys.argv[1])]; assert len(ev) == 3 and all(e["name"] == "mm_vmscan_lru_isolate" and "nr_taken" in e for e in ev), ev' "$tmp/trace.json"
test "$json_rc" = 0 || echo "# json trace exit $json_rc"
ctl trace --count 1 no_such_tracepoint >/dev/null 2>"$tmp/err"; rc=$?
check "an unknown trace point is refused, exit non-zero" test "$rc" -ne 0
echo "# $(cat "$tmp/err")"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
