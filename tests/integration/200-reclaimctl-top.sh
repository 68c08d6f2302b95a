#!/bin/bash
# reclaimctl top: one frame (--once, or stdout not a terminal) shows the daemon's own figures
# (status's memory and swap, memcg list's usage, pressure's level) and reclaim rates, global
# and each memcg's own (STEAL/s, from its memory.stat), that are 0 at rest and not under load;
# on a terminal it takes the alternate screen and gives it back when q or Ctrl-C quits it.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 14

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /hot --max 4M >/dev/null
id=$(ctl alloc 12M --memcg /hot)
ctl touch "$id" --write >/dev/null

# A line's Nth field, from the frame in $frame.
field() { awk -v k="$1" -v n="$2" '$1 == k { print $n; exit }' <<<"$frame"; }
json() { python3 -c 'import json, sys; print(eval(sys.argv[1], {"j": json.loads(sys.argv[2])}))' "$@"; }

frame=$(ctl top --once --interval 0.2)
st=$(ctl status --json)
check "Mem: total, used, free as status says" \
	test "$(field Mem: 2) $(field Mem: 3) $(field Mem: 4)" = \
	"$(json '"%d %d %d" % (j["total_kb"], j["used_kb"], j["free_kb"])' "$st")"
check "Swap: total, used, free as status says" \
	test "$(field Swap: 2) $(field Swap: 3) $(field Swap: 4)" = \
	"$(json '"%d %d %d" % (j["swap_total_kb"], j["swap_used_kb"], j["swap_free_kb"])' "$st")"
check "the memcg /hot with its usage in KiB as memcg list says" \
	test "$(field /hot 2)" = "$(( $(ctl memcg list | awk '$1 == "/hot" { print $2 }') / 1024 ))"
check "at rest every reclaim rate is 0" \
	test "$(grep -E '^(reclaim/s|swap KiB/s):' <<<"$frame" | grep -oE '[0-9]+' | sort -u)" = 0
check "... and so is what /hot's own reclaim took a second (STEAL/s)" test "$(field /hot 3)" = 0

# The level decays 5 s after the last reclaim window: compare with pressure's answers taken
# just before and after the frame, when those two agree (a few tries).
same_level=
for _ in 1 2 3 4 5; do
	l1=$(ctl pressure /hot | awk '$1 == "level" { print $2 }')
	frame=$(ctl top --once --interval 0.1)
	l2=$(ctl pressure /hot | awk '$1 == "level" { print $2 }')
	[ "$l1" = "$l2" ] || continue
	[ "$(field /hot 4)" = "$l1" ] && same_level=yes
	break
done
check "the level of /hot as pressure says" test -n "$same_level"

# Under load (12M written through a 4M memory.max, over and over) the rates are not 0.
(
	end=$((SECONDS + 60))
	for _ in $(seq 200); do
		[ "$SECONDS" -lt "$end" ] && [ ! -e "$tmp/stop" ] || break
		ctl touch "$id" --write >/dev/null || break
	done
) &
loader=$!
frame=$(ctl top --once --interval 1)
touch "$tmp/stop"
wait "$loader"
# (memory.max reclaim is not global reclaim: as in the kernel, it counts no pgscan_direct or
# kswapd, but what it swaps out is pswpout.)
check "under load the swap-out rate is above 0" \
	awk -v s="$(grep '^swap KiB/s:' <<<"$frame")" \
	'BEGIN { split(s, b, "[ ;]+"); exit !(b[5] == "out" && b[6] > 0) }'
# ... which /hot's memory.stat counts (pgsteal_direct): its STEAL/s.
check "under load /hot's STEAL/s is above 0" test "$(field /hot 3)" -gt 0

j=$(ctl top --once --json --interval 0.2)
check "--json: one document with the memory total and the memcgs, each with its steal rate" \
	test "$(json '"%d %s %s" % (j["total_kb"], [m["path"] for m in j["memcgs"]], all(m["pgsteal_per_s"] >= 0 for m in j["memcgs"]))' "$j")" = \
	"16384 ['/', '/hot'] True"

out=$(timeout 30 "$RECLAIMCTL" --socket "$sock" top --interval 0.2 | cat); rc=$?
check "stdout not a terminal: one frame in plain text, exit 0" \
	test "$rc $(grep -c '^MEMCG' <<<"$out") $(grep -c $'\033' <<<"$out")" = "0 1 0"
for key in q '\x03'; do
	r=$(python3 "$top_srcdir/tests/lib/pty-key.py" "$key" "$RECLAIMCTL" --socket "$sock" top \
		--interval 0.2)
	check "on a terminal, '$key' quits: exit 0, the alternate screen entered and left" \
		test "$r" = "exit=0 entered=1 left=1 sent=1"
done
check "a bad --interval is a usage error (64)" \
	bash -c '"$0" --socket "$1" top --interval 0 2>/dev/null; test $? = 64' "$RECLAIMCTL" "$sock"
stop_daemon
finish
