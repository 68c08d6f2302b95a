#!/bin/bash
# End to end through reclaimctl (and so libreclaim-client): a memcg and regions larger than
# the 16 MiB arena, seeded data written through the socket and read back byte-exact while
# pages go to swap and come back, the pressure level rising in a subscription, and the
# memcg, reclaim and tunable requests around it.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 18

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
vmstat() { ctl stat vmstat | awk -v k="$1" '$1 == k { print $2 }'; }
MiB=1048576

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
check "before any load the pressure level is none" grep -q '^level none' <<<"$(ctl pressure)"

coproc WATCH { exec "$RECLAIMCTL" --socket "$sock" --json pressure --watch; }
exec {watch}<&"${WATCH[0]}"
watch_pid=$WATCH_PID

ctl memcg create /e2e --max 12M --swappiness 60 >/dev/null
check "memcg create /e2e" grep -q '"path":"/e2e"' <<<"$(ctl --json memcg list)"
a=$(ctl alloc 12M --memcg /e2e)
b=$(ctl alloc 12M --memcg /e2e)
check "two 12 MiB regions in /e2e: 24 MiB on a 16 MiB arena" \
	grep -Eq '^[0-9]+ [0-9]+$' <<<"$a $b"

python3 -c 'import random, sys; random.seed(5); sys.stdout.buffer.write(random.randbytes(24 << 20))' \
	>"$tmp/seed"
pswpout=$(vmstat pswpout)
pswpin=$(vmstat pswpin)
failed=0
for i in 0 1 2 3 4 5; do
	region=$([ $i -lt 3 ] && echo "$a" || echo "$b")
	off=$(( (i % 3) * 4 * MiB ))
	dd if="$tmp/seed" bs=4M skip=$i count=1 status=none | ctl write "$region" $off || failed=1
done
check "24 MiB of seeded data written in 4 MiB requests" test $failed = 0
for i in 0 1 2 3 4 5; do
	region=$([ $i -lt 3 ] && echo "$a" || echo "$b")
	ctl read "$region" $(( (i % 3) * 4 * MiB )) $((4 * MiB))
done >"$tmp/back"
check "all of it reads back byte-exact" cmp -s "$tmp/seed" "$tmp/back"
check "pswpout moved in stat vmstat" test "$(vmstat pswpout)" -gt "$pswpout"
check "pswpin moved in stat vmstat" test "$(vmstat pswpin)" -gt "$pswpin"
check "the pressure subscription saw the level rise to medium or critical" \
	expect_line "$watch" '"level":"(medium|critical)"'
kill "$watch_pid" 2>/dev/null
check "memory.pressure shows the stall time the load caused" \
	grep -Eq '^some avg10=[0-9.]+ avg60=[0-9.]+ avg300=[0-9.]+ total=[1-9][0-9]*$' \
	<<<"$(ctl pressure /e2e)"

out=$(ctl --json memcg stat /e2e)
check "memcg stat: usage within max, some of it in swap" \
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert 0 < d["usage_bytes"] <= 12 << 20 and d["stat"]["swap"] > 0, d["usage_bytes"]' "$out"
check "reclaim 1M from /e2e reclaims" grep -Eq '^reclaimed [1-9][0-9]* bytes$' \
	<<<"$(ctl reclaim 1M --memcg /e2e)"
check "madvise pageout acts on the whole region" grep -q '^3072 pages$' \
	<<<"$(ctl madvise "$a" pageout)"
cmp -s <(ctl read "$a" 0 $((12 * MiB))) <(head -c $((12 * MiB)) "$tmp/seed")
check "... and the data still reads back" test $? = 0
ctl memcg rm /e2e 2>"$tmp/err"
check "memcg rm with regions inside: BUSY (exit 10)" \
	bash -c '[ $0 -eq 10 ] && grep -q "still has child groups, regions or open files" "$1"' $? "$tmp/err"
ctl free "$a" && ctl free "$b" && ctl memcg rm /e2e
check "free both regions, then memcg rm" test $? = 0

ctl tunable set swappiness 100 >/dev/null
check "tunable set swappiness, then get" grep -q '^swappiness = 100$' <<<"$(ctl tunable get swappiness)"

stop_daemon
check "SIGTERM: exit 0" test "$EXIT" = 0
finish
