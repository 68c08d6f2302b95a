#!/bin/bash
# Mapped regions on a kernel whose userfaultfd refuses RWF_NOWAIT (before v6.8; Debian 12 runs
# 6.1): the fault thread's read of a client's userfaultfd is then bounded by a timer of its
# own, whose signal ends a read that would wait (daemon/uffd-read.c). The daemon is told to
# read that way (RECLAIMD_TEST_UFFD_READ_BOUNDED) and serves threads hammering a mapped region
# larger than its memcg's max, every byte checked; its timers' signals end nothing else, and
# it stops on SIGTERM as it should.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_without_userfaultfd
plan 5

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
vmstat() { ctl stat vmstat | awk -v k="$1" '$1 == k { print $2 }'; }

RECLAIMD_TEST_UFFD_READ_BOUNDED=1 start_daemon && ok "daemon is READY" ||
	not_ok "daemon is READY"
ctl memcg create /m --max 2M >/dev/null
in0=$(vmstat pswpin)
timeout 180 "$MAP_CLIENT" "$sock" stress /m 2048 4 4 >"$tmp/stress" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	sed 's/^/# /' "$tmp/stress"
	echo "1..0 # SKIP no userfaultfd for mapped regions here"
	exit 77
fi
check "4 threads hammer an 8 MiB mapped region in a 2 MiB memcg, every byte checked" \
	grep -q '^checked 6144 pages in 4 rounds$' "$tmp/stress"
in1=$(vmstat pswpin)
check "... its pages swapped back in through the mapping's faults (pswpin $in0 -> $in1)" \
	test "$((in1 - in0))" -ge 2048
# The reads went the bounded way: the threads that read faults each made their timer, whose
# signal is a real-time one (the kernel lists a process's timers where it keeps them).
if [ -r "/proc/$pid/timers" ]; then
	check "... read through the fault threads' own timers ($(grep -c '^ID:' "/proc/$pid/timers"))" \
		grep -q '^notify: signal/tid' "/proc/$pid/timers"
else
	skip "... read through the fault threads' own timers" "no /proc/PID/timers here"
fi
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
