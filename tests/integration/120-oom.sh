#!/bin/bash
# The OOM kill policy through the daemon: without swap, a touch that cannot be satisfied
# frees the largest region of the heaviest memcg instead of failing; the daemon forgets that
# region and gives its owner back the bytes it was charged.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 6

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon --swap 0 --oom-policy 1 --max-client-bytes 25M \
	&& ok "daemon is READY" || not_ok "daemon is READY"
a=$(ctl alloc 12M --populate)
b=$(ctl alloc 12M)
ctl touch "$b" --write >/dev/null 2>"$tmp/err"; rc=$?
check "a touch past the arena succeeds by killing the biggest region" test "$rc" = 0
check "oom_kill counted in vmstat" grep -q '^oom_kill 1$' <<<"$(ctl stat vmstat)"
# 12M + 12M of the 25M allowed were charged; the victim's 12M came back with it.
check "its bytes were given back: another 12M region fits the per-client limit" \
	test -n "$(ctl alloc 12M)"
check "the victim is gone for its owner too" \
	grep -q 'NOT_FOUND\|not found\|no region' <<<"$(ctl free "$a" 2>&1)"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
