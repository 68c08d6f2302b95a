#!/bin/bash
# PSI triggers on the socket API (Subscribe EVENT_PSI, `reclaimctl pressure --trigger`): the
# same trigger as systemd's pressure sockets take, checked by the same code. Events arrive
# under pressure on the memcg watched, none while it is idle nor for an idle sibling, never
# two within one window; triggers that do not parse or are out of the kernel's limits are
# refused with the reason, and the daemon keeps serving.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 20

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# refused STATUS PATTERN ARGS...: reclaimctl exits STATUS and says PATTERN on stderr.
refused() {
	local want=$1 pattern=$2 rc
	shift 2
	ctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$tmp/err"; then return 0; fi
	echo "# exit $rc, stderr: $(cat "$tmp/err")"
	return 1
}
# gaps_at_least FILE NS: the events of FILE (JSON lines) at least NS apart in monotonic_ns.
gaps_at_least() {
	grep -o '"monotonic_ns":[0-9]*' "$1" | cut -d: -f2 |
		awk -v min="$2" '{ if (n++ && $1 - last < min) bad = 1; last = $1 } END { exit bad }'
}
events() { grep -c '"memcg"' "$1"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /hot --max 4M >/dev/null
ctl memcg create /idle-one --max 4M >/dev/null

check "a trigger that does not parse is refused with INVALID_ARGUMENT (1), saying why" \
	refused 1 "trigger 'sometimes 10 20': want \"some\|full STALL_USEC WINDOW_USEC\"" \
	pressure --trigger 'sometimes 10 20' --memcg /hot
check "a window beyond the kernel's 10 s is refused, naming the range" \
	refused 1 'the window is not within 500000..10000000 usec' \
	pressure --trigger 'some 10000 20000000' --memcg /hot
check "a window under 500 ms is refused" \
	refused 1 'the window is not within 500000..10000000 usec' \
	pressure --trigger 'full 1000 400000'
check "a stall of 0 or above the window is refused" \
	eval "refused 1 'the stall is not within 1..WINDOW_USEC usec' pressure --trigger 'some 0 1000000' &&
	      refused 1 'the stall is not within 1..WINDOW_USEC usec' pressure --trigger 'full 2000000 1000000'"
check "trailing junk and an empty trigger are refused" \
	eval "refused 1 'want' pressure --trigger 'some 1000 1000000 x' &&
	      refused 1 'want' pressure --trigger ''"
check "a trigger cut by a newline is refused on one line, quoted up to the newline" \
	eval "refused 1 \"^reclaimctl: subscribe: trigger 'some 1\\.\\.\\.': want\" \
		pressure --trigger \$'some 1\\n500000' && test \$(wc -l <\"\$tmp/err\") = 1"
check "a memcg that does not exist is NOT_FOUND (2)" \
	refused 2 'no memcg /nope' pressure --trigger 'some 10000 1000000' --memcg /nope
check "... and the daemon keeps serving" eval 'ctl status >/dev/null'

# Idle: a 1 s window, a 10 ms threshold; nothing stalls, so nothing may come in 2.5 windows.
timeout 2.5 "$RECLAIMCTL" --socket "$sock" --json pressure --trigger 'some 10000 1000000' \
	--memcg /hot >"$tmp/quiet" 2>"$tmp/quiet.err"
check "no event in 2.5 windows while /hot is idle (and the stream was up: killed by timeout)" \
	test $? = 124 -a ! -s "$tmp/quiet" -a ! -s "$tmp/quiet.err"

# Pressure on /hot: 12M written over and over through a 4M memory.max, bounded in rounds
# and time, while /hot, its idle sibling and the root (whose PSI includes /hot's) are watched.
id=$(ctl alloc 12M --memcg /hot)
watch_for() {
	timeout 8 "$RECLAIMCTL" --socket "$sock" --json pressure --trigger "$2" "${@:3}" \
		>"$tmp/$1.events" 2>"$tmp/$1.err"
}
watch_for hot 'some 10000 1000000' --memcg /hot &
hot_pid=$!
watch_for idle 'some 10000 1000000' --memcg /idle-one &
idle_pid=$!
watch_for root 'full 10000 2000000' &
root_pid=$!
watch_for count 'some 10000 1000000' --memcg /hot --count 2 &
count_pid=$!
(
	end=$((SECONDS + 10))
	for _ in $(seq 400); do
		[ "$SECONDS" -lt "$end" ] || break
		ctl touch "$id" --write >/dev/null || break
	done
) &
driver=$!
wait "$hot_pid" "$idle_pid" "$root_pid"
wait "$count_pid"
count_rc=$?
wait "$driver"
echo "# /hot under pressure for 8 s:"; sed 's/^/#   /' "$tmp/hot.events"
echo "# /idle-one meanwhile: $(cat "$tmp/idle.events" "$tmp/idle.err")"
echo "# / (full, 2 s window): $(events "$tmp/root.events") events"
check "under pressure on /hot its subscriber gets events" test "$(events "$tmp/hot.events")" -ge 2
check "... never two within one 1 s window (sample times)" \
	gaps_at_least "$tmp/hot.events" 1000000000
check "... no more than 8 s of windows hold (9)" test "$(events "$tmp/hot.events")" -le 9
check "... each names /hot, some, the trigger, and a growth of at least the threshold" \
	awk -F'[,:{}]' '{ ok = /"memcg":"\/hot"/ && /"kind":"some"/ && /"stall_usec":10000,/ &&
			   /"window_usec":1000000,/; match($0, /"growth_usec":[0-9]+/);
			   g = substr($0, RSTART + 14, RLENGTH - 14) + 0;
			   if (!ok || g < 10000) bad = 1 } END { exit bad || NR == 0 }' \
	"$tmp/hot.events"
check "the subscriber of an idle sibling memcg gets none" \
	test ! -s "$tmp/idle.events" -a ! -s "$tmp/idle.err"
check "a full trigger on the root sees /hot's stalls, at most one per 2 s window" \
	eval 'test "$(events "$tmp/root.events")" -ge 1 && gaps_at_least "$tmp/root.events" 2000000000 &&
	      grep -q "\"memcg\":\"/\",\"kind\":\"full\"" "$tmp/root.events"'
check "--count 2 exits 0 after exactly two events" \
	test "$count_rc" = 0 -a "$(events "$tmp/count.events")" = 2

# The human form: one timestamped line per event.
ctl pressure --trigger 'some 1 1000000' --memcg /hot --count 1 >"$tmp/line" &
line_pid=$!
for _ in $(seq 40); do ctl touch "$id" --write >/dev/null || break; [ -s "$tmp/line" ] && break; done
wait "$line_pid"
echo "# $(cat "$tmp/line")"
check "the plain form prints one timestamped line per event" \
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}[+-][0-9]{4} /hot some stalled [0-9]+ usec in 1000000 usec \(threshold 1\), total [0-9]+ usec$' "$tmp/line"

check "the daemon still serves after all those subscribers came and went" \
	eval 'ctl status >/dev/null && ctl pressure /hot >/dev/null'
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
