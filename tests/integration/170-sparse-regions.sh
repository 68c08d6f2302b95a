#!/bin/bash
# A region costs what it uses, not its size (issue 8, items 4 and 5). While a watcher polls
# the daemon every 100 ms, uid 65534 creates a 4 TiB anonymous region, touches pages at both
# ends and frees it, then does the same with a region it leaves to its connection's close: no
# poll waits 500 ms (a walk over the region's size, 2^30 pages, would take seconds; the bound
# leaves room for a loaded machine's scheduling: sanitizer builds beside other jobs, where
# 100 ms was close). A 1 TiB file region raises the daemon's RSS by next to nothing and
# leaves it within 1 MiB of where it was once freed.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 7

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
ctl_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"; }
TiB_pages=$((1 << 28))

start_daemon --max-client-bytes 8192G --socket-mode 0666 && ok "daemon is READY" ||
	not_ok "daemon is READY"

"$RCLC_PROBE" "$sock" poll 100 40 >"$tmp/poll" &
poll_pid=$!
id=$(ctl_nobody alloc 4096G)
check "uid 65534 creates a 4 TiB anonymous region" grep -Eq '^[0-9]+$' <<<"$id"
ctl_nobody touch "$id" 0 16 --write >/dev/null &&
	ctl_nobody touch "$id" $((4 * TiB_pages - 16)) 16 --write >/dev/null
check "... touches its first and last pages" test $? = 0
ctl_nobody free "$id"
check "... and frees it" test $? = 0
# A region that belongs to its connection goes when the connection closes.
"$RCLC_PROBE" --uid 65534 "$sock" region-close 4096 >/dev/null
wait "$poll_pid"
LINE=$(cat "$tmp/poll")
echo "# watcher: $LINE"
check "no poll of another client waited 500 ms or more" \
	awk -v l="$LINE" 'BEGIN { split(l, f, "max_ms="); exit !(l ~ /^polls=40 / && f[2] + 0 < 500) }'

# Warm up the file path once, then measure a 1 TiB file region against it.
w=$(ctl alloc 64K --file warm.dat --shared) && ctl touch "$w" 0 16 --write >/dev/null &&
	ctl free "$w"
before=$(rss_kb)
f=$(ctl alloc 1024G --file big.dat --shared)
ctl touch "$f" 0 16 --write >/dev/null && ctl touch "$f" $((TiB_pages - 16)) 16 --write >/dev/null
during=$(rss_kb)
ctl sync "$f" >/dev/null; ctl free "$f"
after=$(rss_kb)
echo "# VmRSS before $before kB, with the 1 TiB file region $during kB, after free $after kB"
if [ "${RCL_SANITIZER:-none}" = none ]; then
	check "a 1 TiB file region costs the daemon under 1 MiB while mapped" \
		test $((during - before)) -lt 1024
	check "... and the daemon's RSS is back within 1 MiB of before after free" \
		test $((after - before)) -lt 1024
else
	# A sanitizer shadows every page the daemon touches: its RSS is not the daemon's own.
	skip "a 1 TiB file region costs the daemon under 1 MiB while mapped" \
		"RSS under $RCL_SANITIZER includes its shadow memory"
	skip "... and the daemon's RSS is back within 1 MiB of before after free" \
		"RSS under $RCL_SANITIZER includes its shadow memory"
fi

stop_daemon
finish
