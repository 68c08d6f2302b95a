#!/bin/bash
# A vectored request acts on the region it was checked against, to its last range. uid 65534
# reads (and then writes) many ranges of its region B, each of which waits: B is swapped out
# and its group is held above memory.high, so every range swaps a page in and sleeps the
# throttle (2 s a call). Meanwhile it frees B and cycles B's slot through its generation
# (which the daemon wraps at 2 here, RECLAIMD_TEST_REGION_GENERATIONS, rather than 4096), and
# uid 65533 creates a region that gets B's id. Four workers: one uid may use all but one, so
# that its free runs beside its read, as it would on a daemon of the default size. The daemon used to check the owner once and then
# call the engine by id for each range: the later ranges read uid 65533's bytes, and wrote
# over them. Now the engine looks the id up once for the whole request (rcl_region_readv,
# _writev, _touchv, madvisev hold the region): the request reads and writes B alone (or ends
# NOT_FOUND if B goes before it is done), and uid 65533's region keeps its bytes. An mlock
# of B, whose populate sleeps the throttle too, settles its charge on B's record, never on a
# record made since under B's id: uid 65534 is given its locked bytes back, and uid 65533's
# count of locked bytes is not taken below zero when its region goes.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_unless_setpriv
plan 12

RANGES=48		# pages 0, 5, 10, ... of B
ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
as() { local uid=$1; shift; setpriv --reuid "$uid" --regid "$uid" --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
# The request is on a worker (checked, and running its ranges), or already answered.
started() {
	! kill -0 "$attack_pid" 2>/dev/null ||
	test "$(ctl --json status | python3 -c 'import json, sys
print(json.load(sys.stdin)["calls_on_workers"])')" -ge 1
}
# Every byte FILE holds is CHAR.
only() { test "$(tr -d "$2" <"$1" | wc -c)" = 0; }
victim_intact() { as 65533 read "$victim" 0 1048576 >"$tmp/victim" && only "$tmp/victim" V; }
page_ranges() {	# byte ranges of pages 0, 5, 10, ...
	local i out=
	for i in $(seq 0 $((RANGES - 1))); do out="$out${out:+,}$((i * 5 * 4096))+4096"; done
	echo "$out"
}

RECLAIMD_TEST_REGION_GENERATIONS=2 start_daemon --socket-mode 0666 --workers 4 \
	--max-client-locked-bytes 1M && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /t1 --owner 65534 >/dev/null
ctl memcg create /t2 --owner 65533 >/dev/null
# /t1/h is held above its memory.high by pages that cannot be swapped (/t1/h/a), so that
# every page B (in /t1/h/b) swaps in is a charge over high, and its call sleeps the throttle.
as 65534 memcg create /t1/h --high 64K >/dev/null
as 65534 memcg create /t1/h/a --swap-max 0 >/dev/null
as 65534 memcg create /t1/h/b >/dev/null
pin=$(as 65534 alloc 2M --memcg /t1/h/a --populate)
as 65534 touch "$pin" --write >/dev/null

# run_attack VERB: B filled and swapped out, then VERB (read or write) of its ranges in the
# background while B goes and uid 65533's new region takes its id. Leaves the victim's id in
# $victim, the request's exit status in $tmp/VERB.rc, its output in $tmp/VERB.out.
run_attack() {
	local verb=$1 b hold
	b=$(as 65534 alloc 1M --memcg /t1/h/b)
	head -c 1048576 /dev/zero | tr '\0' 'a' | as 65534 write "$b" 0 >/dev/null
	as 65534 madvise "$b" pageout >/dev/null
	if [ "$verb" = read ]; then
		( as 65534 read "$b" --ranges "$(page_ranges)" >"$tmp/read.out" 2>"$tmp/read.err"
		  echo $? >"$tmp/read.rc" ) &
	elif [ "$verb" = mlock ]; then
		( as 65534 mlock "$b" >"$tmp/mlock.out" 2>"$tmp/mlock.err"
		  echo $? >"$tmp/mlock.rc" ) &
	else
		( head -c $((RANGES * 4096)) /dev/zero | tr '\0' 'w' |
		  as 65534 write "$b" --ranges "$(page_ranges)" >"$tmp/write.out" 2>"$tmp/write.err"
		  echo $? >"$tmp/write.rc" ) &
	fi
	attack_pid=$!
	until_true 30 started || echo "# the $verb never reached a worker"
	as 65534 free "$b" >/dev/null
	# B's slot cycled until the next region made anywhere gets B's id; the regions in lower
	# free slots stay taken meanwhile.
	mkfifo "$tmp/hold-$verb"
	exec {hold}<>"$tmp/hold-$verb"
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" cycle-to "$b" 2 <"$tmp/hold-$verb" \
		>"$tmp/cycle-$verb" 2>&1 {hold}>&- &
	cycle_pid=$!
	wait_line "$tmp/cycle-$verb" '^ready' 60 || sed 's/^/# cycle: /' "$tmp/cycle-$verb"
	victim=$(as 65533 alloc 1M --memcg /t2)
	head -c 1048576 /dev/zero | tr '\0' 'V' | as 65533 write "$victim" 0 >/dev/null
	echo "# B was $b, uid 65533's region is $victim"
	wait "$attack_pid"
	echo "# the $verb: exit $(cat "$tmp/$verb.rc"), $(wc -c <"$tmp/$verb.out") bytes out," \
	     "$(tr -d a <"$tmp/$verb.out" | wc -c) of them not B's"
	echo >&"$hold"
	exec {hold}>&-
	wait "$cycle_pid"
	victim_b=$b
}

run_attack read
check "uid 65533's new region took the id of uid 65534's freed B" test "$victim" = "$victim_b"
check "uid 65534's vectored read of B got none of uid 65533's bytes" \
	bash -c '! grep -q V "$0"' "$tmp/read.out"
check "... what it got was B's, or it ended NOT_FOUND (2) when B went" \
	eval 'only "$tmp/read.out" a && { test "$(cat "$tmp/read.rc")" = 0 -a \
	      "$(wc -c <"$tmp/read.out")" = $((RANGES * 4096)) ||
	      test "$(cat "$tmp/read.rc")" = 2; }'
sed 's/^/# read: /' "$tmp/read.err"

run_attack write
check "again for a vectored write: uid 65533's region took B's id" test "$victim" = "$victim_b"
check "... the write was answered, or ended NOT_FOUND (2) when B went" \
	eval 'rc=$(cat "$tmp/write.rc"); test "$rc" = 0 -o "$rc" = 2'
sed 's/^/# write: /' "$tmp/write.err"
check "... and uid 65533's region holds its own bytes, every one" victim_intact
run_attack mlock
check "again for an mlock of B: uid 65533's region took B's id" test "$victim" = "$victim_b"
sed 's/^/# mlock: /' "$tmp/mlock.err"
check "... uid 65533 frees it, and may still lock memory" \
	eval 'as 65533 free "$victim" >/dev/null && as 65533 alloc 64K --locked >/dev/null'
check "... uid 65534 was given back what its lock of B was charged: it locks 1M again" \
	eval 'as 65534 alloc 1M --locked >/dev/null'
check "the daemon serves on" eval 'ctl status >/dev/null'
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
