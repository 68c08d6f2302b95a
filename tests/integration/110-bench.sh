#!/bin/bash
# reclaimctl bench: each pattern drives its own region and reports consistent figures; a
# working set larger than the arena makes the daemon swap, and the summary says so; one in a
# memcg also shows the group's own counters.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 12

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"

all_ok=yes
for p in seq random hotset zipf; do
	out=$(ctl --json bench --size 4M --pattern "$p" --seconds 0.3) || all_ok=no
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["pattern"] == sys.argv[2] and d["requests"] > 0 and d["pages_touched"] == d["requests"] * d["batch"] and d["latency_us"]["p50"] <= d["latency_us"]["p99"] <= d["latency_us"]["max"], d' "$out" "$p" || all_ok=no
done
check "every pattern runs and reports consistent JSON" test "$all_ok" = yes

# Long enough to write well past the arena on a loaded machine under ThreadSanitizer: in
# 0.5 s such a run once only filled the arena, and ended before a swap write went out.
out=$(ctl --json bench --size 24M --pattern seq --batch 256 --seconds 2 --write)
check "sequential writes over 1.5x the arena swap out" \
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["vmstat"]["pswpout"] > 0, d' "$out"
out=$(ctl bench --seconds 0.2 --size 1M)
check "the text summary is a table" grep -Eq '^  pages/s +[0-9]+$' <<<"$out"
# In a memcg, its limit reclaim shows in the group's counters, which vmstat does not count
# (v4.19 counts pgscan_direct globally for global reclaim only): a region twice its max.
ctl memcg create /bench --max 4M >/dev/null
out=$(ctl --json bench --memcg /bench --size 8M --pattern seq --batch 256 --seconds 1 --write)
check "--memcg: the group's own scans and its max events" \
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); m = d["memcg"]; assert m["path"] == "/bench" and m["counters"]["pgscan_direct"] > 0 and m["counters"]["pgsteal_direct"] > 0 and m["counters"]["max"] > 0 and m["counters"]["pgfault"] >= d["pages_touched"], d' "$out"
out=$(ctl bench --memcg /bench --size 8M --seconds 0.2)
check "... and the text summary has its block" grep -q '^memcg /bench (memory.stat, memory.events)$' <<<"$out"
ctl bench --pattern sideways >/dev/null 2>&1; rc=$?
check "an unknown pattern is a usage error (exit 64)" test "$rc" = 64
# vmstat: rates over each interval. Run it while a writing bench swaps, once the bench has
# been seen swapping (polled, bounded), so the interval falls inside the swap storm.
pswpout() { ctl stat vmstat | awk '$1 == "pswpout" { print $2 }'; }
before=$(pswpout)
ctl bench --size 24M --pattern seq --batch 256 --seconds 3 --write >/dev/null &
bench=$!
for _ in $(seq 300); do
	[ "$(pswpout)" -gt "$before" ] && break
	read -rt 0.01 <> <(:) || :
done
out=$(ctl --json vmstat 0.2 2)
wait "$bench"
check "vmstat --json prints COUNT lines, each over its interval" \
	python3 -c 'import json, sys; ls = [json.loads(l) for l in sys.argv[1].splitlines()]; assert len(ls) == 2 and all(l["seconds"] >= 0.2 and l["free_kb"] > 0 for l in ls), ls' "$out"
check "vmstat shows swap-out while a writing bench swaps" \
	python3 -c 'import json, sys; ls = [json.loads(l) for l in sys.argv[1].splitlines()]; assert sum(l["pswpout_per_s"] for l in ls) > 0, ls' "$out"
out=$(ctl vmstat 0.05 1)
check "vmstat text is a units line, a header and one line" \
	python3 -c 'import sys; u, h, l = sys.argv[1].splitlines(); assert u.startswith("memory: KiB") and h.split()[:5] == ["free", "cache", "swpd", "si", "so"] and len(l.split()) == len(h.split()), sys.argv[1]' "$out"
ctl vmstat 0 >/dev/null 2>&1; rc=$?
check "a zero interval is a usage error (exit 64)" test "$rc" = 64
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
