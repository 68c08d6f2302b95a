#!/bin/bash
# reclaimctl's command line as an operator types it: options anywhere, COMMAND --help, clear
# errors for negative or malformed sizes, vmstat's units, status's swap line, and a
# pressure --watch that prints a timestamped line per change rather than per event.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 23

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
json() { python3 -c "import json, sys; d = json.loads(sys.argv[1]); assert $1, d" "$2"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"

out=$("$RECLAIMCTL" status --json --socket "$sock")
check "global options after the command (status --json --socket)" \
	json 'd["total_kb"] == 16384' "$out"
out=$("$RECLAIMCTL" status --help); rc=$?
check "status --help exits 0 and describes status" \
	test "$rc" = 0 -a "$(head -1 <<<"$out")" = "Usage: reclaimctl [--socket PATH] [--json] status "
out=$("$RECLAIMCTL" memcg --help)
check "memcg --help lists --soft-limit" grep -q -- '--soft-limit S' <<<"$out"

out=$(ctl alloc -5M 2>&1); rc=$?
check "alloc -5M: exit 64 and says sizes cannot be negative" \
	test "$rc" = 64 -a "$(head -1 <<<"$out")" = "reclaimctl alloc: '-5M': numbers and sizes cannot be negative"
out=$(ctl alloc 5Q 2>&1); rc=$?
check "alloc 5Q: exit 64 and says it is not a size" \
	grep -q "^reclaimctl alloc: '5Q' is not a size" <<<"$out"
out=$(ctl memcg create /m2 --max 99999999999G 2>&1); rc=$?
check "memcg create --max 99999999999G: exit 64 naming the option and the value" \
	test "$rc" = 64 -a "$(head -1 <<<"$out")" = "reclaimctl memcg: --max '99999999999G' is not a size (a number below 2^64 with an optional K, M or G suffix)"
out=$(ctl bench --size 12Q 2>&1); rc=$?
check "bench --size 12Q: exit 64 and says it is not a size" \
	test "$rc" = 64 -a "$(head -1 <<<"$out")" = "reclaimctl bench: --size '12Q' is not a size (a number with an optional K, M or G suffix)"

# A read or write longer than one request goes in pieces: one that runs past the region is
# refused before anything is printed, naming the numbers given, and a stdin that runs past
# it stops before the piece that would, saying what was written.
r=$(ctl alloc 1M)
check "read past a 1M region in pieces: INVALID_ARGUMENT, nothing printed" \
	test "$(ctl read "$r" 100 1048576 2>/dev/null | wc -c)" = 0
ctl read "$r" 100 1048576 >/dev/null 2>"$tmp/err"; rc=$?
check "... exit 1, naming offset 100 + length 1048576 and the region's size" \
	test "$rc" = 1 -a -n "$(grep "offset 100 + length 1048576 runs past region $r's 1048576 bytes" "$tmp/err")"
check "a read of the whole region in pieces still works" \
	test "$(ctl read "$r" 0 1048576 | wc -c)" = 1048576
head -c 1572864 /dev/zero | tr '\0' x | ctl write "$r" 0 >/dev/null 2>"$tmp/err"; rc=$?
check "a stdin write past the region: exit 1, saying how much was written" \
	test "$rc" = 1 -a -n "$(grep "runs past the end of region $r (1048576 bytes); the 1048576 bytes before that were written" "$tmp/err")"
ctl free "$r" >/dev/null

# status: swap total, used and free as free(1), from meminfo.
meminfo() { ctl stat meminfo | awk -v k="$1:" '$1 == k { print $2 }'; }
out=$(ctl status)
check "status shows Swap: total used free" \
	grep -Eq "^Swap: +$(meminfo SwapTotal) +$(( $(meminfo SwapTotal) - $(meminfo SwapFree) )) +$(meminfo SwapFree)\$" <<<"$out"
out=$(ctl --json status)
check "status --json has swap_total_kb, swap_used_kb, swap_free_kb" \
	json "d['swap_total_kb'] == $(meminfo SwapTotal) and d['swap_free_kb'] == $(meminfo SwapFree) and d['swap_used_kb'] + d['swap_free_kb'] == d['swap_total_kb']" "$out"

# Pressure: watch while a writing bench over the arena swaps.
ctl pressure --watch >"$tmp/watch" 2>&1 &
watcher=$!
ctl --json pressure --watch >"$tmp/watch.json" 2>&1 &
jwatcher=$!
pswpout() { ctl stat vmstat | awk '$1 == "pswpout" { print $2 }'; }
before=$(pswpout)
ctl bench --size 24M --pattern seq --batch 256 --seconds 3 --write >/dev/null &
bench=$!
for _ in $(seq 300); do
	[ "$(pswpout)" -gt "$before" ] && break
	read -rt 0.01 <> <(:) || :
done
out=$(ctl --json vmstat 0.3 2)
check "vmstat --json: si and so in KiB/s are the page rates times 4 KiB" \
	python3 -c 'import json, sys; ls = [json.loads(l) for l in sys.argv[1].splitlines()]; assert sum(l["pswpout_per_s"] for l in ls) > 0 and all(abs(l["so_kib_per_s"] - 4 * l["pswpout_per_s"]) < 1 and abs(l["si_kib_per_s"] - 4 * l["pswpin_per_s"]) < 1 for l in ls), ls' "$out"
out=$(ctl vmstat 0.05 1)
check "vmstat's first line names the units" \
	test "$(head -1 <<<"$out")" = "memory: KiB; si, so: KiB/s; scan, steal: pages/s; majflt, stall: events/s"
wait "$bench"
kill "$watcher" "$jwatcher"
wait "$watcher" "$jwatcher" 2>/dev/null
sed 's/^/# watch: /' "$tmp/watch" | head -20
check "pressure --watch printed at least one line" test -s "$tmp/watch"
check "every --watch line is TIME MEMCG LEVEL" \
	python3 -c 'import re, sys; ls = open(sys.argv[1]).read().splitlines(); assert ls and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \S+ (none|low|medium|critical)", l) for l in ls), ls' "$tmp/watch"
check "--watch prints a memcg's level only when it changed" \
	python3 -c 'import sys; last = {}; ls = [l.split()[1:] for l in open(sys.argv[1])]
for m, lv in ls:
    assert last.get(m) != lv, ls
    last[m] = lv' "$tmp/watch"
check "--watch prints a memcg at most once a second" \
	python3 -c 'import sys; ls = [tuple(l.split()[:2]) for l in open(sys.argv[1])]; assert len(ls) == len(set(ls)), ls' "$tmp/watch"
check "--json --watch lines carry the time" \
	python3 -c 'import json, sys; ls = [json.loads(l) for l in open(sys.argv[1])]; assert ls and all("time" in l and "level" in l for l in ls), ls' "$tmp/watch.json"

stop_daemon
check "daemon exits 0" test "$EXIT" = 0
check "every command answers --help with exit 0" \
	bash -c 'for c in status stat alloc-pages free-pages tunable shutdown memcg alloc touch write read free madvise sync pressure reclaim trace bench vmstat; do "$RECLAIMCTL" "$c" --help >/dev/null || exit 1; done'
finish
