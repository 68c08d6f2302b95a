#!/bin/bash
# --reclaim-policy: a bad name is refused before anything starts; the default daemon says
# two-list, one started with clock-pro (option or reclaimd.conf key) says clock-pro in status
# (text and JSON, from Hello) and in /metrics. `reclaimctl replay --compare` replays one trace
# on both, side by side: a loop of 600 pages in a 512-page memcg misses every access under
# two-list (no page is read twice while resident) and fewer under CLOCK-Pro, which keeps part
# of the loop hot; a cache larger than the loop misses only the footprint under both. The
# CLOCK-Pro daemon's own trace points reach `reclaimctl trace`.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is missing"; exit 77; }
plan 18

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
ctl2() { "$RECLAIMCTL" --socket "$tmp/sock2" "$@"; }
port=$(free_port)
http() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%s\r\n\r\n" "$1" >&3 &&
		cat <&3' "$port" "$1"
}

out=$("$RECLAIMD" --arena 4M --swap 0 --state-dir "$tmp/s0" --data-dir "$tmp/d0" \
	--socket "$tmp/sock0" --reclaim-policy lru 2>&1); rc=$?
check "--reclaim-policy lru: exit non-zero, naming the choices" \
	bash -c 'test "$0" != 0 && grep -q "want two-list or clock-pro" <<<"$1"' "$rc" "$out"
check "... and nothing was started (no socket)" test ! -e "$tmp/sock0"

start_daemon --deterministic && ok "default daemon is READY" || not_ok "default daemon is READY"
check "status says reclaim policy two-list" grep -q "reclaim policy two-list" <<<"$(ctl status)"

# The second daemon, CLOCK-Pro, beside it; ready when it answers (bounded).
"$RECLAIMD" --arena 16M --swap 64M --deterministic --reclaim-policy clock-pro \
	--metrics-listen "127.0.0.1:$port" --state-dir "$tmp/s2" --data-dir "$tmp/d2" \
	--socket "$tmp/sock2" 2>"$tmp/stderr2" &
pid2=$!
for i in $(seq 100); do ctl2 status >/dev/null 2>&1 && break; sleep 0.1; done
check "daemon with --reclaim-policy clock-pro answers" ctl2 status
check "status says reclaim policy clock-pro" grep -q "reclaim policy clock-pro" <<<"$(ctl2 status)"
check "status --json carries \"reclaim_policy\":\"clock-pro\"" \
	grep -q '"reclaim_policy":"clock-pro"' <<<"$(ctl2 --json status)"
check "/metrics: reclaimd_reclaim_policy_info{policy=\"clock-pro\"} 1" \
	grep -q '^reclaimd_reclaim_policy_info{policy="clock-pro"} 1' <<<"$(http "GET /metrics HTTP/1.0")"

for p in 1 2 3 4 5; do seq 0 599; done >"$tmp/loop.txt"
text=$(ctl replay "$tmp/loop.txt" --format text --cache 2M,4M --compare "$tmp/sock2")
check "replay --compare: one column per daemon, named by its policy" \
	grep -Eq '^ +cache_KiB +accesses +two-list +ratio +clock-pro +ratio$' <<<"$text"
json=$(ctl --json replay "$tmp/loop.txt" --format text --cache 2M,4M --compare "$tmp/sock2")
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[int(sys.argv[1])]["results"][int(sys.argv[2])][sys.argv[3]])' "$@" <<<"$json"; }
check "--json: each size has both daemons' results, two-list first" \
	test "$(field 0 0 reclaim_policy) $(field 0 1 reclaim_policy)" = "two-list clock-pro"
check "a 600-page loop in 2M (512 pages): two-list misses all 3000 accesses" \
	test "$(field 0 0 misses)" = 3000
check "... CLOCK-Pro misses fewer" test "$(field 0 1 misses)" -lt 3000
check "in 4M both miss only the footprint, 600" \
	test "$(field 1 0 misses) $(field 1 1 misses)" = "600 600"
check "the text table says the same" \
	grep -Eq "^ +2048 +3000 +3000 +1.0000 +$(field 0 1 misses) " <<<"$text"
# The policy's own trace points, through the daemon: a hot page of the loop that hand_hot
# turns cold (bounded rounds of the same replay until the tracer has its event).
ctl2 trace --count 1 clockpro_demote >"$tmp/trace.txt" 2>"$tmp/trace.err" &
trace_pid=$!
for round in $(seq 1 20); do
	kill -0 "$trace_pid" 2>/dev/null || break
	ctl2 replay "$tmp/loop.txt" --format text --cache 2M >/dev/null
done
kill "$trace_pid" 2>/dev/null
wait "$trace_pid"; trace_rc=$?
check "trace clockpro_demote: one event, exit 0" test "$trace_rc" = 0
check "... named clockpro_demote, with its fields" \
	grep -Eq '^[0-9]+\.[0-9]{9} clockpro_demote: .*=' "$tmp/trace.txt"
test "$trace_rc" = 0 || echo "# trace exit $trace_rc: $(cat "$tmp/trace.err")"
ctl2 shutdown >/dev/null 2>&1
wait "$pid2"; rc2=$?
stop_daemon
check "both daemons exit 0" test "$EXIT" = 0 -a "$rc2" = 0

printf 'reclaim-policy = clock-pro\n' >"$tmp/reclaimd.conf"
start_daemon -c "$tmp/reclaimd.conf" >/dev/null
check "the reclaimd.conf key: status says reclaim policy clock-pro" \
	grep -q "reclaim policy clock-pro" <<<"$(ctl status)"
stop_daemon
finish
