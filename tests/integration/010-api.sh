#!/bin/bash
# The API through reclaimctl and through the client library: Hello, the four stat views,
# raw pages, tunables, memcgs and regions, in-order pipelined answers.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 27

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)'; }

start_daemon --nodes 2 && ok "daemon is READY" || not_ok "daemon is READY"

hello=$("$RCLC_PROBE" "$sock" hello)
check "hello through the library: version, page size, arena, nodes, limit, uid, admin" \
	grep -Eq '^server_version=[0-9.]+ page_size=4096 arena_bytes=16777216 nodes=2 max_frame=16777216 uid=0 admin=1$' \
	<<<"$hello"

for view in meminfo vmstat zoneinfo buddyinfo; do
	out=$("$RCLC_PROBE" "$sock" stat $view)
	case $view in
	meminfo) re='^MemTotal: +16384 kB$' ;;
	vmstat) re='^nr_free_pages [0-9]+$' ;;
	zoneinfo) re='^Node 1, zone +Normal$' ;;
	buddyinfo) re='^Node 0, zone +Normal( +[0-9]+){11} *$' ;;
	esac
	check "stat $view through the library" grep -Eq "$re" <<<"$out"
	check "stat $view through reclaimctl" grep -Eq "$re" <<<"$(ctl stat $view)"
done
check "stat --json is valid JSON with counters" \
	bash -c '"$0" --socket "$1" --json stat vmstat | python3 -c "import json,sys; assert json.load(sys.stdin)[\"counters\"][\"nr_free_pages\"] > 0"' \
	"$RECLAIMCTL" "$sock"
check "status prints a free-like summary" grep -Eq '^Mem: +16384 ' <<<"$(ctl status)"

pfn=$(ctl alloc-pages 3 --node 1)
check "alloc-pages prints the first pfn" grep -Eq '^[0-9]+$' <<<"$pfn"
check "meminfo counts the raw pages" grep -Eq '^RawPages: +32 kB$' <<<"$(ctl stat meminfo)"
ctl free-pages "$pfn" 2 2>"$tmp/err"
check "free-pages with the wrong order is INVALID_ARGUMENT (exit 1)" test $? -eq 1
# GFP_ATOMIC does not reclaim: when the 4 MiB blocks run out it says so, not "after reclaim".
pfns=()
for _ in 1 2 3 4 5 6 7 8; do
	p=$(ctl alloc-pages 10 --atomic 2>"$tmp/err") || break
	pfns+=("$p")
done
check "an atomic alloc-pages that finds no block says it did not reclaim" \
	grep -q "no free block of order 10 (atomic: from the reserves, no reclaim)" "$tmp/err"
for p in "${pfns[@]}"; do ctl free-pages "$p" 10; done
ctl alloc-pages 0 --node 5 2>"$tmp/err"
check "alloc-pages on a node that does not exist names the nodes, and no -1" \
	bash -c '[ $0 -eq 1 ] && grep -q "node 5 does not exist (nodes 0..1, or none for any)" "$1"' \
	$? "$tmp/err"
ctl free-pages "$pfn" 3
check "free-pages gives them back" test $? -eq 0
check "meminfo no longer counts them" grep -Eq '^RawPages: +0 kB$' <<<"$(ctl stat meminfo)"
ctl free-pages "$pfn" 3 2>"$tmp/err"
check "freeing twice is NOT_FOUND (exit 2) with the server's message" \
	bash -c '[ $0 -eq 2 ] && grep -q "no allocation starts at pfn" "$1"' $? "$tmp/err"

ctl tunable set watermark_scale_factor 123 >/dev/null
check "tunable set then get" grep -q '^watermark_scale_factor = 123$' <<<"$(ctl tunable get)"
check "tunable get --json is valid JSON" bash -c '"$0" --socket "$1" --json tunable get | python3 -c "import json,sys; json.load(sys.stdin)"' "$RECLAIMCTL" "$sock"
ctl tunable set watermark_scale_factor 5000 2>"$tmp/err"
check "an out-of-range tunable is INVALID_ARGUMENT and names the range" \
	bash -c '[ $0 -eq 1 ] && grep -q "1..1000" "$1"' $? "$tmp/err"

ctl memcg create /a --max 8M >/dev/null
check "memcg create, then list shows it with its limit" \
	bash -c '"$0" --socket "$1" --json memcg list | python3 -c "import json,sys; assert any(m[\"path\"]==\"/a\" for m in json.load(sys.stdin))"' "$RECLAIMCTL" "$sock"
out=$(ctl --json alloc 1M --memcg /a)
check "alloc --json: a region id and its pages" \
	bash -c 'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"region_id\"]>0 and d[\"pages\"]==256" "$0"' "$out"
check "64 pipelined requests are answered in order" \
	grep -q '^in order: 64$' <<<"$("$RCLC_PROBE" "$sock" pipeline 64)"

stop_daemon
check "SIGTERM: exit 0" test "$EXIT" = 0
finish
