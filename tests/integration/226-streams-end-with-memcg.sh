#!/bin/bash
# A memcg removed ends the event streams that watch it, as the kernel signals a memcg's event
# listeners once when the cgroup goes (mem_cgroup_css_offline, memcg_event_remove): the
# subscriber gets the events it had, then an Ended event naming the group, and nothing after.
# Before, a `reclaimctl pressure --watch` or `--trigger` on a removed memcg waited for ever in
# silence. A watch of an ancestor goes on.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 12

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
lines() { test "$(wc -l <"$1")" -ge "$2"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /w --max 2M >/dev/null

# The two forms of reclaimctl, and a subscriber of the root's subtree through the probe.
timeout 120 "$RECLAIMCTL" --socket "$sock" pressure /w --watch --interval 0.2 \
	>"$tmp/watch" 2>"$tmp/watch.err" &
watch_pid=$!
timeout 120 "$RECLAIMCTL" --socket "$sock" pressure --trigger 'some 1 500000' --memcg /w \
	>"$tmp/trig" 2>"$tmp/trig.err" &
trig_pid=$!
mkfifo "$tmp/root-in"
exec {root_in}<>"$tmp/root-in"
timeout 120 "$RCLC_PROBE" "$sock" events pressure:/ 4096 <"$tmp/root-in" \
	>"$tmp/root-out" 2>&1 {root_in}>&- &
root_pid=$!
check "a subscriber of the root's subtree subscribes" wait_line "$tmp/root-out" '^subscribed'

# An 8M region written over in a 2M group: reclaim, pressure and stalls on /w. Each watcher
# prints a line once it hears of them, so each is subscribed.
id=$(ctl alloc 8M --memcg /w)
heard() { ctl touch "$id" --write >/dev/null; lines "$tmp/watch" 1 && lines "$tmp/trig" 1; }
check "both watchers of /w hear its pressure" until_true 60 heard

check "the region goes, then /w" eval 'ctl free "$id" && ctl memcg rm /w'
wait "$watch_pid"
rc=$?
check "pressure --watch of /w ends by itself with NOT_FOUND (2)" test "$rc" = 2
check "... saying the memcg was removed" \
	grep -q '^reclaimctl: the stream ended: memcg /w was removed$' "$tmp/watch.err"
wait "$trig_pid"
rc=$?
check "pressure --trigger on /w ends by itself with NOT_FOUND (2)" test "$rc" = 2
check "... saying the memcg was removed" \
	grep -q '^reclaimctl: the stream ended: memcg /w was removed$' "$tmp/trig.err"
sed 's/^/# watch: /' "$tmp/watch.err"
sed 's/^/# trigger: /' "$tmp/trig.err"

echo >&"$root_in"
check "the root's subscriber was not ended" wait_line "$tmp/root-out" '^events=[0-9]+ overflow=0$'
check "... and heard /w's pressure before it went" \
	wait_line "$tmp/root-out" '^events=[1-9][0-9]* overflow=0$'
exec {root_in}>&-
wait "$root_pid"
check "the daemon serves on" eval 'ctl status >/dev/null'
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
