#!/bin/bash
# Mapped regions (issue 14): the fault thread busy-polls (--fault-poll-usecs). After serving a
# fault it looks for the next one without sleeping for a window, starting again with each
# fault found, so a client whose faults keep coming is served without the thread going back
# to epoll_wait: counted on the daemon's own counters (status --json: fault_waits,
# fault_polls, fault_poll_hits), not timed. The window adapts below the budget
# (daemon/fault-poll.h): it starts closed and doubles from 10 us with each sleep that a fault
# ended within the budget. The budget here is 1 s, so that every sleep of this client's
# (faults raised as soon as the one before is answered) opens it further: after at most 17
# doublings it is the whole second and each fault falls in it on any machine. With 0 the
# thread never polls and waits once a fault. The budget is in status; the default is 50.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_without_userfaultfd
plan 19

PAGES=64
ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# "WAITS POLLS HITS BUDGET WINDOW" from status --json.
counters() {
	ctl --json status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["fault_waits"], d["fault_polls"], d["fault_poll_hits"], d["fault_poll_usecs"],
      d["fault_poll_window_usecs"])'
}
vmstat() { ctl stat vmstat | awk -v k="$1" '$1 == k { print $2 }'; }

# touch: PAGES first-touch faults from one client thread, the counters around them.
touch_pages() {
	read -r w0 p0 h0 budget window <<<"$(counters)"
	f0=$(vmstat pgfault)
	timeout 120 "$MAP_CLIENT" "$sock" touch "$PAGES" >"$tmp/touch" 2>&1
	rc=$?
	read -r w1 p1 h1 budget window <<<"$(counters)"
	faults=$(($(vmstat pgfault) - f0))
	waits=$((w1 - w0)); polls=$((p1 - p0)); hits=$((h1 - h0))
	echo "# budget $budget us (window $window): $faults faults, $waits waits, $polls polls, $hits found faults"
}

# ---- a budget of 1 s ------------------------------------------------------------------
port=$(free_port)
start_daemon --fault-poll-usecs 1000000 --metrics-listen "127.0.0.1:$port" && ok "daemon (busy-poll 1 s) is READY" ||
	not_ok "daemon (busy-poll 1 s) is READY"
touch_pages
if [ "$rc" = 77 ]; then
	sed 's/^/# /' "$tmp/touch"
	echo "1..0 # SKIP no userfaultfd for mapped regions here"
	exit 77
fi
check "a client touched $PAGES pages of a mapped region, each read back" \
	grep -qx "touched $PAGES" "$tmp/touch"
check "... each a fault the daemon served ($faults)" test "$faults" -ge "$PAGES"
check "status --json says the budget is 1000000 us" test "$budget" = 1000000
check "... and that the window opened ($window us)" test "$window" -gt 0
check "the status text says so, with the window" \
	grep -Eqx 'mapped faults: busy-poll up to 1000000 usecs after each \(window now [0-9]+\)' \
	<<<"$(ctl status)"
# The first fault's sleep, one a doubling while the window opens (17 at most), one when it
# ends, one for the client's hang-up: every other fault was found by a poll.
check "the thread went back to epoll_wait at most 20 times ($waits)" test "$waits" -le 20
check "... every other fault was found by a poll ($hits of $((PAGES - 1)))" \
	test "$hits" -ge $((PAGES - 1 - 19))
# /metrics is a snapshot rendered once a second: poll for one that has the hits (bounded).
page=
for _ in $(seq 100); do
	page=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
		printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$port")
	[ "$(awk '$1 == "reclaimd_fault_poll_hits_total" { print $2 }' <<<"$page")" -ge "$hits" ] \
		2>/dev/null && break
	sleep 0.1
done
check "/metrics: the budget, the window opened, the thread's waits by how, and the polls that found faults" \
	bash -c 'grep -qx "reclaimd_fault_poll_seconds 1" <<<"$0" &&
		grep -Eq "^reclaimd_fault_poll_window_seconds [0-9.e-]*[1-9]" <<<"$0" &&
		grep -q "^reclaimd_fault_thread_waits_total{how=\"poll\"} [1-9]" <<<"$0" &&
		grep -q "^reclaimd_fault_thread_waits_total{how=\"wait\"} [0-9]" <<<"$0" &&
		[ "$(awk "\$1 == \"reclaimd_fault_poll_hits_total\" { print \$2 }" <<<"$0")" -ge "$1" ]' \
	"$page" "$hits"
stop_daemon
check "the daemon stops cleanly" test "$EXIT" = 0

# ---- 0: never polls -------------------------------------------------------------------
start_daemon --fault-poll-usecs 0 && ok "daemon (no busy-poll) is READY" ||
	not_ok "daemon (no busy-poll) is READY"
touch_pages
check "a client touched $PAGES pages of a mapped region, each read back" \
	grep -qx "touched $PAGES" "$tmp/touch"
check "status --json says the budget and the window are 0, the text that there is no busy-polling" \
	bash -c 'test "$0" = 0 && test "$1" = 0 && grep -qx "mapped faults: no busy-polling" <<<"$2"' \
	"$budget" "$window" "$(ctl status)"
check "with 0 the thread never polled ($polls polls, $hits found faults)" \
	bash -c 'test "$0" = 0 && test "$1" = 0' "$polls" "$hits"
check "... it waited in epoll_wait for each fault after the first ($waits of $((PAGES - 1)))" \
	test "$waits" -ge $((PAGES - 1))
stop_daemon
check "the daemon stops cleanly" test "$EXIT" = 0

# ---- the default: an adaptive window of at most 50 us ------------------------------------
start_daemon && ok "daemon (default) is READY" || not_ok "daemon (default) is READY"
check "by default the budget is 50 us, the window adaptive" \
	grep -Eqx 'mapped faults: busy-poll up to 50 usecs after each \(window now [0-9]+\)' \
	<<<"$(ctl status)"
stop_daemon
check "the daemon stops cleanly" test "$EXIT" = 0
finish
