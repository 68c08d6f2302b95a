#!/bin/bash
# reclaimctl bench: each pattern drives its own region and reports consistent figures; a
# working set larger than the arena makes the daemon swap, and the summary says so.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 6

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"

all_ok=yes
for p in seq random hotset zipf; do
	out=$(ctl --json bench --size 4M --pattern "$p" --seconds 0.3) || all_ok=no
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["pattern"] == sys.argv[2] and d["requests"] > 0 and d["pages_touched"] == d["requests"] * d["batch"] and d["latency_us"]["p50"] <= d["latency_us"]["p99"] <= d["latency_us"]["max"], d' "$out" "$p" || all_ok=no
done
check "every pattern runs and reports consistent JSON" test "$all_ok" = yes

out=$(ctl --json bench --size 24M --pattern seq --batch 256 --seconds 0.5 --write)
check "sequential writes over 1.5x the arena swap out" \
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["vmstat"]["pswpout"] > 0, d' "$out"
out=$(ctl bench --seconds 0.2 --size 1M)
check "the text summary is a table" grep -Eq '^  pages/s +[0-9]+$' <<<"$out"
ctl bench --pattern sideways >/dev/null 2>&1; rc=$?
check "an unknown pattern is a usage error (exit 64)" test "$rc" = 64
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
