#!/bin/bash
# One uid's connection churn must not hold the loop from the others. uid 65534 connects, says
# Hello and hangs up without reading, over and over from 4 processes, which keeps the
# listening socket's queue full; meanwhile uid 65533 runs `reclaimctl status`. Accepting until
# the queue was empty never ended then, and the sessions of uid 65533 were not read for
# seconds. What the daemon shows instead: no turn of its loop accepted more than 16
# connections (accept_turn_max), and the churn did keep more than that waiting (it reached
# 16), so every turn went on to read the sessions that were ready. The socket's queue is
# short (64), so that a newcomer is never behind thousands of another uid's connections.
# The memory-pressure sockets, which anyone may connect to, and the metrics endpoint are
# bounded the same way, all of them together: churn on two memcgs' pressure sockets at once
# keeps each turn to 16 for both. A connection that changed nothing leaves nothing to free, so
# the churn's hang-ups queue no cleanup job for the workers (connection_cleanups); one that
# leaves a region behind queues one.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_unless_setpriv
plan 13

BUDGET=16		# ACCEPT_BUDGET in daemon/accept-budget.h
BACKLOG=64		# ACCEPT_BACKLOG in daemon/server.c
CHURNERS=4
CHURNS=5000		# connections per churner
STATUSES=10

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# "ACCEPTED TURN_MAX LISTENERS_TURN_MAX" from status --json.
accepts() {
	ctl --json status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["connections_accepted"], d["accept_turn_max"], d["listeners_accept_turn_max"],
      d["connection_cleanups"])'
}
cleanups_are() { [ "$(accepts | cut -d' ' -f4)" = "$1" ]; }

# $STATUSES status calls as uid 65533: how many were answered, in $served.
statuses() {
	local i

	served=0
	for i in $(seq "$STATUSES"); do
		setpriv --reuid 65533 --regid 65533 --clear-groups "$RECLAIMCTL" --socket "$sock" \
			status >/dev/null && served=$((served + 1))
	done
}

start_daemon --socket-mode 0666 && ok "daemon is READY" || not_ok "daemon is READY"
if command -v ss >/dev/null; then
	check "the socket queues at most $BACKLOG connections" \
		bash -c 'ss -xlnH | awk -v s="$0" '\''$5 == s { print $4 }'\'' | grep -qx "$1"' \
		"$sock" "$BACKLOG"
else
	skip "the socket queues at most $BACKLOG connections" "no ss here"
fi

pids=
for i in $(seq "$CHURNERS"); do
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" churn "$CHURNS" >"$tmp/churn.$i" 2>&1 &
	pids="$pids $!"
done
statuses	# as uid 65533, while the churners run
check "uid 65533's $STATUSES status calls are all answered during the churn" \
	test "$served" = "$STATUSES"
wait $pids
churned=$(sed -n 's/^churned=\([0-9]*\) .*/\1/p' "$tmp"/churn.* | awk '{ n += $1 } END { print n + 0 }')
check "the churners made their connections ($churned of $((CHURNERS * CHURNS)))" \
	test "${churned:-0}" -ge $((CHURNERS * CHURNS / 2))

read -r accepted turn_max _ cleanups <<<"$(accepts)"
echo "# accepted $accepted, at most $turn_max in a turn"
check "every connection made was accepted ($accepted)" \
	test "${accepted:-0}" -ge "$((churned + served))"
check "no turn of the loop accepted more than $BUDGET connections ($turn_max)" \
	test "${turn_max:-999999}" -le "$BUDGET"
check "the churn kept more than a turn's $BUDGET waiting: the bound was met" \
	test "${turn_max:-0}" -eq "$BUDGET"
check "the churned connections, which changed nothing, queued no cleanup job ($cleanups)" \
	test "${cleanups:-x}" = 0
"$RCLC_PROBE" "$sock" region-close 1 >/dev/null
check "a connection that left a region behind queued one" until_true 10 cleanups_are 1
# Two memcgs' memory-pressure sockets, churned the same way, half the churners on each.
ctl memcg create /x >/dev/null
psi_root=$(ctl memcg watch-path / | sed -n 's/^MEMORY_PRESSURE_WATCH=//p')
psi_x=$(ctl memcg watch-path /x | sed -n 's/^MEMORY_PRESSURE_WATCH=//p')
pids=
for i in $(seq "$CHURNERS"); do
	if [ $((i % 2)) = 0 ]; then psisock=$psi_root; else psisock=$psi_x; fi
	timeout 120 "$RCLC_PROBE" --uid 65534 "$psisock" churn-psi "$CHURNS" >"$tmp/psi.$i" 2>&1 &
	pids="$pids $!"
done
statuses	# as uid 65533, while the churners run
wait $pids
check "uid 65533's status calls are all answered during churn on a pressure socket" \
	test "$served" = "$STATUSES"
read -r _ _ psi_max _ <<<"$(accepts)"
echo "# the pressure sockets: at most $psi_max in a turn, both together"
check "no turn accepted more than $BUDGET connections on the two pressure sockets ($psi_max)" \
	test "${psi_max:-999999}" -le "$BUDGET"
check "... and the churn reached the bound there" test "${psi_max:-0}" -eq "$BUDGET"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
